import pg from 'pg';
import type {
  AppendOptions,
  AppendResult,
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
import { prepareAppend } from '../append-validation.js';
import type { ExistingEvent } from '../append-rules.js';
import { CatchUpSubscription, ChangeNotifier, type CatchUpSource } from '../catch-up-subscription.js';
import { planGroup, type AppendOutcome, type GroupedAppend, type GroupPlan } from './postgres-append-plan.js';
import { PostgresChangeListener } from './postgres-change-listener.js';
import { EXPECTED_CODES, eventStoreTables, migrateEventStore, type EventStoreTables } from './postgres-schema.js';

export interface PostgresEventStoreOptions {
  connectionString: string;
  /** PostgreSQL schema holding the store's tables (created if absent). Default `public`. */
  schema?: string;
  /** How long a live subscription waits for a notification before reading anyway. Default 1000. */
  pollIntervalMs?: number;
  /** Connections in the pool (one writes at a time, the others read). Default 10. */
  poolSize?: number;
}

interface QueuedAppend extends GroupedAppend {
  resolve(result: AppendResult): void;
  reject(error: unknown): void;
}

/**
 * A row of EVENT_COLUMNS as an array (pg's rowMode 'array': no object per row, as on SQLite);
 * bigints as text, created_at in epoch milliseconds.
 */
type EventRow = [position: string, streamName: string, revision: string, eventId: string, type: string, data: unknown, metadata: RecordedEvent['metadata'], createdMs: string];

interface StateRow {
  head: string;
  streams: [string, number][];
  existing: [string, string, number, number][];
}

/** The connection a group was written on, to end its server process when the connection drops. */
interface WritingBackend {
  /** Whether a connection was obtained: before that, nothing was sent. */
  connected: boolean;
  pid?: number;
}

/** How long to keep ending a lost append's backend before looking anyway. */
const LOST_BACKEND_WAIT_MS = 5000;

/** Bound one group's statement; the rest of the queue goes in the next transaction. */
const MAX_GROUP_EVENTS = 5000;
const MAX_GROUP_JSON_CHARS = 32 * 1024 * 1024;
// created_at as epoch milliseconds, truncated as pg's own date parser truncates: parsing its text
// form cost 3.4 s of a 200-establishment rebuild's Node time, and a Date holds milliseconds only.
const EVENT_COLUMNS =
  "position, stream_name, revision, event_id, type, data, metadata, (EXTRACT(EPOCH FROM date_trunc('milliseconds', created_at)) * 1000)::bigint AS created_ms";

/**
 * The PostgreSQL adapter of the event log.
 *
 * Positions: every writing transaction takes one advisory lock per schema right before it
 * reads the stream heads and inserts, and keeps it until it has committed (PostgreSQL makes a
 * commit visible before it releases the transaction's locks). Positions are therefore
 * assigned, without gaps, in the order transactions commit, across processes too: a reader
 * that sees position p sees every position below it, and a catch-up subscription reading
 * "after the last position seen" never skips a late commit.
 *
 * Throughput: concurrent appends of one process are queued and written together, one
 * transaction per group (group commit); each append is still decided on its own. A group
 * goes first to the append function (postgres-schema.ts): one autocommit statement that takes
 * the same lock and writes the group when every append can simply be written. When one cannot
 * (a conflict, a retry, an id already stored), it writes nothing and the group takes the
 * transaction path, which reads the state and decides each append (postgres-append-plan.ts).
 */
export class PostgresEventStore implements EventStore {
  private readonly notifier = new ChangeNotifier();
  private readonly listener: PostgresChangeListener;
  private readonly subscriptions = new Set<CatchUpSubscription>();
  private readonly source: CatchUpSource;
  private queue: QueuedAppend[] = [];
  private flushing?: Promise<void>;
  private flushScheduled = false;
  private closed = false;
  private closing?: Promise<void>;
  private commitCount = 0;
  private fastGroups = 0;
  private fallbacks = 0;
  private transientReadErrors = 0;
  private readonly closeSignal = new AbortController();
  private readonly sql: ReturnType<typeof statements>;

  private constructor(
    /** The store's pool: read models may share it (and the server) with the log. */
    readonly pool: pg.Pool,
    private readonly tables: EventStoreTables,
    private readonly lockKey: string,
    /** As the server sees it (the connection string may set its own). */
    private readonly applicationName: string,
    readonly pollIntervalMs: number,
    connectionString: string,
    private appendFunction: boolean,
  ) {
    this.sql = statements(tables);
    this.listener = new PostgresChangeListener({
      connectionString,
      channel: tables.channel,
      applicationName: `ruche-es-listen:${tables.schema}`.slice(0, 63),
      onChange: () => this.notifier.notify(),
    });
    this.source = {
      readAfter: (fromPosition, maxCount) => this.readForSubscription(fromPosition, maxCount),
      notifier: this.notifier,
      pollIntervalMs,
    };
  }

  /** Connects, then creates or migrates the schema's tables (safe when processes start together). */
  static async connect(options: PostgresEventStoreOptions): Promise<PostgresEventStore> {
    const { connectionString, schema = 'public', pollIntervalMs = 1000, poolSize = 10 } = options;
    if (typeof connectionString !== 'string' || connectionString === '') {
      throw new Error('PostgresEventStore: connectionString is required');
    }
    if (!(pollIntervalMs > 0)) throw new Error('PostgresEventStore: pollIntervalMs must be > 0');
    if (!Number.isSafeInteger(poolSize) || poolSize < 1) throw new Error('PostgresEventStore: poolSize must be >= 1');
    const tables = eventStoreTables(schema);
    const pool = new pg.Pool({
      connectionString,
      max: poolSize,
      application_name: `ruche-es:${schema}`.slice(0, 63),
      connectionTimeoutMillis: 10_000,
      // A transaction left open by a stuck process would hold the append lock, and so every
      // writer of the schema, for ever: the server ends it instead.
      idle_in_transaction_session_timeout: 60_000,
    });
    // An idle connection the server dropped is discarded by the pool; the next query opens a
    // new one. Without a listener, that 'error' would crash the process.
    pool.on('error', () => undefined);
    try {
      const migrated = await migrateEventStore(pool, tables);
      const { rows } = await pool.query<{ key: string; app: string }>(
        `SELECT ${tables.appendLockKey}::text AS key, current_setting('application_name') AS app`,
      );
      const { key, app } = rows[0];
      return new PostgresEventStore(pool, tables, key, app, pollIntervalMs, connectionString, migrated.appendFunction);
    } catch (error) {
      await pool.end().catch(() => undefined);
      throw error;
    }
  }

  get schema(): string {
    return this.tables.schema;
  }

  /** Transactions that wrote events, since this instance connected (one per group). */
  get commits(): number {
    return this.commitCount;
  }

  /** Groups written by the append function, in one round trip. */
  get fastPathGroups(): number {
    return this.fastGroups;
  }

  /**
   * Groups decided on the transaction path: handed back by the append function (which wrote
   * nothing), sent there directly because they retry ids of their own group, or any group
   * once the fast path is off.
   */
  get fallbackGroups(): number {
    return this.fallbacks;
  }

  /** Whether groups still go to the append function first (not when it is missing or newer than this code). */
  get fastPathEnabled(): boolean {
    return this.appendFunction;
  }

  /** Subscription reads that failed on a lost connection and were retried. */
  get retriedReads(): number {
    return this.transientReadErrors;
  }

  appendToStream(streamName: string, events: readonly EventToAppend[], options?: AppendOptions): Promise<AppendResult> {
    if (this.closed) return Promise.reject(new EventStoreClosedError());
    let append: GroupedAppend;
    try {
      append = prepareGroupedAppend(streamName, events, options?.expectedRevision ?? 'any');
    } catch (error) {
      return Promise.reject(error);
    }
    return new Promise<AppendResult>((resolve, reject) => {
      this.queue.push({ ...append, resolve, reject });
      this.scheduleFlush();
    });
  }

  /**
   * Appends inside a transaction the caller holds open on `client` (BEGIN already sent), with
   * the same rules and SQL as appendToStream; the events become visible when the caller
   * commits. The append lock is held until then: every other writer of the schema waits, so
   * keep such transactions short, and never await this store's appendToStream inside one (it
   * would wait for the lock the caller holds: a deadlock PostgreSQL cannot see). On error the
   * caller's transaction is left usable (the append runs in a savepoint). Subscribers learn of
   * the commit through NOTIFY.
   */
  async appendWithin(
    client: pg.ClientBase,
    streamName: string,
    events: readonly EventToAppend[],
    options?: AppendOptions,
  ): Promise<AppendResult> {
    if (this.closed) throw new EventStoreClosedError();
    const append = prepareGroupedAppend(streamName, events, options?.expectedRevision ?? 'any');
    await client.query('SAVEPOINT ruche_es_append');
    try {
      const plan = await this.planAndWrite(client, [append], '');
      await client.query('RELEASE SAVEPOINT ruche_es_append');
      const outcome = plan.outcomes[0];
      if (!outcome.ok) throw outcome.error;
      return outcome.result;
    } catch (error) {
      await client.query('ROLLBACK TO SAVEPOINT ruche_es_append').catch(() => undefined);
      throw error;
    }
  }

  async readStream(streamName: string, options: ReadStreamOptions = {}): Promise<RecordedEvent[]> {
    this.assertOpen();
    const { direction = 'forwards', fromRevision, maxCount } = options;
    assertCount('maxCount', maxCount);
    assertCount('fromRevision', fromRevision);
    if (maxCount === 0) return [];
    const { rows } = await this.pool.query<EventRow>({
      text: direction === 'backwards' ? this.sql.readStreamBackwards : this.sql.readStreamForwards,
      values: [streamName, fromRevision ?? null, maxCount ?? null],
      rowMode: 'array',
    });
    return rows.map(toRecordedEvent);
  }

  async readAll(options: ReadAllOptions = {}): Promise<RecordedEvent[]> {
    this.assertOpen();
    const { fromPosition = 0, maxCount } = options;
    assertCount('maxCount', maxCount);
    assertCount('fromPosition', fromPosition);
    if (maxCount === 0) return [];
    const { rows } = await this.pool.query<EventRow>({ text: this.sql.readAll, values: [fromPosition, maxCount ?? null], rowMode: 'array' });
    return rows.map(toRecordedEvent);
  }

  async readEvents(positions: readonly number[]): Promise<RecordedEvent[]> {
    this.assertOpen();
    const wanted = positionsToRead(positions);
    if (wanted.length === 0) return [];
    const { rows } = await this.pool.query<EventRow>({ text: this.sql.readEvents, values: [wanted], rowMode: 'array' });
    return rows.map(toRecordedEvent);
  }

  subscribeToAll(options: SubscribeToAllOptions = {}): EventSubscription {
    this.assertOpen();
    const fromPosition = options.fromPosition ?? 0;
    assertCount('fromPosition', fromPosition);
    this.listener.start();
    const inner = new CatchUpSubscription(this.source, fromPosition);
    const subscriptions = this.subscriptions;
    subscriptions.add(inner);
    return {
      async close(): Promise<void> {
        subscriptions.delete(inner);
        await inner.close();
      },
      async *[Symbol.asyncIterator](): AsyncIterator<RecordedEvent> {
        try {
          yield* inner;
        } finally {
          subscriptions.delete(inner);
        }
      },
    };
  }

  async streamRevision(streamName: string): Promise<number> {
    this.assertOpen();
    const { rows } = await this.pool.query<{ revision: string }>(this.sql.streamRevision, [streamName]);
    return rows.length === 0 ? -1 : Number(rows[0].revision);
  }

  async headPosition(): Promise<number> {
    this.assertOpen();
    const { rows } = await this.pool.query<{ head: string }>(this.sql.head);
    return Number(rows[0].head);
  }

  async health(): Promise<StoreHealth> {
    if (this.closed) return { status: 'down', adapter: 'postgres', detail: 'closed' };
    try {
      return { status: 'up', adapter: 'postgres', lastPosition: await this.headPosition() };
    } catch (error) {
      return { status: 'down', adapter: 'postgres', detail: (error as Error).message };
    }
  }

  /** Writes what is queued, ends subscriptions, the listener and the pool. Idempotent. */
  close(): Promise<void> {
    if (!this.closing) {
      this.closed = true;
      this.closeSignal.abort();
      this.closing = (async () => {
        await Promise.all([...this.subscriptions].map((s) => s.close()));
        this.subscriptions.clear();
        while (this.queue.length > 0 || this.flushScheduled || this.flushing) {
          await (this.flushing ?? new Promise((resolve) => setImmediate(resolve)));
        }
        await this.listener.stop();
        await this.pool.end();
      })();
    }
    return this.closing;
  }

  /**
   * A subscription outlives a dropped connection or a server restart: it reads again, with
   * backoff, until the store is closed. Other errors end it, as they should.
   */
  private async readForSubscription(fromPosition: number, maxCount: number): Promise<RecordedEvent[]> {
    for (let delay = 50; ; delay = Math.min(delay * 2, 5000)) {
      if (this.closed) return [];
      try {
        return await this.readAll({ fromPosition, maxCount });
      } catch (error) {
        if (this.closed) return [];
        if (!isConnectionError(error)) throw error;
        this.transientReadErrors++;
        await new Promise<void>((resolve) => {
          const timer = setTimeout(done, delay);
          const signal = this.closeSignal.signal;
          function done(): void {
            clearTimeout(timer);
            signal.removeEventListener('abort', done);
            resolve();
          }
          signal.addEventListener('abort', done, { once: true });
        });
      }
    }
  }

  private assertOpen(): void {
    if (this.closed) throw new EventStoreClosedError();
  }

  /** Appends made in the same tick go together; later ones wait for the group in flight. */
  private scheduleFlush(): void {
    if (this.flushing || this.flushScheduled) return;
    this.flushScheduled = true;
    queueMicrotask(() => {
      this.flushScheduled = false;
      this.flushing = this.flushQueue();
    });
  }

  private async flushQueue(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        let events = 0;
        let chars = 0;
        let count = 0;
        while (count < this.queue.length) {
          const next = this.queue[count];
          const nextChars = next.events.reduce((sum, e) => sum + e.dataJson.length + e.metadataJson.length, 0);
          if (count > 0 && (events + next.events.length > MAX_GROUP_EVENTS || chars + nextChars > MAX_GROUP_JSON_CHARS)) break;
          events += next.events.length;
          chars += nextChars;
          count++;
        }
        await this.writeGroup(this.queue.splice(0, count));
      }
    } finally {
      this.flushing = undefined;
    }
  }

  /** Settles every append of the group; never throws. */
  private async writeGroup(group: QueuedAppend[]): Promise<void> {
    let outcomes: AppendOutcome[];
    const backend: WritingBackend = { connected: false };
    try {
      outcomes = await this.commitGroup(group, backend);
    } catch (error) {
      // The connection dropped after the group was sent: it may have committed (the answer was
      // lost), and its backend may still be running it. End that backend first, so that what
      // is stored is final, then look.
      const lost = backend.connected && isConnectionError(error);
      if (lost) await this.endLostBackend(backend);
      if (group.length === 1) {
        if (lost) await this.settleLostAppend(group[0], error);
        else group[0].reject(error);
        return;
      }
      // One append broke the transaction (or the connection dropped, maybe after committing):
      // retry each alone, checking every id, so that the others succeed or are recognised as
      // already written instead of failing with the culprit.
      for (const append of group) {
        await this.writeGroup([{ ...append, callerIds: append.events.map((e) => e.id) }]);
      }
      return;
    }
    group.forEach((append, i) => {
      const outcome = outcomes[i];
      if (outcome.ok) append.resolve(outcome.result);
      else append.reject(outcome.error);
    });
  }

  /**
   * After a lost connection, ends the backend that ran the group if it is still there (waiting
   * for the append lock, or with the statement in its input buffer): otherwise it could commit
   * after we looked and found nothing. Bounded; a failure here only leaves the outcome unknown.
   */
  private async endLostBackend(backend: WritingBackend): Promise<void> {
    if (backend.pid === undefined) return;
    const deadline = Date.now() + LOST_BACKEND_WAIT_MS;
    try {
      for (let delay = 5; Date.now() < deadline; delay = Math.min(delay * 2, 100)) {
        const { rowCount } = await this.pool.query(this.sql.endBackend, [backend.pid, this.applicationName]);
        if (rowCount === 0) return;
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    } catch {
      // The server is out of reach too: findLostAppend will fail the same way.
    }
  }

  /**
   * The append's connection dropped: did it commit? The append is atomic, so its events are
   * all in the stream (success, answered with where they landed) or none is (the original
   * error stands; a retry with the same ids is idempotent). When the server cannot be asked,
   * the original error stands too.
   */
  private async settleLostAppend(append: QueuedAppend, lostWith: unknown): Promise<void> {
    const ids = append.events.map((e) => e.id);
    let rows: { event_id: string; revision: string; position: string }[];
    try {
      ({ rows } = await this.pool.query(this.sql.findEvents, [append.streamName, ids]));
    } catch {
      return append.reject(lostWith);
    }
    if (rows.length === 0) return append.reject(lostWith);
    const found = new Map(rows.map((r) => [r.event_id, r]));
    const first = Number(found.get(ids[0])?.revision);
    if (!ids.every((id, i) => Number(found.get(id)?.revision) === first + i)) {
      const message =
        `Append to ${append.streamName} lost its connection, and ${rows.length} of its ${ids.length} events ` +
        `are stored, not in order: one atomic append cannot have done that`;
      return append.reject(new Error(message, { cause: lostWith }));
    }
    const last = found.get(ids[ids.length - 1])!;
    append.resolve({ nextExpectedRevision: Number(last.revision), position: Number(last.position) });
  }

  private async commitGroup(group: readonly GroupedAppend[], backend: WritingBackend): Promise<AppendOutcome[]> {
    const client = await this.pool.connect();
    backend.connected = true;
    backend.pid = (client as { processID?: number | null }).processID ?? undefined;
    let broken = false;
    // A connection lost while checked out also emits 'error' on the client (its query fails
    // too): unheard, that event would crash the process.
    const lost = (): void => void (broken = true);
    client.on('error', lost);
    try {
      if (this.appendFunction && !retriesWithinGroup(group)) {
        const outcomes = await this.appendFast(client, group);
        if (outcomes) {
          this.fastGroups++;
          this.commitCount++;
          this.notifier.notify();
          return outcomes;
        }
      }
      this.fallbacks++;
      // Explicit: under REPEATABLE READ the reads would use a snapshot taken before the lock.
      const plan = await this.planAndWrite(client, group, 'BEGIN ISOLATION LEVEL READ COMMITTED;');
      await client.query('COMMIT');
      if (plan.rows.length > 0) {
        this.commitCount++;
        this.notifier.notify();
      }
      return plan.outcomes;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => (broken = true));
      throw error;
    } finally {
      client.off('error', lost);
      client.release(broken);
    }
  }

  /**
   * The whole group in one autocommit statement, or undefined when the function wrote nothing
   * and the group must take the transaction path. Only caller-chosen ids are looked for, as on
   * that path: fresh UUIDv7 ids cannot be stored already (the unique index would refuse one).
   */
  private async appendFast(client: pg.ClientBase, group: readonly GroupedAppend[]): Promise<AppendOutcome[] | undefined> {
    const streams = new Array<string>(group.length);
    const expected = new Array<number>(group.length);
    const counts = new Array<number>(group.length);
    const ids: string[] = [];
    const types: string[] = [];
    const data: string[] = [];
    const metadata: string[] = [];
    const checkStreams: string[] = [];
    const checkIds: string[] = [];
    group.forEach((append, i) => {
      streams[i] = append.streamName;
      expected[i] = typeof append.expected === 'number' ? append.expected : EXPECTED_CODES[append.expected];
      counts[i] = append.events.length;
      for (const event of append.events) {
        ids.push(event.id);
        types.push(event.type);
        data.push(event.dataJson);
        metadata.push(event.metadataJson);
      }
      for (const id of append.callerIds) {
        checkStreams.push(append.streamName);
        checkIds.push(id);
      }
    });
    let revisions: string[] | null;
    try {
      const { rows } = await client.query<{ r: string[] | null }>({
        name: `${this.sql.prefix}append_fast`,
        text: this.sql.appendFast,
        values: [streams, expected, counts, ids, types, data, metadata, checkStreams, checkIds],
      });
      revisions = rows[0].r;
    } catch (error) {
      // Dropped since we connected (another deployment's migration): the transaction path
      // needs no function. The failed statement wrote nothing.
      if ((error as { code?: unknown }).code !== '42883') throw error;
      this.appendFunction = false;
      return undefined;
    }
    if (revisions === null) return undefined;
    if (revisions.length !== group.length + 1) throw new Error(`es_append_fast returned ${revisions.length} values`);
    let position = Number(revisions[0]);
    return group.map((append, i) => {
      position += append.events.length;
      return { ok: true, result: { nextExpectedRevision: Number(revisions[i + 1]), position } };
    });
  }

  /**
   * Takes the append lock, reads the heads and stored ids the group needs, decides each append
   * and inserts the rows. The lock comes first, so the reads see every earlier commit; lock and
   * reads travel as one simple-protocol message (the lock is held until commit: each round
   * trip saved shortens it), hence literals, safe here since stream names and ids are validated.
   */
  private async planAndWrite(client: pg.ClientBase, group: readonly GroupedAppend[], begin: string): Promise<GroupPlan> {
    const streams = [...new Set(group.map((a) => a.streamName))];
    const keyStreams: string[] = [];
    const keyIds: string[] = [];
    for (const append of group) {
      for (const id of append.callerIds) {
        keyStreams.push(append.streamName);
        keyIds.push(id);
      }
    }
    const results = (await client.query(
      `${begin} SELECT pg_advisory_xact_lock(${this.lockKey}); ${this.sql.state(
        arrayLiteral(streams),
        arrayLiteral(keyStreams),
        arrayLiteral(keyIds),
      )}`,
    )) as unknown as pg.QueryResult<StateRow>[];
    const rows = results[results.length - 1].rows;
    const revisions = new Map(rows[0].streams.map(([stream, revision]) => [stream, revision]));
    const existing = new Map<string, Map<string, ExistingEvent>>();
    for (const [stream, id, revision, position] of rows[0].existing) {
      let ids = existing.get(stream);
      if (!ids) existing.set(stream, (ids = new Map()));
      ids.set(id, { id, revision, position });
    }
    const plan = planGroup(group, { head: Number(rows[0].head), revisions, existing });
    if (plan.rows.length === 0) return plan;

    const n = plan.rows.length;
    const positions = new Array<number>(n);
    const names = new Array<string>(n);
    const revs = new Array<number>(n);
    const ids = new Array<string>(n);
    const types = new Array<string>(n);
    const data = new Array<string>(n);
    const metadata = new Array<string>(n);
    plan.rows.forEach((row, i) => {
      positions[i] = row.position;
      names[i] = row.streamName;
      revs[i] = row.revision;
      ids[i] = row.event.id;
      types[i] = row.event.type;
      data[i] = row.event.dataJson;
      metadata[i] = row.event.metadataJson;
    });
    const heads = [...plan.streamHeads];
    await client.query({
      name: `${this.sql.prefix}write`,
      text: this.sql.write,
      values: [
        positions,
        names,
        revs,
        ids,
        types,
        data,
        metadata,
        heads.map(([stream]) => stream),
        heads.map(([, head]) => head.revision),
        heads.map(([, head]) => head.position),
        this.tables.channel,
        String(plan.head),
      ],
    });
    return plan;
  }
}

