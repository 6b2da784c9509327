/**
 * The live protocol of API.md ("Live (socket.io)"), as types shared by the server's gateway and
 * the clients: namespace `/live`, rooms, messages and acknowledgements.
 */
export const LIVE_NAMESPACE = '/live';

export type LiveRoom = `space:${string}` | `topic:${string}` | `document:${string}` | 'user:me';

/** An event of the log, after the read models include it, as its room may see it. */
export interface LiveEventMessage {
  position: number;
  type: string;
  streamName: string;
  data: Record<string, unknown>;
  room: LiveRoom;
}

export interface PresenceUser {
  id: string;
  displayName: string;
}

/**
 * Who views a topic or a document now, sorted by name: at most 100 people in `users`, and
 * `count` of them all. `version` grows with every change of the room's presence (across
 * processes): a client keeps the message with the highest one.
 */
export interface PresenceMessage {
  room: LiveRoom;
  users: PresenceUser[];
  count: number;
  version: number;
}

export type NotificationKind = 'reply' | 'mention' | 'join_approved' | 'solution';

export interface NotificationMessage {
  id: string;
  kind: NotificationKind;
  position: number;
  spaceId: string;
  topicId?: string;
  documentId?: string;
  by: string;
  at: string;
}

export type LiveErrorCode = 'VALIDATION' | 'NOT_FOUND' | 'FORBIDDEN' | 'RATE_LIMITED' | 'TOO_MANY_ROOMS' | 'UNAVAILABLE';

export interface LiveError {
  code: LiveErrorCode;
  message: string;
  /** The request field at fault, for VALIDATION. */
  field?: string;
}

export interface SubscribeRequest {
  room: string;
  /** A log position: every event of the room after it is sent first, in order. */
  since?: number;
}

/** `position`: the room is caught up to it; live events follow, each with a greater position. */
export type SubscribeAck = { ok: true; position: number } | { ok: false; error: LiveError };

export interface UnsubscribeRequest {
  room: string;
}

export type UnsubscribeAck = { ok: true } | { ok: false; error: LiveError };

/** The server is stopping: it disconnects this socket next; connect again after about `reconnectInMs`. */
export interface ShutdownHint {
  reconnectInMs: number;
}

export interface ServerToClientEvents {
  event: (message: LiveEventMessage) => void;
  presence: (message: PresenceMessage) => void;
  notification: (message: NotificationMessage) => void;
  shutdown: (hint: ShutdownHint) => void;
}

export interface ClientToServerEvents {
  subscribe: (request: SubscribeRequest, ack: (answer: SubscribeAck) => void) => void;
  unsubscribe: (request: UnsubscribeRequest, ack?: (answer: UnsubscribeAck) => void) => void;
}
