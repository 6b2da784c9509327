import Sqlite from 'better-sqlite3';
import type {
  AppendOptions,
  AppendResult,
  EventMetadata,
  EventStore,
  EventSubscription,
  EventToAppend,
  ExpectedRevision,
  ReadAllOptions,
  ReadStreamOptions,
  RecordedEvent,
  StoreHealth,
  SubscribeToAllOptions,
} from '../event-store.js';
import { EventStoreClosedError } from '../errors.js';
import { positionsToRead } from '../read-positions.js';
import { prepareAppend, type PreparedEvent } from '../append-validation.js';
import { expectationHolds, resolveRetry, type ExistingEvent } from '../append-rules.js';
import { CatchUpSubscription, ChangeNotifier } from '../catch-up-subscription.js';
import { configureConnection, ensureSchema } from './sqlite-schema.js';
import { boundOf, limitOf } from './sqlite-read-options.js';

export interface SqliteEventStoreOptions {
  /** Path of the database file; created with its tables when missing. */
  filename: string;
  /** How often subscriptions look for appends made through other connections. Default 250. */
  pollIntervalMs?: number;
  /** How long to wait for another connection's write lock before failing. Default 5000. */
  busyTimeoutMs?: number;
}

/**
 * A row of es_events as an array, in EVENT_COLUMNS order: better-sqlite3's raw mode skips an
 * object per row (reading a school year's log: 19.7 -> 15 s, a third of a rebuild's reading thread).
 */
type EventRow = [position: number, streamName: string, revision: number, eventId: string, type: string, data: string, metadata: string, createdAt: number];

interface PendingAppend {
  streamName: string;
  expected: ExpectedRevision;
  events: PreparedEvent[];
  resolve(result: AppendResult): void;
  reject(error: unknown): void;
}

type Outcome = { ok: true; result: AppendResult } | { ok: false; error: unknown };

/** More appends than this in one tick are split over several transactions, keeping each short. */
const MAX_APPENDS_PER_COMMIT = 1000;
const EVENT_COLUMNS = 'position, stream_name, revision, event_id, type, data, metadata, created_at';

function toRecordedEvent(row: EventRow): RecordedEvent {
  return {
    id: row[3],
    type: row[4],
    data: JSON.parse(row[5]) as unknown,
    metadata: JSON.parse(row[6]) as EventMetadata,
    streamName: row[1],
    revision: row[2],
    position: row[0],
    createdAt: new Date(row[7]),
  };
}

/**
 * The embedded event log: one SQLite file in WAL mode, shareable by several processes.
 *
 * Appends are group-committed: each is validated at once, queued, and every append queued in
 * the same tick is written in one transaction (one fsync) on the next. Each append is checked
 * against its own expectation inside that transaction, so one conflict fails only its own
 * promise. A promise resolves only once its transaction is durable.
 */
export class SqliteEventStore implements EventStore {
  /** Transactions committed by this instance (a group of appends is one). */
  commitCount = 0;

  private readonly notifier = new ChangeNotifier();
  private readonly subscriptions = new Set<CatchUpSubscription>();
  private queue: PendingAppend[] = [];
  private flushHandle: NodeJS.Immediate | undefined;
  private closed = false;

  private readonly selectStream;
  private readonly selectEventById;
  private readonly insertEvent;
  private readonly upsertStream;
  private readonly readForwards;
  private readonly readBackwards;
  private readonly readAfter;
  private readonly readAt;
  private readonly selectHead;
  private readonly writeGroup;
  private readonly writeOne;

