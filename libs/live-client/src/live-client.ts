import { io, type ManagerOptions, type Socket, type SocketOptions } from 'socket.io-client';
import {
  LIVE_NAMESPACE,
  type ClientToServerEvents,
  type LiveEventMessage,
  type LiveRoom,
  type NotificationMessage,
  type PresenceMessage,
  type ServerToClientEvents,
  type SubscribeAck,
} from './protocol.js';

export interface LiveClientOptions {
  /** The server's origin, e.g. https://ruche.ac-nice.fr (the namespace is added). */
  url: string;
  /** Headers for clients outside a browser (a Cookie with the session, an Origin). */
  headers?: Record<string, string>;
  /** Passed to socket.io-client as they are (transports, reconnection delays…). */
  socket?: Partial<ManagerOptions & SocketOptions>;
}

type Listeners = {
  event: (message: LiveEventMessage) => void;
  presence: (message: PresenceMessage) => void;
  notification: (message: NotificationMessage) => void;
  /** A room the server refused when the client subscribed again after a reconnect. */
  refused: (room: LiveRoom, answer: SubscribeAck) => void;
};

interface RoomState {
  /** The last position this client has of the room: what it asks `since` after a reconnect. */
  last: number;
  presenceVersion: number;
}

/**
 * A typed client of the live protocol for the web app and the tests. It keeps the last position
 * it received per room and, after a reconnect, subscribes again with `since` = that position, so
 * that nothing is missed and nothing is seen twice (messages at or before the last position are
 * dropped). It does not rely on socket.io's connection-state recovery.
 */
export class LiveClient {
  readonly socket: Socket<ServerToClientEvents, ClientToServerEvents>;
  private readonly rooms = new Map<LiveRoom, RoomState>();
  private readonly listeners: { [K in keyof Listeners]: Set<Listeners[K]> } = {
    event: new Set(),
    presence: new Set(),
    notification: new Set(),
    refused: new Set(),
  };
  private connectedOnce = false;
  /** Set by the server's shutdown hint: the disconnect that follows is a restart, not a refusal. */
  private reconnectInMs: number | undefined;
  private reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  /** Reconnections scheduled after a server's shutdown hint (for tests and status displays). */
  reconnectsAfterShutdown = 0;

  constructor(options: LiveClientOptions) {
    const headers = options.headers ?? {};
    this.socket = io(`${options.url.replace(/\/$/, '')}${LIVE_NAMESPACE}`, {
      autoConnect: false,
      extraHeaders: headers,
      transportOptions: { polling: { extraHeaders: headers }, websocket: { extraHeaders: headers } },
      ...options.socket,
    });
    this.socket.on('connect', () => {
      if (this.connectedOnce) void this.resubscribe();
      this.connectedOnce = true;
    });
    this.socket.on('event', (message) => {
      const room = this.rooms.get(message.room);
      if (!room || message.position <= room.last) return;
      room.last = message.position;
      for (const listener of this.listeners.event) listener(message);
    });
    this.socket.on('notification', (message) => {
      const room = this.rooms.get('user:me');
      if (!room || message.position <= room.last) return;
      room.last = message.position;
      for (const listener of this.listeners.notification) listener(message);
    });
    this.socket.on('shutdown', (hint) => {
      this.reconnectInMs = Math.max(0, Math.min(Number(hint?.reconnectInMs) || 1000, 60_000));
    });
    // A server-side disconnect is final for socket.io-client; after a shutdown hint it is a restart
    // (another process or the new one takes over): connect again, spread over the hinted delay.
    this.socket.on('disconnect', (reason) => {
      if (reason !== 'io server disconnect' || this.reconnectInMs === undefined) return;
      const delay = this.reconnectInMs * (0.5 + Math.random());
      this.reconnectInMs = undefined;
      this.reconnectsAfterShutdown++;
      this.reconnectTimer = setTimeout(() => this.socket.connect(), delay);
    });
    this.socket.on('presence', (message) => {
      const room = this.rooms.get(message.room);
      if (!room || message.version <= room.presenceVersion) return;
      room.presenceVersion = message.version;
      for (const listener of this.listeners.presence) listener(message);
    });
  }

  /** Connects; resolves once connected, rejects with the server's refusal (no session, origin). */
  connect(): Promise<void> {
    if (this.socket.connected) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const done = (): void => {
        this.socket.off('connect_error', failed);
        resolve();
      };
      const failed = (error: Error): void => {
        this.socket.off('connect', done);
        this.socket.disconnect();
        reject(error);
      };
      this.socket.once('connect', done);
      this.socket.once('connect_error', failed);
      this.socket.connect();
    });
  }

  /**
   * Subscribes to `room`; with `since`, the room's events after that position come first. The
   * room is remembered (and subscribed again after a reconnect) only when the server accepts it.
   */
  async subscribe(room: LiveRoom, since?: number): Promise<SubscribeAck> {
    const known = this.rooms.get(room);
    const from = since ?? known?.last;
    const state: RoomState = known ?? { last: from ?? Number.MAX_SAFE_INTEGER, presenceVersion: 0 };
    // Until the answer, events are held to `since` (or dropped when there is none).
    if (!known) this.rooms.set(room, state);
    const answer = await this.socket.emitWithAck('subscribe', from === undefined ? { room } : { room, since: from });
    if (!answer.ok) {
      if (!known) this.rooms.delete(room);
      return answer;
    }
    if (from === undefined) state.last = answer.position;
    else state.last = Math.max(state.last, answer.position);
    return answer;
  }

  async unsubscribe(room: LiveRoom): Promise<void> {
    this.rooms.delete(room);
    if (this.socket.connected) await this.socket.emitWithAck('unsubscribe', { room });
  }

  /** The last position received in `room` (undefined when not subscribed). */
  lastPosition(room: LiveRoom): number | undefined {
    return this.rooms.get(room)?.last;
  }

  on<K extends keyof Listeners>(event: K, listener: Listeners[K]): () => void {
    this.listeners[event].add(listener);
    return () => this.listeners[event].delete(listener);
  }

  /** Disconnects, keeping the rooms and positions for `connect()` again. */
  disconnect(): void {
    clearTimeout(this.reconnectTimer);
    this.socket.disconnect();
  }

  close(): void {
    this.rooms.clear();
    this.socket.disconnect();
  }

  private async resubscribe(): Promise<void> {
    for (const [room, state] of [...this.rooms]) {
      let answer: Awaited<ReturnType<typeof this.socket.emitWithAck>>;
      try {
        answer = await this.socket.emitWithAck('subscribe', { room, since: state.last });
      } catch {
        // Disconnected (or closed) before the answer: the next connection resubscribes, from `last`.
        return;
      }
      if (!answer.ok) {
        this.rooms.delete(room);
        for (const listener of this.listeners.refused) listener(room, answer);
      }
    }
  }
}
