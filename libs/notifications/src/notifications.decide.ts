import { DomainError, type Decider, type DomainCommand } from '#ruche/domain-kit';
import {
  evolveNotifications,
  initialNotificationsState,
  NOTIFICATIONS_EVENT_SCHEMA_VERSIONS,
  type NotificationsEvent,
  type NotificationsState,
} from './notifications.js';

/**
 * Marks the caller's notifications read up to `upTo` (a log position). `head` is the log's head
 * when the command was sent: a mark beyond it would also swallow notifications not written yet.
 */
export type MarkNotificationsRead = DomainCommand<'MarkNotificationsRead', { userId: string; upTo: number; head: number }>;

export type NotificationsCommand = MarkNotificationsRead;

export function decideNotifications(command: NotificationsCommand, state: NotificationsState): NotificationsEvent[] {
  switch (command.type) {
    case 'MarkNotificationsRead': {
      const { userId, upTo, head } = command.data;
      const { actor, now } = command.metadata;
      // Nobody reads another person's notifications, whatever their role.
      if (actor.userId !== userId) throw DomainError.notFound('No such notifications');
      if (!Number.isSafeInteger(upTo) || upTo < 0) throw DomainError.validation('upTo', 'upTo must be a log position (an integer >= 0)');
      if (upTo > head) throw DomainError.validation('upTo', `upTo lies beyond the last position of the log (${head})`);
      if (upTo <= state.readUpTo) return [];
      return [{ type: 'NotificationsRead', data: { userId, upTo, at: now.toISOString(), by: actor.userId } }];
    }
    default: {
      const unexpected: never = command.type;
      throw new Error(`Unknown command ${String(unexpected)}`);
    }
  }
}

export const notificationsDecider: Decider<NotificationsCommand, NotificationsEvent, NotificationsState> = {
  decide: decideNotifications,
  evolve: evolveNotifications,
  initialState: initialNotificationsState,
  eventSchemaVersions: NOTIFICATIONS_EVENT_SCHEMA_VERSIONS,
};
