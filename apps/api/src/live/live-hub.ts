import { Inject, Injectable, Logger, Optional, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import type { Namespace, Socket } from 'socket.io';
import type { EventStore, RecordedEvent } from '#ruche/eventstore';
import type {
  ClientToServerEvents,
  LiveEventMessage,
  LiveRoom,
  NotificationMessage,
  ServerToClientEvents,
  SubscribeAck,
} from '#ruche/live-client';
import { UsersQueries } from '#ruche/identity/nest';
import { NotificationsReader } from '#ruche/notifications/nest';
import type { AppliedBatch, ProjectionRunner, SqlDatabase } from '#ruche/projections';
import { EVENT_STORE, PROJECTION_RUNNER, READ_DB } from '#ruche/platform';
import type { LiveSocketData, LiveUser } from './live-auth.js';
import { LiveRefusal } from './live-errors.js';
import { mayNotify, rightsChange, routeEvent, type Audience, type Routing } from './live-routing.js';
import { LiveRedis } from './live-redis.js';
import { LIVE_REDIS, PRESENCE_STORE } from './live.tokens.js';
import type { PresenceSnapshot, PresenceStore } from './presence.js';
import { parseRoom, RoomAccess, type GrantedRoom } from './room-access.js';

export type LiveNamespace = Namespace<ClientToServerEvents, ServerToClientEvents, Record<string, never>, LiveSocketData>;
export type LiveSocket = Socket<ClientToServerEvents, ServerToClientEvents, Record<string, never>, LiveSocketData>;

/** Rooms one socket may hold at once. */
export const MAX_ROOMS_PER_SOCKET = 100;
/** Replays of a space's room read the whole log after `since`: further back than this, reload instead. */
export const MAX_SPACE_REPLAY = 100_000;
/** How long a subscription waits for the read models to catch up with the log before refusing. */
const READY_WAIT_MS = 5000;
const REPLAY_PAGE = 500;
/** At most one presence message per room in this interval (see presenceChange). */
export const PRESENCE_INTERVAL_MS = 200;
/** Names in one presence message; `count` says how many people there are. */
export const PRESENCE_MAX_USERS = 100;

type Outgoing = { kind: 'event'; message: LiveEventMessage } | { kind: 'notification'; message: NotificationMessage };

interface Subscription {
  /** What the client calls it (`user:me` for everyone's own room). */
  name: LiveRoom;
  /** The socket.io room it joins: the name, or `user:<id>` for `user:me`. */
  channel: string;
  socket: LiveSocket;
  granted?: GrantedRoom;
  state: 'pending' | 'live' | 'closed';
  /** Live messages held while the replay from the store runs. */
  buffer: Outgoing[];
}

/** What one event of a batch needs to be sent: its rooms, and who in them may see it. */
interface Prepared {
  event: RecordedEvent;
  routing: Routing;
  data: Record<string, unknown>;
  allowed: (user: LiveUser) => boolean;
}

const everyone = (): boolean => true;
const isDane = (user: LiveUser): boolean => user.roles.includes('dane');

/**
 * The live rooms of this process: who is subscribed to what, and what reaches them.
 *
 * Delivery follows the projection runner's `onBatchApplied`: an event leaves only once every live
 * read model includes it, in position order, to each room it belongs to, carrying only what that
 * room may see. Every process reads the log for itself (it already does for its projections), so
 * each one delivers to its own sockets (`local`): no event depends on a message bus that could
 * drop it, and order and exactly-once come from the log's positions.
 *
 * Each subscription starts at the log's end when it arrives (`head`): this process's deliveries
 * may trail it (a process without a projection's lease follows the holder's checkpoint by
 * polling), so it waits until they include `head`, and starts from the position delivered then,
 * read between two batches. With `since`, the room's events in (since, start] are replayed from
 * the store (which knows of later deletions) while live events for it are buffered; then the
 * buffer is flushed (skipping what the replay covered) and the socket joins the room, in one
 * synchronous step: nothing before `since`, no gap, no duplicate at the seam, and nothing that
 * was already in the log when it subscribed arrives as live.
 */
@Injectable()
export class LiveHub implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('Live');
  private nsp: LiveNamespace | undefined;
  /** Every event up to here has been sent (or buffered) to the rooms it belongs to. */
  private delivered: number | undefined;
  /** The last batch seen before the first subscription fixed `delivered`. */
  private seen = 0;
  private ready: Promise<void> | undefined;
  /** Deliveries, one batch after the other; subscriptions read `delivered` between two of them. */
  private queue: Promise<void> = Promise.resolve();
  /** Subscriptions waiting for `delivered` to reach their starting point: called when it moves. */
  private readonly deliveryWaiters = new Set<() => void>();
  private stopListening: (() => void) | undefined;
  private readonly bySocket = new Map<string, Map<LiveRoom, Subscription>>();
  private readonly byChannel = new Map<string, Set<Subscription>>();
  /** How many `user:<id>` channels have subscribers here. */
  private userChannels = 0;
  /** Grows at every event that may change someone's rights: a replay that saw it checks again. */
  private rightsEpoch = 0;
  /** Rooms whose presence was told less than PRESENCE_INTERVAL_MS ago, with the change to tell next. */
  private readonly presencePending = new Map<LiveRoom, { timer: NodeJS.Timeout; latest?: PresenceSnapshot }>();
  /** Set when the process stops: sockets leaving then change presence but nothing is told any more. */
  private stopping = false;

  constructor(
    @Inject(PROJECTION_RUNNER) private readonly runner: ProjectionRunner,
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(READ_DB) private readonly db: SqlDatabase,
    @Inject(PRESENCE_STORE) private readonly presence: PresenceStore,
    private readonly access: RoomAccess,
    private readonly notifications: NotificationsReader,
    private readonly users: UsersQueries,
    @Optional() @Inject(LIVE_REDIS) private readonly redis?: LiveRedis,
  ) {}

  /** Registered before the runner starts, so its emitter starts with it and misses nothing. */
  onModuleInit(): void {
    this.stopListening = this.runner.onBatchApplied((batch) => {
      this.queue = this.queue.then(() => this.deliver(batch)).catch((error: unknown) => this.logger.error(`delivery failed: ${(error as Error).stack ?? String(error)}`));
    });
  }

  async onApplicationShutdown(): Promise<void> {
    // A presence change still under way would broadcast after Redis is closed.
    this.stopping = true;
    this.stopListening?.();
    for (const { timer } of this.presencePending.values()) clearTimeout(timer);
    this.presencePending.clear();
    await this.queue;
    await this.presence.close();
    await this.redis?.close();
  }

  attach(nsp: LiveNamespace): void {
    this.nsp = nsp;
  }

  /** The position delivered so far in this process (undefined before the first subscription). */
  get position(): number | undefined {
    return this.delivered;
  }

  /** How many subscriptions this process holds (pending and live), for tests and metrics. */
  get subscriptionCount(): number {
    let count = 0;
    for (const rooms of this.bySocket.values()) count += rooms.size;
    return count;
  }

  /** Subscribes `socket` to `request.room`; `reply` gets the acknowledgement, in order with the messages. */
  async subscribe(socket: LiveSocket, request: unknown, reply: (answer: SubscribeAck) => void): Promise<void> {
    let subscription: Subscription | undefined;
    try {
      const { room, since } = this.parseRequest(request);
      const parsed = parseRoom(room);
      const user = socket.data.user;
      await this.ensureReady();
      // Where this subscription starts: the log's end now. Whatever is in the log already is
      // history for it (replayed from the store with what is known of it since, deletions
      // included), never "live", and nothing before `since` is sent.
      const head = await this.store.headPosition();
      if (since !== undefined) {
        if (since > head) throw LiveRefusal.validation('since', `since lies in the future: the log ends at ${head}`);
        if (parsed.kind === 'space' && head - since > MAX_SPACE_REPLAY) {
          throw LiveRefusal.validation('since', `since is more than ${MAX_SPACE_REPLAY} positions back: reload the space instead`);
        }
      }
      const rooms = this.bySocket.get(socket.id) ?? new Map<LiveRoom, Subscription>();
      const previous = rooms.get(parsed.name);
      if (previous) await this.close(previous);
      else if (rooms.size >= MAX_ROOMS_PER_SOCKET) {
        throw new LiveRefusal({ code: 'TOO_MANY_ROOMS', message: `A socket holds at most ${MAX_ROOMS_PER_SOCKET} rooms` });
      }
      if (!socket.connected) return;
      subscription = {
        name: parsed.name,
        channel: parsed.kind === 'user' ? `user:${user.userId}` : parsed.name,
        socket,
        state: 'pending',
        buffer: [],
      };
      this.register(subscription);

      let epoch = this.rightsEpoch;
      const granted = await this.access.grant(parsed, user);
      subscription.granted = granted;
      // This process's deliveries may trail the log (a process without a projection's lease
      // follows its holder's checkpoint by polling): wait until they include `head`. Read
      // between two batches, so every event up to `upTo` was delivered before this
      // subscription or buffered for it, and every later one will be buffered.
      const upTo = await this.deliveredAtLeast(head, READY_WAIT_MS);
      if (upTo === undefined) throw new LiveRefusal({ code: 'UNAVAILABLE', message: 'The read models are catching up: try again shortly' });
      let cursor = upTo;
      if (since !== undefined) {
        cursor = since;
        for await (const page of this.replay(granted, user, since, upTo)) {
          if (subscription.state === 'closed') break;
          for (const out of page) {
            this.send(socket, out);
            cursor = out.message.position;
          }
        }
        cursor = Math.max(cursor, upTo);
      }
      // Rights that changed while we were reading are checked again before the room opens.
      while (epoch !== this.rightsEpoch && subscription.state !== 'closed') {
        epoch = this.rightsEpoch;
        if (!(await this.access.mayStay(granted, user))) throw LiveRefusal.noSuchRoom();
      }
      if (subscription.state === 'closed') throw LiveRefusal.noSuchRoom();
      // The seam, in one synchronous step: what was held back, then the room itself.
      for (const out of subscription.buffer) {
        if (out.message.position <= cursor) continue;
        this.send(socket, out);
        cursor = out.message.position;
      }
      subscription.buffer = [];
      subscription.state = 'live';
      void socket.join(subscription.channel);
      reply({ ok: true, position: Math.max(cursor, this.delivered!) });
      if (granted.kind === 'topic' || granted.kind === 'document') await this.presenceJoin(subscription);
    } catch (error) {
      if (subscription && subscription.state !== 'live') await this.close(subscription);
      if (error instanceof LiveRefusal) return reply({ ok: false, error: error.error });
      this.logger.error(`subscribe failed: ${(error as Error).stack ?? String(error)}`);
      reply({ ok: false, error: { code: 'UNAVAILABLE', message: 'Try again later' } });
    }
  }

  async unsubscribe(socket: LiveSocket, request: unknown): Promise<void> {
    const room = (request as { room?: unknown } | null)?.room;
    const parsed = parseRoom(room);
    const subscription = this.bySocket.get(socket.id)?.get(parsed.name);
    if (subscription) await this.close(subscription);
  }

  /** The socket is gone: its rooms and presence go with it. */
  async disconnected(socket: LiveSocket): Promise<void> {
    const rooms = this.bySocket.get(socket.id);
    if (!rooms) return;
    await Promise.all([...rooms.values()].map((subscription) => this.close(subscription)));
  }

  private parseRequest(request: unknown): { room: unknown; since?: number } {
    if (typeof request !== 'object' || request === null || Array.isArray(request)) {
      throw LiveRefusal.validation('room', 'subscribe takes { room, since? }');
    }
    const { room, since, ...rest } = request as Record<string, unknown>;
    const unknownField = Object.keys(rest)[0];
    if (unknownField !== undefined) throw LiveRefusal.validation(unknownField.slice(0, 50), `${unknownField.slice(0, 50)} is not a field of subscribe`);
    if (since === undefined) return { room };
    if (typeof since !== 'number' || !Number.isSafeInteger(since) || since < 0) {
      throw LiveRefusal.validation('since', 'since must be a log position (an integer >= 0)');
    }
    return { room, since };
  }

  /**
   * The position from which this process's deliveries are complete: the head, once every read
   * model has reached it (the runner's emitter started before, with the app).
   */
  private ensureReady(): Promise<void> {
    this.ready ??= (async () => {
      const head = await this.store.headPosition();
      if (!(await this.runner.waitForPosition(head, READY_WAIT_MS))) {
        this.ready = undefined;
        throw new LiveRefusal({ code: 'UNAVAILABLE', message: 'The read models are catching up: try again shortly' });
      }
      this.delivered = Math.max(this.delivered ?? 0, head, this.seen);
    })();
    return this.ready;
  }

  private register(subscription: Subscription): void {
    let rooms = this.bySocket.get(subscription.socket.id);
    if (!rooms) this.bySocket.set(subscription.socket.id, (rooms = new Map()));
    rooms.set(subscription.name, subscription);
    let channel = this.byChannel.get(subscription.channel);
    if (!channel) {
      this.byChannel.set(subscription.channel, (channel = new Set()));
      if (subscription.name === 'user:me') this.userChannels += 1;
    }
    channel.add(subscription);
  }

  private async close(subscription: Subscription): Promise<void> {
    if (subscription.state === 'closed') return;
    const wasLive = subscription.state === 'live';
    subscription.state = 'closed';
    subscription.buffer = [];
    const { socket, name, channel } = subscription;
    const rooms = this.bySocket.get(socket.id);
    if (rooms?.get(name) === subscription) {
      rooms.delete(name);
      if (rooms.size === 0) this.bySocket.delete(socket.id);
    }
    const subscribers = this.byChannel.get(channel);
    subscribers?.delete(subscription);
    if (subscribers?.size === 0) {
      this.byChannel.delete(channel);
      if (name === 'user:me') this.userChannels -= 1;
    }
    void socket.leave(channel);
    if (wasLive && (subscription.granted?.kind === 'topic' || subscription.granted?.kind === 'document')) {
      await this.presenceChange(name, () => this.presence.leave(name, socket.id));
    }
  }

  private send(socket: LiveSocket, out: Outgoing): void {
    if (out.kind === 'event') socket.emit('event', out.message);
    else socket.emit('notification', out.message);
  }

  private async presenceJoin(subscription: Subscription): Promise<void> {
    const { user } = subscription.socket.data;
    await this.presenceChange(subscription.name, () =>
      this.presence.join(subscription.name, subscription.socket.id, { id: user.userId, displayName: user.displayName }),
    );
  }

  /**
   * Applies a presence change and tells the room, in every process (through the adapter). A
   * storm of changes (a class opening a topic at once) is told at most every PRESENCE_INTERVAL_MS
   * per room, the latest state last; a list beyond PRESENCE_MAX_USERS names the first ones and
   * gives the `count`, so that a room of 1,000 does not send 1,000 lists of 1,000 people.
   */
  private async presenceChange(room: LiveRoom, change: () => Promise<PresenceSnapshot>): Promise<void> {
    let snapshot: PresenceSnapshot;
    try {
      snapshot = await change();
    } catch (error) {
      this.logger.warn(`presence of ${room}: ${(error as Error).message}`);
      return;
    }
    const pending = this.presencePending.get(room);
    if (pending) {
      if (!pending.latest || snapshot.version > pending.latest.version) pending.latest = snapshot;
      return;
    }
    this.tellPresence(room, snapshot);
  }

  private tellPresence(room: LiveRoom, snapshot: PresenceSnapshot): void {
    if (this.stopping) return;
    const { users, version } = snapshot;
    this.nsp?.to(room).emit('presence', { room, users: users.slice(0, PRESENCE_MAX_USERS), count: users.length, version });
    const timer = setTimeout(() => {
      const pending = this.presencePending.get(room);
      this.presencePending.delete(room);
      if (pending?.latest) this.tellPresence(room, pending.latest);
    }, PRESENCE_INTERVAL_MS);
    timer.unref();
    this.presencePending.set(room, { timer });
  }

  // ---- delivery after projection --------------------------------------------------------------

  private async deliver(batch: AppliedBatch): Promise<void> {
    try {
      await this.deliverBatch(batch);
    } finally {
      const waiters = [...this.deliveryWaiters];
      this.deliveryWaiters.clear();
      for (const waiter of waiters) waiter();
    }
  }

  /**
   * The position delivered so far, once it is at least `position` (undefined after
   * `timeoutMs`), read on the delivery queue: between two batches, never inside one, so that the
   * events up to it were all sent (or buffered) and the later ones all will be.
   */
  private deliveredAtLeast(position: number, timeoutMs: number): Promise<number | undefined> {
    return new Promise((resolve) => {
      let settled = false;
      const finish = (value: number | undefined): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        this.deliveryWaiters.delete(check);
        resolve(value);
      };
      const check = (): void => {
        this.queue = this.queue.then(() => {
          if (settled) return;
          if (this.delivered! >= position) finish(this.delivered!);
          else this.deliveryWaiters.add(check);
        });
      };
      const timer = setTimeout(() => finish(undefined), timeoutMs);
      timer.unref();
      check();
    });
  }

  private async deliverBatch(batch: AppliedBatch): Promise<void> {
    const after = this.delivered;
    if (after === undefined || this.byChannel.size === 0) {
      // Nobody listens: only the position moves.
      this.seen = Math.max(this.seen, batch.position);
      if (after !== undefined) this.delivered = Math.max(after, batch.position);
      this.rightsEpoch += batch.events.some((event) => rightsChange(event) !== undefined) ? 1 : 0;
      return;
    }
    const events = batch.events.filter((event) => event.position > after);
    if (events.length === 0) return;
    const prepared = await this.prepare(events);
    // Notifications are read only when someone in this process listens to their own room.
    const notes = this.userChannels > 0 && events.some(mayNotify) ? await this.notifications.written(after, batch.position) : [];
    let note = 0;
    for (const event of events) {
      const item = prepared.get(event.position);
      if (item) this.emit(item);
      while (note < notes.length && notes[note]!.position <= event.position) this.emitNotification(notes[note++]!);
      this.delivered = event.position;
      const change = rightsChange(event);
      if (change) await this.revalidate(change);
    }
    while (note < notes.length) this.emitNotification(notes[note++]!);
    this.delivered = Math.max(this.delivered!, batch.position);
  }

  private emit(item: Prepared): void {
    const { event, routing, data, allowed } = item;
    for (const room of routing.rooms) {
      const subscribers = this.byChannel.get(room);
      if (!subscribers) continue;
      const message: LiveEventMessage = { position: event.position, type: event.type, streamName: event.streamName, data, room };
      if (allowed === everyone) {
        this.nsp?.local.to(room).emit('event', message);
        for (const subscription of subscribers) if (subscription.state === 'pending') subscription.buffer.push({ kind: 'event', message });
        continue;
      }
      for (const subscription of subscribers) {
        if (!allowed(subscription.socket.data.user)) continue;
        if (subscription.state === 'live') subscription.socket.emit('event', message);
        else if (subscription.state === 'pending') subscription.buffer.push({ kind: 'event', message });
      }
    }
  }

  private emitNotification(note: NotificationMessage & { userId: string }): void {
    const channel = `user:${note.userId}`;
    const subscribers = this.byChannel.get(channel);
    if (!subscribers) return;
    const { userId: _recipient, ...message } = note;
    this.nsp?.local.to(channel).emit('notification', message);
    for (const subscription of subscribers) if (subscription.state === 'pending') subscription.buffer.push({ kind: 'notification', message });
  }

  /** Routes the events, resolves who may see each, and blanks the bodies of deleted posts. */
  private async prepare(events: readonly RecordedEvent[]): Promise<Map<number, Prepared>> {
    const routed = events.flatMap((event) => {
      const routing = routeEvent(event);
      return routing && routing.rooms.some((room) => this.byChannel.has(room)) ? [{ event, routing }] : [];
    });
    const prepared = new Map<number, Prepared>();
    if (routed.length === 0) return prepared;
    // A post is deleted only after it was written: a body in this batch is blanked when the
    // batch itself deletes the post (a later deletion reaches the room after it, as it happened).
    const deleted = new Set(events.flatMap((event) => (event.type === 'PostDeleted' ? [(event.data as { postId: string }).postId] : [])));
    const managers = new Map<string, Promise<Set<string>>>();
    const managersOf = (spaceId: string): Promise<Set<string>> => {
      let found = managers.get(spaceId);
      if (!found) managers.set(spaceId, (found = this.managersOf(spaceId)));
      return found;
    };
    for (const { event, routing } of routed) {
      const data = routing.postId && deleted.has(routing.postId) ? { ...(event.data as Record<string, unknown>), body: '' } : (event.data as Record<string, unknown>);
      const allowed = await this.audience(routing.audience, routing.spaceId, managersOf);
      prepared.set(event.position, { event, routing, data, allowed });
    }
    return prepared;
  }

  private async audience(audience: Audience, spaceId: string, managersOf: (spaceId: string) => Promise<Set<string>>): Promise<(user: LiveUser) => boolean> {
    switch (audience.kind) {
      case 'readers':
        return everyone;
      case 'managers': {
        const managers = await managersOf(spaceId);
        const also = new Set(audience.also);
        return (user) => isDane(user) || managers.has(user.userId) || also.has(user.userId);
      }
      case 'faq': {
        const entry = await this.faqEntryAt(audience.entryId, audience.revision);
        if (entry.published) return everyone;
        const managers = await managersOf(spaceId);
        return (user) => isDane(user) || managers.has(user.userId) || user.userId === entry.authorId;
      }
      default: {
        const unexpected: never = audience;
        throw new Error(`Unknown audience ${JSON.stringify(unexpected)}`);
      }
    }
  }

  private async managersOf(spaceId: string): Promise<Set<string>> {
    const rows = await this.db.query<{ user_id: string }>(`SELECT user_id FROM space_members WHERE space_id = $1 AND role = 'manager'`, [spaceId]);
    return new Set(rows.map((row) => row.user_id));
  }

  /** A FAQ entry as its stream tells it at `revision`: who drafted it, and whether it was published then. */
  private async faqEntryAt(entryId: string, revision: number): Promise<{ authorId?: string; published: boolean }> {
    const events = await this.store.readStream(`faq-${entryId}`, { maxCount: revision + 1 });
    let authorId: string | undefined;
    let published = false;
    for (const event of events) {
      if (event.type === 'FaqEntryDrafted') authorId = (event.data as { by: string }).by;
      else if (event.type === 'FaqEntryPublished') published = true;
      else if (event.type === 'FaqEntryUnpublished') published = false;
    }
    return { authorId, published };
  }

  private async deletedPosts(postIds: readonly string[]): Promise<Set<string>> {
    const ids = [...new Set(postIds)];
    if (ids.length === 0) return new Set();
    const placeholders = ids.map((_, i) => `$${i + 1}`).join(', ');
    const rows = await this.db.query<{ id: string }>(`SELECT id FROM forum_posts WHERE deleted = 1 AND id IN (${placeholders})`, ids);
    return new Set(rows.map((row) => row.id));
  }

  // ---- replay from the store ------------------------------------------------------------------

  /** The room's messages with a position in (since, upTo], oldest first, by pages. */
  private async *replay(room: GrantedRoom, user: LiveUser, since: number, upTo: number): AsyncGenerator<Outgoing[]> {
    if (since >= upTo) return;
    if (room.kind === 'user') {
      for (let after = since; ; ) {
        const notes = await this.notifications.between(user, after, upTo, REPLAY_PAGE);
        if (notes.length === 0) return;
        yield notes.map((message) => ({ kind: 'notification', message }));
        after = notes[notes.length - 1]!.position;
        if (notes.length < REPLAY_PAGE) return;
      }
    }
    // Posts deleted since, even after upTo (read from the topic's stream): their bodies stay home.
    const deletions = new Set<string>();
    const events = room.kind === 'space' ? this.spaceEvents(since, upTo) : this.streamEvents(`${room.kind}-${room.id}`, since, upTo, deletions);
    for await (const page of events) {
      const routed = page.flatMap((event) => {
        const routing = routeEvent(event);
        return routing?.rooms.includes(room.name) ? [{ event, routing }] : [];
      });
      if (routed.length === 0) continue;
      const deleted = await this.deletedPosts(routed.flatMap(({ routing }) => (routing.postId ? [routing.postId] : [])));
      for (const postId of deletions) deleted.add(postId);
      const managers = new Map<string, Promise<Set<string>>>();
      const managersOf = (spaceId: string): Promise<Set<string>> => {
        let found = managers.get(spaceId);
        if (!found) managers.set(spaceId, (found = this.managersOf(spaceId)));
        return found;
      };
      const out: Outgoing[] = [];
      for (const { event, routing } of routed) {
        const allowed = await this.audience(routing.audience, routing.spaceId, managersOf);
        if (!allowed(user)) continue;
        const data = routing.postId && deleted.has(routing.postId) ? { ...(event.data as Record<string, unknown>), body: '' } : (event.data as Record<string, unknown>);
        out.push({ kind: 'event', message: { position: event.position, type: event.type, streamName: event.streamName, data, room: room.name } });
      }
      if (out.length > 0) yield out;
    }
  }

  /** Every event after `since` up to `upTo`, from the whole log. */
  private async *spaceEvents(since: number, upTo: number): AsyncGenerator<RecordedEvent[]> {
    for (let after = since; after < upTo; ) {
      const page = await this.store.readAll({ fromPosition: after, maxCount: REPLAY_PAGE });
      const inRange = page.filter((event) => event.position <= upTo);
      if (inRange.length > 0) yield inRange;
      if (page.length < REPLAY_PAGE || inRange.length < page.length) return;
      after = page[page.length - 1]!.position;
    }
  }

  /** One stream's events in (since, upTo], read backwards from its end until `since`. */
  private async *streamEvents(streamName: string, since: number, upTo: number, deletions: Set<string>): AsyncGenerator<RecordedEvent[]> {
    const found: RecordedEvent[] = [];
    let from: number | undefined;
    for (;;) {
      const page = await this.store.readStream(streamName, { direction: 'backwards', maxCount: REPLAY_PAGE, ...(from !== undefined ? { fromRevision: from } : {}) });
      let reachedSince = false;
      for (const event of page) {
        if (event.position <= since) {
          reachedSince = true;
          break;
        }
        if (event.type === 'PostDeleted') deletions.add((event.data as { postId: string }).postId);
        if (event.position <= upTo) found.push(event);
      }
      const last = page[page.length - 1];
      if (reachedSince || page.length < REPLAY_PAGE || !last || last.revision === 0) break;
      from = last.revision - 1;
    }
    found.reverse();
    for (let i = 0; i < found.length; i += REPLAY_PAGE) yield found.slice(i, i + REPLAY_PAGE);
  }

  // ---- rights that change ---------------------------------------------------------------------

  /**
   * Someone's rights changed (removed, left, a space turned private, roles): every room they (or,
   * for a space, anyone) hold in this process is checked again, and those they may no longer
   * read are left at once.
   */
  private async revalidate(change: { spaceId?: string; userId?: string }): Promise<void> {
    this.rightsEpoch += 1;
    if (this.bySocket.size === 0) return;
    if (change.userId && !change.spaceId) {
      // New global roles (the dane's): the sockets' copy of the person follows.
      const row = await this.users.byId(change.userId);
      for (const socket of this.nsp?.sockets.values() ?? []) {
        if (row && socket.data.user?.userId === change.userId) socket.data.user = { ...socket.data.user, roles: row.roles };
      }
    }
    const affected: Subscription[] = [];
    for (const rooms of this.bySocket.values()) {
      for (const subscription of rooms.values()) {
        const { granted } = subscription;
        if (!granted?.spaceId || subscription.state === 'closed') continue;
        if (change.userId && subscription.socket.data.user.userId !== change.userId) continue;
        if (change.spaceId && granted.spaceId !== change.spaceId) continue;
        affected.push(subscription);
      }
    }
    const verdicts = new Map<string, Promise<boolean>>();
    for (const subscription of affected) {
      const user = subscription.socket.data.user;
      const key = `${user.userId}|${subscription.granted!.spaceId}`;
      let verdict = verdicts.get(key);
      if (!verdict) verdicts.set(key, (verdict = this.access.mayStay(subscription.granted!, user)));
      if (!(await verdict)) await this.close(subscription);
    }
  }
}
