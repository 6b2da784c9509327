import { Inject } from '@nestjs/common';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import type { Actor } from '#ruche/domain-kit';
import type { EventStore } from '#ruche/eventstore';
import { CommandRunner, EVENT_STORE, RucheCommand, type Landed, type RequestMeta } from '#ruche/platform';
import { notificationsDecider, type NotificationsCommand } from '../notifications.decide.js';
import { notificationsStreamName } from '../notifications.js';

export interface NotificationsReadLanded extends Landed {
  /** Every notification at or before this position is read. */
  readUpTo: number;
}

/** Marks the caller's notifications read up to `upTo` (every one written so far without it). */
export class MarkNotificationsReadCommand extends RucheCommand<NotificationsReadLanded> {
  constructor(
    readonly upTo: number | undefined,
    actor: Actor,
    meta: RequestMeta,
  ) {
    super(actor, meta);
  }
}

@CommandHandler(MarkNotificationsReadCommand)
export class MarkNotificationsReadHandler implements ICommandHandler<MarkNotificationsReadCommand> {
  constructor(
    private readonly runner: CommandRunner,
    @Inject(EVENT_STORE) private readonly store: EventStore,
  ) {}

  async execute(command: MarkNotificationsReadCommand): Promise<NotificationsReadLanded> {
    const userId = command.actor.userId;
    const head = await this.store.headPosition();
    let readUpTo = 0;
    const result = await this.runner.run(notificationsStreamName(userId), notificationsDecider, command, (metadata, state): NotificationsCommand => {
      readUpTo = Math.max(state.readUpTo, command.upTo ?? head);
      return { type: 'MarkNotificationsRead', data: { userId, upTo: command.upTo ?? head, head }, metadata };
    });
    return { id: userId, revision: result.revision, position: result.position, readUpTo };
  }
}

export const notificationsCommandHandlers = [MarkNotificationsReadHandler];