function statements(t: EventStoreTables) {
  return {
    /** Prepared-statement names are per connection; the schema keeps two stores apart. */
    prefix: `ruche_es_${t.schema}_`,
    readStreamForwards: `SELECT ${EVENT_COLUMNS} FROM ${t.events}
      WHERE stream_name = $1 AND revision >= coalesce($2::bigint, 0) ORDER BY revision LIMIT $3`,
    readStreamBackwards: `SELECT ${EVENT_COLUMNS} FROM ${t.events}
      WHERE stream_name = $1 AND ($2::bigint IS NULL OR revision <= $2::bigint) ORDER BY revision DESC LIMIT $3`,
    readAll: `SELECT ${EVENT_COLUMNS} FROM ${t.events} WHERE position > $1 ORDER BY position LIMIT $2`,
    readEvents: `SELECT ${EVENT_COLUMNS} FROM ${t.events} WHERE position = ANY ($1::bigint[]) ORDER BY position`,
    streamRevision: `SELECT revision FROM ${t.streams} WHERE stream_name = $1`,
    head: `SELECT coalesce(max(position), 0) AS head FROM ${t.events}`,
    findEvents: `SELECT event_id, revision, position FROM ${t.events} WHERE stream_name = $1 AND event_id = ANY ($2::uuid[])`,
    // The application name guards against a pid the server gave, meanwhile, to someone else.
    endBackend: `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE pid = $1 AND application_name = $2`,
    appendFast: `SELECT ${t.appendFunction}($1::text[], $2::bigint[], $3::integer[], $4::uuid[], $5::text[], $6::text[],
      $7::text[], $8::text[], $9::uuid[]) AS r`,
    state: (streams: string, keyStreams: string, keyIds: string) => `SELECT
        (SELECT coalesce(max(position), 0) FROM ${t.events}) AS head,
        (SELECT coalesce(json_agg(json_build_array(s.stream_name, s.revision)), '[]'::json)
           FROM ${t.streams} s WHERE s.stream_name = ANY (${streams}::text[])) AS streams,
        (SELECT coalesce(json_agg(json_build_array(e.stream_name, e.event_id, e.revision, e.position)), '[]'::json)
           FROM unnest(${keyStreams}::text[], ${keyIds}::uuid[]) AS k (stream_name, event_id)
           JOIN ${t.events} e ON e.stream_name = k.stream_name AND e.event_id = k.event_id) AS existing`,
    write: `WITH written AS (
        INSERT INTO ${t.events} (position, stream_name, revision, event_id, type, data, metadata, created_at)
        SELECT u.position, u.stream_name, u.revision, u.event_id, u.type, u.data::json, u.metadata::json, clock_timestamp()
          FROM unnest($1::bigint[], $2::text[], $3::bigint[], $4::uuid[], $5::text[], $6::text[], $7::text[])
            AS u (position, stream_name, revision, event_id, type, data, metadata)
      ), heads AS (
        INSERT INTO ${t.streams} AS s (stream_name, category, revision, position, created_at, updated_at)
        SELECT h.stream_name, split_part(h.stream_name, '-', 1), h.revision, h.position, clock_timestamp(), clock_timestamp()
          FROM unnest($8::text[], $9::bigint[], $10::bigint[]) AS h (stream_name, revision, position)
        ON CONFLICT (stream_name) DO UPDATE
          SET revision = excluded.revision, position = excluded.position, updated_at = excluded.updated_at
      )
      SELECT pg_notify($11, $12)`,
  };
}

