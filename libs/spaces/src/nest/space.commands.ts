import { Inject } from '@nestjs/common';
import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { v7 as uuidv7 } from 'uuid';
import type { Actor } from '#ruche/domain-kit';
import type { EventStore } from '#ruche/eventstore';
import { UserDirectory } from '#ruche/identity';
import { CLOCK, EVENT_STORE, handleCommand, loadStream, type Clock } from '#ruche/platform';
import { requireCanManage, lookupParentSpace } from '../space.access.js';
import { spaceDecider, type SpaceCommand } from '../space.decide.js';
import { spaceStreamName } from '../space.js';

/** Where a command landed: API.md's `{ id, revision, position }`. */
export interface Landed {
  id: string;
  revision: number;
  position: number;
}

/** Which fields of a space command the caller provides (the rest comes from the request). */
type SpaceCommandOf<T extends SpaceCommand['type']> = Extract<SpaceCommand, { type: T }>;

export interface CreateSpaceInput {
  name: string;
  kind: string;
  visibility: string;
  description?: string;
  uai?: string;
  parentSpaceId?: string;
}

export class CreateSpaceCommand extends Command<Landed> {
  constructor(
    readonly input: CreateSpaceInput,
    readonly actor: Actor,
    readonly correlationId?: string,
    /** A fixed id, for seeds that must be re-runnable; requests always get a fresh UUIDv7. */
    readonly spaceId?: string,
  ) {
    super();
  }
}

/** Any decision on an existing space's stream that needs nothing but its own state. */
export class DecideOnSpaceCommand extends Command<Landed> {
  constructor(
    readonly type: Exclude<SpaceCommand['type'], 'CreateSpace' | 'AddMember'>,
    readonly data: SpaceCommandOf<Exclude<SpaceCommand['type'], 'CreateSpace' | 'AddMember'>>['data'],
    readonly actor: Actor,
    readonly correlationId?: string,
  ) {
    super();
  }
}

/** Adds a member by e-mail, registering the person when Ruche does not know them yet. */
export class InviteMemberCommand extends Command<Landed & { userId: string }> {
  constructor(
    readonly spaceId: string,
    readonly email: string,
    readonly role: string,
    readonly actor: Actor,
    readonly correlationId?: string,
  ) {
    super();
  }
}

@CommandHandler(CreateSpaceCommand)
export class CreateSpaceHandler implements ICommandHandler<CreateSpaceCommand> {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async execute({ input, actor, correlationId, spaceId = uuidv7() }: CreateSpaceCommand): Promise<Landed> {
    const parent = input.parentSpaceId
      ? lookupParentSpace((await loadStream(this.store, spaceStreamName(input.parentSpaceId), spaceDecider)).state, actor)
      : undefined;
    const result = await handleCommand(
      this.store,
      spaceStreamName(spaceId),
      spaceDecider,
      {
        type: 'CreateSpace',
        data: { spaceId, ...input, ...(parent ? { parent } : {}) },
        metadata: { actor, now: this.clock.now(), correlationId },
      },
      { userId: actor.userId, correlationId },
    );
    return { id: spaceId, revision: result.revision, position: result.position };
  }
}

@CommandHandler(DecideOnSpaceCommand)
export class DecideOnSpaceHandler implements ICommandHandler<DecideOnSpaceCommand> {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async execute({ type, data, actor, correlationId }: DecideOnSpaceCommand): Promise<Landed> {
    const command = { type, data, metadata: { actor, now: this.clock.now(), correlationId } } as SpaceCommand;
    const result = await handleCommand(this.store, spaceStreamName(data.spaceId), spaceDecider, command, {
      userId: actor.userId,
      correlationId,
    });
    return { id: data.spaceId, revision: result.revision, position: result.position };
  }
}

@CommandHandler(InviteMemberCommand)
export class InviteMemberHandler implements ICommandHandler<InviteMemberCommand> {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly directory: UserDirectory,
  ) {}

  async execute({ spaceId, email, role, actor, correlationId }: InviteMemberCommand): Promise<Landed & { userId: string }> {
    const stream = spaceStreamName(spaceId);
    // Check the right to manage before anyone is registered on the strength of this request.
    requireCanManage((await loadStream(this.store, stream, spaceDecider)).state, actor);
    const user = await this.directory.resolve({ email }, actor, correlationId);
    const result = await handleCommand(
      this.store,
      stream,
      spaceDecider,
      { type: 'AddMember', data: { spaceId, userId: user.userId, role }, metadata: { actor, now: this.clock.now(), correlationId } },
      { userId: actor.userId, correlationId },
    );
    return { id: spaceId, userId: user.userId, revision: result.revision, position: Math.max(result.position, user.position) };
  }
}

export const spaceCommandHandlers = [CreateSpaceHandler, DecideOnSpaceHandler, InviteMemberHandler];
