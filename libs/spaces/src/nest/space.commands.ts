import { Injectable } from '@nestjs/common';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { parseUai, type Actor, type CommandMetadata } from '#ruche/domain-kit';
import { UserDirectory } from '#ruche/identity/nest';
import { CommandRunner, RucheCommand, subCommandMeta, type Landed, type RequestMeta } from '#ruche/platform';
import { lookupParentSpace, requireCanManage } from '../space.access.js';
import { spaceDecider, type SpaceCommand } from '../space.decide.js';
import { spaceStreamName, type SpaceRole, type SpaceVisibility } from '../space.js';
import { UaiClaims } from './uai-claims.js';

export interface CreateSpaceInput {
  name: string;
  kind: string;
  visibility: string;
  description?: string;
  uai?: string;
  parentSpaceId?: string;
}

export interface UpdateSpaceInput {
  name?: string;
  description?: string;
  visibility?: SpaceVisibility | string;
}

/** Creates a space; its id is the command's id, so a retried creation lands once. */
export class CreateSpaceCommand extends RucheCommand {
  constructor(
    readonly input: CreateSpaceInput,
    actor: Actor,
    meta: RequestMeta,
    /** A fixed id, for seeds; otherwise the command id (a UUIDv7). */
    readonly spaceId: string = meta.commandId,
  ) {
    super(actor, meta);
  }
}

export class UpdateSpaceCommand extends RucheCommand {
  constructor(readonly spaceId: string, readonly input: UpdateSpaceInput, actor: Actor, meta: RequestMeta) {
    super(actor, meta);
  }
}

/** Adds a member by e-mail, registering the person when Ruche does not know them yet. */
export class InviteMemberCommand extends RucheCommand<Landed & { userId: string }> {
  constructor(readonly spaceId: string, readonly email: string, readonly role: SpaceRole | string, actor: Actor, meta: RequestMeta) {
    super(actor, meta);
  }
}

export class ChangeMemberRoleCommand extends RucheCommand {
  constructor(readonly spaceId: string, readonly userId: string, readonly role: SpaceRole | string, actor: Actor, meta: RequestMeta) {
    super(actor, meta);
  }
}

/** A manager removes `userId`, or the actor leaves when `userId` is themself. */
export class RemoveMemberCommand extends RucheCommand {
  constructor(readonly spaceId: string, readonly userId: string, actor: Actor, meta: RequestMeta) {
    super(actor, meta);
  }
}

export class JoinSpaceCommand extends RucheCommand {
  constructor(readonly spaceId: string, actor: Actor, meta: RequestMeta) {
    super(actor, meta);
  }
}

export class ApproveJoinRequestCommand extends RucheCommand {
  constructor(readonly spaceId: string, readonly userId: string, actor: Actor, meta: RequestMeta) {
    super(actor, meta);
  }
}

export class RejectJoinRequestCommand extends RucheCommand {
  constructor(readonly spaceId: string, readonly userId: string, actor: Actor, meta: RequestMeta) {
    super(actor, meta);
  }
}

/** Runs one space command on its stream and answers where it landed. */
@Injectable()
export class SpaceStreams {
  constructor(readonly runner: CommandRunner) {}

  async decide(command: RucheCommand<unknown>, spaceId: string, build: (metadata: CommandMetadata) => SpaceCommand): Promise<Landed> {
    const result = await this.runner.run(spaceStreamName(spaceId), spaceDecider, command, (metadata) => build(metadata));
    return { id: spaceId, revision: result.revision, position: result.position };
  }
}

@CommandHandler(CreateSpaceCommand)
export class CreateSpaceHandler implements ICommandHandler<CreateSpaceCommand> {
  constructor(
    private readonly spaces: SpaceStreams,
    private readonly uaiClaims: UaiClaims,
  ) {}

  async execute(command: CreateSpaceCommand): Promise<Landed> {
    const { input, actor, spaceId } = command;
    const parent = input.parentSpaceId
      ? lookupParentSpace((await this.spaces.runner.load(spaceStreamName(input.parentSpaceId), spaceDecider)).state, actor)
      : undefined;
    const build = (metadata: CommandMetadata): SpaceCommand => ({
      type: 'CreateSpace',
      data: { spaceId, ...input, ...(parent ? { parent } : {}) },
      metadata,
    });
    if (input.kind === 'establishment') {
      // One establishment space per UAI (409 for a second). Bad input is refused before the
      // UAI is claimed, so that a refused creation writes nothing.
      spaceDecider.decide(build({ actor, now: new Date(0) }), spaceDecider.initialState());
      await this.uaiClaims.claim(parseUai(input.uai), spaceId, actor, command.meta);
    }
    return this.spaces.decide(command, spaceId, build);
  }
}

