import {
  BACKWARDS,
  END,
  FORWARDS,
  KurrentDBClient,
  START,
  excludeSystemEvents,
  type AllStreamResolvedEvent,
} from '@kurrent/kurrentdb-client';
import type {
  AppendOptions,
  AppendResult,
  EventStore,
  EventSubscription,
  EventToAppend,
  ReadAllOptions,
  ReadStreamOptions,
  RecordedEvent,
  StoreHealth,
  SubscribeToAllOptions,
} from '../event-store.js';
import { EventStoreClosedError } from '../errors.js';
import { positionsToRead } from '../read-positions.js';
import { prepareAppend } from '../append-validation.js';
import {
  isStreamNotFound,
  isSystemEvent,
  toAppendError,
  toEventData,
  toPosition,
  toReadPosition,
  toRecordedEvent,
  toStreamState,
} from './kurrentdb-mapping.js';

export interface KurrentDbEventStoreOptions {
  /** e.g. `kurrentdb://127.0.0.1:2113?tls=false` (see docker/compose.kurrentdb.yml). */
  connectionString: string;
}

/** What the adapter needs of the client's `$all` subscription (a Node.js Readable). */
export interface ClientAllSubscription extends AsyncIterable<AllStreamResolvedEvent> {
  unsubscribe(): Promise<void>;
  destroy(): void;
  on(event: 'error', listener: (error: Error) => void): unknown;
}

/**
 * A `$all` catch-up subscription in the port's shape: the server reads history then goes live;
 * this side maps events, skips the server's own events, and ends cleanly on close() or when
 * the consumer breaks out of its loop.
 */
export class KurrentDbSubscription implements EventSubscription {
  private closed = false;
  private failure: Error | undefined;

