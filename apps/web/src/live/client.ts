import { LiveClient as ProtocolClient, type LiveEventMessage, type LiveRoom, type NotificationMessage, type PresenceMessage } from '#ruche/live-client';

export type { LiveEventMessage, LiveRoom, NotificationMessage, PresenceMessage };

/**
 * connecting: first connection under way; connected: live; reconnecting: the connection dropped
 * (or the browser went offline) and comes back by itself; unavailable: the server refused us
 * (no session) or has no live endpoint: pages still work, without live updates.
 */
export type LiveStatus = 'idle' | 'connecting' | 'connected' | 'reconnecting' | 'unavailable';

interface RoomListeners {
  events: Set<(event: LiveEventMessage) => void>;
  presence: Set<(presence: PresenceMessage) => void>;
}

/**
 * The page's one live connection, over the typed client of libs/live-client (which subscribes
 * again after a reconnect with `since` = the last position it saw: no gap, no duplicate). This
 * layer adds what a page needs: listeners per room, a status to show, and a lost network seen
 * at once (the browser's offline event) instead of after socket.io's ping timeout.
 */
export class LiveConnection {
  private client: ProtocolClient | null = null;
  private readonly rooms = new Map<LiveRoom, RoomListeners>();
  private readonly statusListeners = new Set<() => void>();
  private readonly notificationListeners = new Set<(n: NotificationMessage) => void>();
  private currentStatus: LiveStatus = 'idle';
  private everConnected = false;
  private offline = false;

  constructor() {
    if (typeof window !== 'undefined') {
      window.addEventListener('offline', () => this.goOffline());
      window.addEventListener('online', () => this.goOnline());
    }
  }

  get status(): LiveStatus {
    return this.currentStatus;
  }

  onStatus(listener: () => void): () => void {
    this.statusListeners.add(listener);
    return () => this.statusListeners.delete(listener);
  }

  onNotification(listener: (n: NotificationMessage) => void): () => void {
    this.notificationListeners.add(listener);
    this.ensureRoom('user:me');
    return () => this.notificationListeners.delete(listener);
  }

  /** Listens to a room's events and presence until the returned function is called. */
  subscribe(room: LiveRoom, onEvent: (event: LiveEventMessage) => void, onPresence?: (presence: PresenceMessage) => void): () => void {
    const listeners = this.ensureRoom(room);
    listeners.events.add(onEvent);
    if (onPresence) listeners.presence.add(onPresence);
    return () => {
      listeners.events.delete(onEvent);
      if (onPresence) listeners.presence.delete(onPresence);
      if (listeners.events.size === 0 && listeners.presence.size === 0 && room !== 'user:me') {
        this.rooms.delete(room);
        void this.client?.unsubscribe(room).catch(() => undefined);
      }
    };
  }

  /** Signing out (or in as someone else): forget every room and close. */
  close(): void {
    this.rooms.clear();
    this.client?.close();
    this.client = null;
    this.everConnected = false;
    this.setStatus('idle');
  }

  private ensureRoom(room: LiveRoom): RoomListeners {
    let listeners = this.rooms.get(room);
    if (listeners) return listeners;
    listeners = { events: new Set(), presence: new Set() };
    this.rooms.set(room, listeners);
    const client = this.ensureClient();
    if (client.socket.connected) void this.join(room);
    return listeners;
  }

  private async join(room: LiveRoom): Promise<void> {
    const client = this.client;
    if (!client) return;
    const answer = await client.subscribe(room).catch(() => null);
    // A room refused (no access) stays silent: the page works without live updates.
    if (answer && !answer.ok) this.rooms.delete(room);
  }

  private ensureClient(): ProtocolClient {
    if (this.client) return this.client;
    const client = new ProtocolClient({
      url: window.location.origin,
      socket: { withCredentials: true, reconnectionDelay: 500, reconnectionDelayMax: 4000, timeout: 8000 },
    });
    this.client = client;
    const socket = client.socket;
    socket.on('connect', () => {
      const first = !this.everConnected;
      this.everConnected = true;
      this.setStatus('connected');
      // After a reconnect the protocol client subscribes again by itself, from where it was.
      if (first) for (const room of this.rooms.keys()) void this.join(room);
    });
    socket.on('disconnect', (reason) => {
      if (reason === 'io client disconnect' && !this.offline) return;
      if (reason === 'io server disconnect') return this.setStatus('unavailable');
      this.setStatus(this.everConnected ? 'reconnecting' : 'connecting');
    });
    socket.on('connect_error', () => {
      if (this.everConnected) this.setStatus('reconnecting');
      else this.setStatus(socket.active ? 'connecting' : 'unavailable');
    });
    client.on('event', (event) => {
      for (const listener of this.rooms.get(event.room)?.events ?? []) listener(event);
    });
    client.on('presence', (presence) => {
      for (const listener of this.rooms.get(presence.room)?.presence ?? []) listener(presence);
    });
    client.on('notification', (notification) => {
      for (const listener of this.notificationListeners) listener(notification);
    });
    this.setStatus('connecting');
    socket.connect();
    return client;
  }

  private goOffline(): void {
    if (!this.client || this.offline) return;
    this.offline = true;
    this.client.disconnect();
    this.setStatus('reconnecting');
  }

  private goOnline(): void {
    if (!this.offline) return;
    this.offline = false;
    this.client?.socket.connect();
  }

  private setStatus(status: LiveStatus): void {
    if (status === this.currentStatus) return;
    this.currentStatus = status;
    for (const listener of this.statusListeners) listener();
  }
}

export const live = new LiveConnection();