/** A text[] literal; elements are quoted and escaped, the whole literal too. */
function arrayLiteral(values: readonly string[]): string {
  return pg.escapeLiteral(`{${values.map((v) => `"${v.replace(/["\\]/g, '\\$&')}"`).join(',')}}`);
}

function prepareGroupedAppend(
  streamName: string,
  events: readonly EventToAppend[],
  expected: ExpectedRevision,
): GroupedAppend {
  // Ids come back lower-cased, as PostgreSQL gives uuids back, and checked unique in the append.
  const prepared = prepareAppend(streamName, events, expected);
  const callerIds = prepared.filter((_, i) => events[i].id !== undefined).map((e) => e.id);
  return { streamName, events: prepared, expected, callerIds };
}

/**
 * Does an append of the group repeat ids an earlier one of the group writes to the same stream?
 * Such a retry is for the plan to recognise; the function would only hit the unique index.
 */
function retriesWithinGroup(group: readonly GroupedAppend[]): boolean {
  const seen = new Set<string>();
  for (const append of group) {
    for (const id of append.callerIds) {
      const key = `${append.streamName} ${id}`;
      if (seen.has(key)) return true;
      seen.add(key);
    }
  }
  return false;
}

/** Errors after which the same read can succeed on another connection. */
function isConnectionError(error: unknown): boolean {
  const { code, message } = error as { code?: unknown; message?: unknown };
  if (typeof code === 'string') {
    if (code.startsWith('08') || ['57P01', '57P02', '57P03', '53300'].includes(code)) return true;
    if (['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND'].includes(code)) return true;
  }
  return typeof message === 'string' && /Connection terminated|timeout exceeded when trying to connect/i.test(message);
}

function assertCount(name: string, value: number | undefined): void {
  if (value !== undefined && !(Number.isSafeInteger(value) && value >= 0)) {
    throw new RangeError(`${name} must be an integer >= 0 (got ${String(value)})`);
  }
}

function toRecordedEvent(row: EventRow): RecordedEvent {
  return {
    id: row[3],
    type: row[4],
    data: row[5],
    metadata: row[6],
    streamName: row[1],
    revision: Number(row[2]),
    position: Number(row[0]),
    createdAt: new Date(Number(row[7])),
  };
}