  private constructor(
    private readonly db: Sqlite.Database,
    /** Path of the database file. */
    readonly filename: string,
    private readonly pollIntervalMs: number,
  ) {
    this.selectStream = db.prepare<[string], { revision: number }>('SELECT revision FROM es_streams WHERE stream_name = ?');
    this.selectEventById = db.prepare<[string, string], ExistingEvent>(
      'SELECT event_id AS id, revision, position FROM es_events WHERE stream_name = ? AND event_id = ?',
    );
    this.insertEvent = db.prepare<[string, number, string, string, string, string, number]>(
      `INSERT INTO es_events (stream_name, revision, event_id, type, data, metadata, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
    );
    this.upsertStream = db.prepare<[string, number, number]>(
      `INSERT INTO es_streams (stream_name, revision, position) VALUES (?, ?, ?)
       ON CONFLICT (stream_name) DO UPDATE SET revision = excluded.revision, position = excluded.position`,
    );
    this.readForwards = db.prepare<[string, number, number], EventRow>(
      `SELECT ${EVENT_COLUMNS} FROM es_events WHERE stream_name = ? AND revision >= ? ORDER BY revision ASC LIMIT ?`,
    ).raw(true);
    this.readBackwards = db.prepare<[string, number, number], EventRow>(
      `SELECT ${EVENT_COLUMNS} FROM es_events WHERE stream_name = ? AND revision <= ? ORDER BY revision DESC LIMIT ?`,
    ).raw(true);
    this.readAfter = db.prepare<[number, number], EventRow>(
      `SELECT ${EVENT_COLUMNS} FROM es_events WHERE position > ? ORDER BY position ASC LIMIT ?`,
    ).raw(true);
    // The positions as one JSON array: any number of them in one prepared statement.
    this.readAt = db.prepare<[string], EventRow>(
      `SELECT ${EVENT_COLUMNS} FROM es_events WHERE position IN (SELECT value FROM json_each(?)) ORDER BY position ASC`,
    ).raw(true);
    this.selectHead = db.prepare<[], { head: number | null }>('SELECT max(position) AS head FROM es_events');

    // Nested in writeGroup's transaction, better-sqlite3 runs this one as a SAVEPOINT: an append
    // that throws halfway is undone alone, and the rest of its group still commits.
    this.writeOne = db.transaction((append: PendingAppend, createdAt: number): AppendResult => this.write(append, createdAt));
    this.writeGroup = db.transaction((group: readonly PendingAppend[], outcomes: Outcome[]): void => {
      const createdAt = Date.now();
      for (const append of group) {
        try {
          outcomes.push({ ok: true, result: this.writeOne(append, createdAt) });
        } catch (error) {
          // Some errors (I/O, disk full) make SQLite roll the whole transaction back: then the
          // group as a whole has failed.
          if (!db.inTransaction) throw error;
          outcomes.push({ ok: false, error });
        }
      }
    });
  }

  /** Opens (and creates if needed) the log in `filename`. */
  static open(options: SqliteEventStoreOptions): SqliteEventStore {
    const pollIntervalMs = options.pollIntervalMs ?? 250;
    const busyTimeoutMs = options.busyTimeoutMs ?? 5000;
    if (!(pollIntervalMs > 0)) throw new RangeError(`pollIntervalMs must be > 0 (got ${pollIntervalMs})`);
    if (!(busyTimeoutMs >= 0)) throw new RangeError(`busyTimeoutMs must be >= 0 (got ${busyTimeoutMs})`);
    const db = new Sqlite(options.filename, { timeout: busyTimeoutMs });
    try {
      configureConnection(db, { busyTimeoutMs });
      ensureSchema(db);
      return new SqliteEventStore(db, options.filename, pollIntervalMs);
    } catch (error) {
      db.close();
      throw error;
    }
  }

  async appendToStream(
    streamName: string,
    events: readonly EventToAppend[],
    options: AppendOptions = {},
  ): Promise<AppendResult> {
    if (this.closed) throw new EventStoreClosedError();
    const expected = options.expectedRevision ?? 'any';
    const prepared = prepareAppend(streamName, events, expected);
    return new Promise<AppendResult>((resolve, reject) => {
      this.queue.push({ streamName, expected, events: prepared, resolve, reject });
      this.flushHandle ??= setImmediate(() => this.flush());
    });
  }

  async readStream(streamName: string, options: ReadStreamOptions = {}): Promise<RecordedEvent[]> {
    this.assertOpen();
    const limit = limitOf(options.maxCount);
    const rows =
      options.direction === 'backwards'
        ? this.readBackwards.all(streamName, boundOf(options.fromRevision, 'fromRevision', Number.MAX_SAFE_INTEGER), limit)
        : this.readForwards.all(streamName, boundOf(options.fromRevision, 'fromRevision', 0), limit);
    return rows.map(toRecordedEvent);
  }

  async readAll(options: ReadAllOptions = {}): Promise<RecordedEvent[]> {
    this.assertOpen();
    return this.readAllSync(boundOf(options.fromPosition, 'fromPosition', 0), limitOf(options.maxCount));
  }

  async readEvents(positions: readonly number[]): Promise<RecordedEvent[]> {
    this.assertOpen();
    const wanted = positionsToRead(positions);
    if (wanted.length === 0) return [];
    return this.readAt.all(JSON.stringify(wanted)).map(toRecordedEvent);
  }

  subscribeToAll(options: SubscribeToAllOptions = {}): EventSubscription {
    this.assertOpen();
    const fromPosition = boundOf(options.fromPosition, 'fromPosition', 0);
    const source = {
      readAfter: async (position: number, maxCount: number) => this.readAllSync(position, maxCount),
      notifier: this.notifier,
      pollIntervalMs: this.pollIntervalMs,
    };
    const subscription = new CatchUpSubscription(source, fromPosition);
    this.subscriptions.add(subscription);
    const forget = (): boolean => this.subscriptions.delete(subscription);
    return {
      close: async () => {
        forget();
        await subscription.close();
      },
      async *[Symbol.asyncIterator]() {
        try {
          yield* subscription;
        } finally {
          forget();
        }
      },
    };
  }

  async streamRevision(streamName: string): Promise<number> {
    this.assertOpen();
    return this.selectStream.get(streamName)?.revision ?? -1;
  }

  async headPosition(): Promise<number> {
    this.assertOpen();
    return this.selectHead.get()?.head ?? 0;
  }

  async health(): Promise<StoreHealth> {
    if (this.closed) return { status: 'down', adapter: 'sqlite', detail: 'closed' };
    try {
      return { status: 'up', adapter: 'sqlite', lastPosition: this.selectHead.get()?.head ?? 0 };
    } catch (error) {
      return { status: 'down', adapter: 'sqlite', detail: (error as Error).message };
    }
  }

  /** Commits what is queued, ends the subscriptions, then closes the file. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    while (this.queue.length > 0) this.flush();
    await Promise.all([...this.subscriptions].map((subscription) => subscription.close()));
    this.subscriptions.clear();
    this.db.close();
  }

  private assertOpen(): void {
    if (this.closed) throw new EventStoreClosedError();
  }

  private readAllSync(afterPosition: number, limit: number): RecordedEvent[] {
    if (!this.db.open) throw new EventStoreClosedError();
    return this.readAfter.all(afterPosition, limit).map(toRecordedEvent);
  }

  private flush(): void {
    if (this.flushHandle !== undefined) {
      clearImmediate(this.flushHandle);
      this.flushHandle = undefined;
    }
    const group = this.queue.splice(0, MAX_APPENDS_PER_COMMIT);
    if (this.queue.length > 0) this.flushHandle = setImmediate(() => this.flush());
    if (group.length === 0) return;

    const outcomes: Outcome[] = [];
    try {
      // IMMEDIATE takes the write lock up front (waiting up to busy_timeout for other
      // connections), so no read-then-upgrade deadlock can fail the group halfway.
      this.writeGroup.immediate(group, outcomes);
    } catch (error) {
      for (const append of group) append.reject(error);
      return;
    }
    this.commitCount++;
    this.notifier.notify();
    group.forEach((append, index) => {
      const outcome = outcomes[index]!;
      if (outcome.ok) append.resolve(outcome.result);
      else append.reject(outcome.error);
    });
  }

  /** One append inside the group's transaction; it sees the appends written before it. */
  private write(append: PendingAppend, createdAt: number): AppendResult {
    const { streamName, expected, events } = append;
    const current = this.selectStream.get(streamName)?.revision ?? -1;
    if (!expectationHolds(expected, current) || (current >= 0 && this.anyAlreadyStored(streamName, events))) {
      return resolveRetry(
        streamName,
        expected,
        current,
        events.map((event) => event.id),
        this.storedEvents(streamName, events, current),
      );
    }
    let revision = current;
    let position = 0;
    for (const event of events) {
      revision++;
      const { lastInsertRowid } = this.insertEvent.run(
        streamName,
        revision,
        event.id,
        event.type,
        event.dataJson,
        event.metadataJson,
        createdAt,
      );
      position = Number(lastInsertRowid);
    }
    this.upsertStream.run(streamName, revision, position);
    return { nextExpectedRevision: revision, position };
  }

  private anyAlreadyStored(streamName: string, events: readonly PreparedEvent[]): boolean {
    return events.some((event) => this.selectEventById.get(streamName, event.id) !== undefined);
  }

  private storedEvents(streamName: string, events: readonly PreparedEvent[], current: number): Map<string, ExistingEvent> {
    const stored = new Map<string, ExistingEvent>();
    if (current < 0) return stored;
    for (const event of events) {
      const row = this.selectEventById.get(streamName, event.id);
      if (row) stored.set(event.id, row);
    }
    return stored;
  }
}