  constructor(
    private readonly source: ClientAllSubscription,
    private readonly fromPosition: number,
    private readonly onClose: (subscription: KurrentDbSubscription) => void = () => undefined,
  ) {
    // The client emits 'error' itself; without a listener before iteration starts, an error
    // (server gone, access denied) would crash the process instead of reaching the consumer.
    source.on('error', (error) => {
      this.failure ??= error;
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.onClose(this);
    // Destroying first ends a pending iteration at once; cancelling the call frees the server.
    this.source.destroy();
    await this.source.unsubscribe().catch(() => undefined);
  }

  async *[Symbol.asyncIterator](): AsyncIterator<RecordedEvent> {
    let last = this.fromPosition;
    try {
      if (this.failure) throw this.failure;
      for await (const resolved of this.source) {
        if (this.closed) return;
        if (!resolved.event || isSystemEvent(resolved.event)) continue;
        const event = toRecordedEvent(resolved.event, resolved.commitPosition);
        // The server starts after fromPosition already; this guards the port's promise anyway.
        if (event.position <= last) continue;
        last = event.position;
        yield event;
      }
      if (this.failure && !this.closed) throw this.failure;
    } catch (error) {
      // Destroying the stream on close() surfaces as a premature close: that is the end.
      if (this.closed) return;
      throw error;
    } finally {
      await this.close();
    }
  }
}

/**
 * The event log on KurrentDB/EventStoreDB, for deployments that already run one: a thin mapping
 * of the port onto `@kurrent/kurrentdb-client`. Expected revisions, idempotent retries and
 * WrongExpectedVersion are the server's own; `position` is the commit position; `readAll` and
 * `subscribeToAll` leave out the server's `$` events (filtered on the server) and are exclusive
 * of `fromPosition`. Appends are validated with `prepareAppend` before anything is sent.
 */
export class KurrentDbEventStore implements EventStore {
  private closed = false;
  private readonly subscriptions = new Set<KurrentDbSubscription>();

  private constructor(private readonly client: KurrentDBClient) {}

  /** Connects and checks the server answers, failing fast with the address it tried. */
  static async connect(options: KurrentDbEventStoreOptions): Promise<KurrentDbEventStore> {
    const client = KurrentDBClient.connectionString(options.connectionString);
    const store = new KurrentDbEventStore(client);
    const health = await store.health();
    if (health.status !== 'up') {
      await client.dispose().catch(() => undefined);
      throw new Error(`KurrentDB at ${redactConnectionString(options.connectionString)} is not reachable: ${health.detail ?? 'no answer'}`);
    }
    return store;
  }

  async appendToStream(streamName: string, events: readonly EventToAppend[], options: AppendOptions = {}): Promise<AppendResult> {
    this.assertOpen();
    const expected = options.expectedRevision ?? 'any';
    const prepared = prepareAppend(streamName, events, expected);
    let result;
    try {
      result = await this.client.appendToStream(streamName, prepared.map(toEventData), {
        streamState: toStreamState(expected),
      });
    } catch (error) {
      throw toAppendError(error, streamName, expected);
    }
    const nextExpectedRevision = Number(result.nextExpectedRevision);
    // The server answers the last event's commit position, or none for an idempotent retry:
    // then the batch's last event, already stored, says where it landed.
    const position = result.position
      ? toPosition(result.position.commit)
      : (await this.readStream(streamName, { fromRevision: nextExpectedRevision, maxCount: 1 }))[0]?.position;
    if (position === undefined) {
      throw new Error(`KurrentDB acknowledged an append to ${streamName} whose event ${nextExpectedRevision} cannot be read`);
    }
    return { nextExpectedRevision, position };
  }

  async readStream(streamName: string, options: ReadStreamOptions = {}): Promise<RecordedEvent[]> {
    this.assertOpen();
    if (options.maxCount === 0) return [];
    const backwards = options.direction === 'backwards';
    const events: RecordedEvent[] = [];
    try {
      for await (const resolved of this.client.readStream(streamName, {
        direction: backwards ? BACKWARDS : FORWARDS,
        fromRevision: options.fromRevision === undefined ? (backwards ? END : START) : BigInt(options.fromRevision),
        maxCount: options.maxCount ?? Number.MAX_SAFE_INTEGER,
      })) {
        if (resolved.event) events.push(toRecordedEvent(resolved.event, resolved.commitPosition));
      }
    } catch (error) {
      if (isStreamNotFound(error)) return [];
      throw error;
    }
    return events;
  }

  async readAll(options: ReadAllOptions = {}): Promise<RecordedEvent[]> {
    this.assertOpen();
    const from = options.fromPosition ?? 0;
    const wanted = options.maxCount ?? Number.MAX_SAFE_INTEGER;
    if (wanted <= 0) return [];
    const events: RecordedEvent[] = [];
    for await (const resolved of this.client.readAll({
      direction: FORWARDS,
      fromPosition: toReadPosition(from),
      // The client's start position is inclusive: one more covers the event at fromPosition.
      maxCount: Math.min(wanted + 1, Number.MAX_SAFE_INTEGER),
      filter: excludeSystemEvents(),
    })) {
      if (!resolved.event || isSystemEvent(resolved.event)) continue;
      const event = toRecordedEvent(resolved.event, resolved.commitPosition);
      if (event.position <= from) continue;
      events.push(event);
      if (events.length === wanted) break;
    }
    return events;
  }

  /** One read of $all per position, each starting at that very position (inclusive there). */
  async readEvents(positions: readonly number[]): Promise<RecordedEvent[]> {
    this.assertOpen();
    const found = await Promise.all(
      positionsToRead(positions).map(async (position) => {
        for await (const resolved of this.client.readAll({
          direction: FORWARDS,
          fromPosition: toReadPosition(position),
          maxCount: 1,
          filter: excludeSystemEvents(),
        })) {
          if (!resolved.event || isSystemEvent(resolved.event)) continue;
          const event = toRecordedEvent(resolved.event, resolved.commitPosition);
          return event.position === position ? event : undefined;
        }
        return undefined;
      }),
    );
    return found.filter((event): event is RecordedEvent => event !== undefined);
  }

  subscribeToAll(options: SubscribeToAllOptions = {}): EventSubscription {
    this.assertOpen();
    const from = options.fromPosition ?? 0;
    const source = this.client.subscribeToAll({ fromPosition: toReadPosition(from), filter: excludeSystemEvents() });
    const subscription = new KurrentDbSubscription(source, from, (s) => this.subscriptions.delete(s));
    this.subscriptions.add(subscription);
    return subscription;
  }

  async streamRevision(streamName: string): Promise<number> {
    const [last] = await this.readStream(streamName, { direction: 'backwards', maxCount: 1 });
    return last?.revision ?? -1;
  }

  async headPosition(): Promise<number> {
    this.assertOpen();
    for await (const resolved of this.client.readAll({
      direction: BACKWARDS,
      fromPosition: END,
      maxCount: 1,
      filter: excludeSystemEvents(),
    })) {
      if (resolved.event && !isSystemEvent(resolved.event)) return toRecordedEvent(resolved.event, resolved.commitPosition).position;
    }
    return 0;
  }

  /** One record read backwards from the end of `$all`: the cheapest question the server answers. */
  async health(): Promise<StoreHealth> {
    if (this.closed) return { status: 'down', adapter: 'kurrentdb', detail: 'closed' };
    try {
      for await (const resolved of this.client.readAll({ direction: BACKWARDS, fromPosition: END, maxCount: 1 })) {
        void resolved;
      }
      return { status: 'up', adapter: 'kurrentdb' };
    } catch (error) {
      return { status: 'down', adapter: 'kurrentdb', detail: (error as Error).message };
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([...this.subscriptions].map((subscription) => subscription.close()));
    await this.client.dispose();
  }

  private assertOpen(): void {
    if (this.closed) throw new EventStoreClosedError();
  }
}

/** A connection string without its credentials, for error messages. */
export function redactConnectionString(connectionString: string): string {
  return connectionString.replace(/\/\/[^@/]*@/, '//***@');
}