@CommandHandler(UpdateSpaceCommand)
export class UpdateSpaceHandler implements ICommandHandler<UpdateSpaceCommand> {
  constructor(private readonly spaces: SpaceStreams) {}

  execute(command: UpdateSpaceCommand): Promise<Landed> {
    const { spaceId, input } = command;
    return this.spaces.decide(command, spaceId, (metadata) => ({ type: 'UpdateSpace', data: { spaceId, ...input }, metadata }));
  }
}

@CommandHandler(InviteMemberCommand)
export class InviteMemberHandler implements ICommandHandler<InviteMemberCommand> {
  constructor(
    private readonly spaces: SpaceStreams,
    private readonly directory: UserDirectory,
  ) {}

  async execute(command: InviteMemberCommand): Promise<Landed & { userId: string }> {
    const { spaceId, email, role, actor, meta } = command;
    // Check the right to manage before anyone is registered on the strength of this request.
    requireCanManage((await this.spaces.runner.load(spaceStreamName(spaceId), spaceDecider)).state, actor);
    const user = await this.directory.resolve({ email }, actor, subCommandMeta(meta, 'register-invited-user'));
    const landed = await this.spaces.decide(command, spaceId, (metadata) => ({
      type: 'AddMember',
      data: { spaceId, userId: user.userId, role },
      metadata,
    }));
    return { ...landed, userId: user.userId, position: Math.max(landed.position, user.position) };
  }
}

@CommandHandler(ChangeMemberRoleCommand)
export class ChangeMemberRoleHandler implements ICommandHandler<ChangeMemberRoleCommand> {
  constructor(private readonly spaces: SpaceStreams) {}

  execute(command: ChangeMemberRoleCommand): Promise<Landed> {
    const { spaceId, userId, role } = command;
    return this.spaces.decide(command, spaceId, (metadata) => ({ type: 'ChangeMemberRole', data: { spaceId, userId, role }, metadata }));
  }
}

@CommandHandler(RemoveMemberCommand)
export class RemoveMemberHandler implements ICommandHandler<RemoveMemberCommand> {
  constructor(private readonly spaces: SpaceStreams) {}

  execute(command: RemoveMemberCommand): Promise<Landed> {
    const { spaceId, userId } = command;
    return this.spaces.decide(command, spaceId, (metadata) => ({ type: 'RemoveMember', data: { spaceId, userId }, metadata }));
  }
}

@CommandHandler(JoinSpaceCommand)
export class JoinSpaceHandler implements ICommandHandler<JoinSpaceCommand> {
  constructor(private readonly spaces: SpaceStreams) {}

  execute(command: JoinSpaceCommand): Promise<Landed> {
    const { spaceId } = command;
    return this.spaces.decide(command, spaceId, (metadata) => ({ type: 'JoinSpace', data: { spaceId }, metadata }));
  }
}

@CommandHandler(ApproveJoinRequestCommand)
export class ApproveJoinRequestHandler implements ICommandHandler<ApproveJoinRequestCommand> {
  constructor(private readonly spaces: SpaceStreams) {}

  execute(command: ApproveJoinRequestCommand): Promise<Landed> {
    const { spaceId, userId } = command;
    return this.spaces.decide(command, spaceId, (metadata) => ({ type: 'ApproveJoinRequest', data: { spaceId, userId }, metadata }));
  }
}

@CommandHandler(RejectJoinRequestCommand)
export class RejectJoinRequestHandler implements ICommandHandler<RejectJoinRequestCommand> {
  constructor(private readonly spaces: SpaceStreams) {}

  execute(command: RejectJoinRequestCommand): Promise<Landed> {
    const { spaceId, userId } = command;
    return this.spaces.decide(command, spaceId, (metadata) => ({ type: 'RejectJoinRequest', data: { spaceId, userId }, metadata }));
  }
}

export const spaceCommandHandlers = [
  SpaceStreams,
  UaiClaims,
  CreateSpaceHandler,
  UpdateSpaceHandler,
  InviteMemberHandler,
  ChangeMemberRoleHandler,
  RemoveMemberHandler,
  JoinSpaceHandler,
  ApproveJoinRequestHandler,
  RejectJoinRequestHandler,
];
