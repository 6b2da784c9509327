import type { DomainEvent, EventSchemaVersions } from '#ruche/domain-kit';

/**
 * What a person is told about (API.md, "Notifications"): a reply in a topic they opened or
 * replied to, an @mention of them, their join request approved, a solution chosen on their topic.
 */
export const NOTIFICATION_KINDS = ['reply', 'mention', 'join_approved', 'solution'] as const;
export type NotificationKind = (typeof NOTIFICATION_KINDS)[number];

/**
 * Notifications themselves are a projection of the other contexts' events; the only fact this
 * context records is how far a person has read them, in the stream `notifications-<userId>`.
 */
export const NOTIFICATIONS_STREAM_CATEGORY = 'notifications';

export function notificationsStreamName(userId: string): string {
  return `${NOTIFICATIONS_STREAM_CATEGORY}-${userId}`;
}

/** `userId` has read every notification up to log position `upTo` (included). */
export type NotificationsRead = DomainEvent<'NotificationsRead', { userId: string; upTo: number; at: string; by: string }>;

export type NotificationsEvent = NotificationsRead;
export type NotificationsEventType = NotificationsEvent['type'];

export const NOTIFICATIONS_EVENT_SCHEMA_VERSIONS: EventSchemaVersions<NotificationsEventType> = { NotificationsRead: 1 };

export const notificationsEventTypes = Object.keys(NOTIFICATIONS_EVENT_SCHEMA_VERSIONS) as readonly NotificationsEventType[];

export function isNotificationsEvent(event: { type: string }): event is NotificationsEvent {
  return (notificationsEventTypes as readonly string[]).includes(event.type);
}

/** How far a person has read their notifications (0: nothing read yet). */
export interface NotificationsState {
  readUpTo: number;
}

export function initialNotificationsState(): NotificationsState {
  return { readUpTo: 0 };
}

export function evolveNotifications(state: NotificationsState, event: NotificationsEvent): NotificationsState {
  switch (event.type) {
    case 'NotificationsRead':
      return { readUpTo: Math.max(state.readUpTo, event.data.upTo) };
    default: {
      const unexpected: never = event.type;
      return unexpected;
    }
  }
}
