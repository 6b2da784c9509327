import { setMaxListeners } from 'node:events';
import type { EventStore, RecordedEvent } from '#ruche/eventstore';
import type { SqlDatabase } from './sql-database.js';
import { SharedLog, type BatchSource, type SharedLogStats } from './shared-log.js';
import {
  advanceCheckpoint,
  clearFailure,
  ensureCheckpointTable,
  initializeProjection,
  loadCheckpoint,
  loadCheckpoints,
  markFailed,
} from './projection-checkpoints.js';
import { ProjectionProgress, type LoopState } from './projection-progress.js';
import {
  rebuildProjections,
  RebuildFailedError,
  RebuildInProgressError,
  type RebuildOptions,
  type RebuildResult,
} from './projection-rebuild.js';
import { assertValidProjection, liveTables, type PhysicalTables, type Projection } from './projection.js';
import type { ReplayThreads } from './replay-threads.js';

/** Where the runner reports what goes wrong; Nest's Logger fits. */
export interface ProjectionLogger {
  log(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export interface ProjectionRunnerOptions {
  store: EventStore;
  db: SqlDatabase;
  projections: readonly Projection[];
  /** Most events written in one transaction. Default 500. */
  batchSize?: number;
  /**
   * Most events per transaction of a rebuild (larger: fewer commits, each index page written
   * fewer times; on SQLite a batch holds the file's write lock for its duration). Default 2000.
   */
  rebuildBatchSize?: number;
  /**
   * Events per batch of a rebuild's replay where a batch holds no lock the live runner waits on:
   * in a staging area (SQLite), or on PostgreSQL (shadow tables of the rebuild's own, its claims
   * updated at each transaction's end). Larger batches fold more rows in memory and make fewer
   * round trips. Default 10,000 on SQLite, 20,000 on PostgreSQL (200 establishments, 3
   * connections: 138.5 s with batches of 2,000, 123.4 s with 20,000, 117.9 s with 50,000 for
   * 2.5 times the memory; on SQLite 100,000 gained nothing over 10,000).
   */
  stagedRebuildBatchSize?: number;
  /** A rebuild's staged replay on several threads (see ReplayThreads). Default: this thread only. */
  replayThreads?: ReplayThreads;
  /**
   * Connections a rebuild without staging area (PostgreSQL) applies each batch on, side by side,
   * each to its share of the projections. Default 3.
   */
  rebuildConnections?: number;
  logger?: ProjectionLogger;
  clock?: () => Date;
  /**
   * How often a projection this runner cannot feed (failed, or built by other code) looks at its
   * checkpoint again, to notice a rebuild done by another process. Default 5000 ms.
   */
  recheckIntervalMs?: number;
  /** A rebuild without heartbeat for this long is taken to be dead and may be taken over. Default 60000 ms. */
  rebuildStaleAfterMs?: number;
  /**
   * Several processes sharing one read store: each projection is applied by the holder of its
   * lease only; the others follow its checkpoint (so `waitForPosition` works on every process) and
   * try to take the lease over every `leaseRetryMs`. Without leases, every runner applies every
   * projection (the checkpoint check keeps that exact, but wasteful).
   */
  leases?: ProjectionLeases;
  /** How often a feed without the lease tries to take it. Default 2000 ms. */
  leaseRetryMs?: number;
  /** How often a feed without the lease reads the holder's checkpoint. Default 200 ms. */
  standbyPollMs?: number;
  /**
   * Most events the shared read of the log keeps for projections behind the fastest one; one
   * further behind reads by itself until it is back. Default 20 batches, at least 10,000 events.
   */
  logWindow?: number;
}

/** One holder per projection among the processes sharing a read store (e.g. PostgreSQL advisory locks). */
export interface ProjectionLeases {
  /** Takes the lease of `name` if nobody holds it; true when this process holds it (now or already). */
  tryAcquire(name: string): Promise<boolean>;
  /** Whether this process still holds it: false once lost (its holder's connection died). */
  holds(name: string): boolean;
  release(name: string): Promise<void>;
}

/** Events that every live projection now includes, in position order. */
export interface AppliedBatch {
  events: readonly RecordedEvent[];
  /** Position of the last event of the batch. */
  position: number;
}

export type ProjectionState = 'running' | 'failed' | 'rebuilding' | 'outdated' | 'new';

export interface ProjectionStatus {
  name: string;
  /** Version of the code. */
  version: number;
  /** Version that built the live tables (null before the first start). */
  storedVersion: number | null;
  position: number;
  /** Head minus position. */
  lag: number;
  state: ProjectionState;
  /** What this runner's own feed is doing (stopped when the runner is not started). */
  feed: LoopState;
  generation: number | null;
  updatedAt: string | null;
  error?: string;
  failedPosition?: number;
  rebuild?: { position: number; head: number | null; heartbeat: string | null };
}

export interface RunnerStatus {
  head: number;
  projections: ProjectionStatus[];
}

const consoleLogger: ProjectionLogger = {
  log: (message) => console.log(`[projections] ${message}`),
  warn: (message) => console.warn(`[projections] ${message}`),
  error: (message) => console.error(`[projections] ${message}`),
};

const MIN_RETRY_MS = 100;
const NOT_DURABLE = { durable: false } as const;
const MAX_RETRY_MS = 5000;

/** An `apply` threw on the `index`-th event of a batch. */
class ApplyFailure extends Error {
  constructor(
    readonly index: number,
    cause: unknown,
  ) {
    super('apply failed', { cause });
  }
}

/** A projection's applyBatch threw: the batch is applied again one event at a time. */
class BatchFailure extends Error {
  constructor(cause: unknown) {
    super('applyBatch failed', { cause });
  }
}

/** Waits for `ms` or for the abort signal. */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

/** One projection as this runner feeds it. */
class Feed {
  generation = 0;
  position = 0;
  batches: BatchSource | undefined;
  /** Set by reload(), cleared when the feed reads its checkpoint again. */
  reloadRequested = false;
  /** Set while a batch that failed in applyBatch is applied again one event at a time. */
  oneByOne = false;
  /** When a feed without the lease may next try to take it (ms since the epoch). */
  nextLeaseAttempt = 0;
  private wakeUp: (() => void) | undefined;
  readonly live: PhysicalTables;

  constructor(readonly projection: Projection) {
    this.live = liveTables(projection);
  }

  /** Drops the current subscription and makes the feed read its checkpoint again. */
  reload(): void {
    this.reloadRequested = true;
    void this.batches?.close();
    const wake = this.wakeUp;
    this.wakeUp = undefined;
    wake?.();
  }

  /** Waits for reload(), for `ms`, or for the abort signal. */
  pause(ms: number, signal: AbortSignal): Promise<void> {
    if (this.reloadRequested || signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        if (this.wakeUp === done) this.wakeUp = undefined;
        resolve();
      };
      this.wakeUp = done;
      void pause(ms, signal).then(done);
    });
  }
}

/**
 * Feeds each projection from the event log and keeps its checkpoint in the same transaction as
 * its read-model writes, so that each event is applied exactly once across crashes.
 *
 * The log is read once for all projections (SharedLog): each projection has a cursor from its
 * checkpoint, and takes what is ready in batches of up to `batchSize` events per transaction (one
 * event at a time once live), at its own pace. A batch's transaction starts by moving the checkpoint from where the runner
 * left it; if it is no longer there (a rebuild swapped the tables, or another runner went
 * ahead), the batch is rolled back and the feed reloads its checkpoint: several runners may
 * even feed the same read store at once.
 *
 * When `apply` throws, the projection is marked failed at the event before (logged with the
 * event's position, shown by `status()`), and the other projections go on. It is retried on
 * the next start or by `retry(name)`. A projection whose stored version differs from its code's
 * is rebuilt on start (its live tables are no longer fed meanwhile).
 */
export class ProjectionRunner {
  private readonly store: EventStore;
  private readonly db: SqlDatabase;
  private readonly feeds = new Map<string, Feed>();
  private readonly batchSize: number;
  private readonly rebuildBatchSize: number;
  private readonly stagedRebuildBatchSize: number;
  private readonly replayThreads: ReplayThreads | undefined;
  private readonly rebuildConnections: number;
  private readonly logger: ProjectionLogger;
  private readonly clock: () => Date;
  private readonly recheckIntervalMs: number;
  private readonly rebuildStaleAfterMs: number;
  private readonly progress: ProjectionProgress;
  private readonly listeners = new Set<(batch: AppliedBatch) => void>();
  private readonly tasks = new Set<Promise<void>>();
  private abort = new AbortController();
  private started = false;
  private emitting = false;
  private emitterBatches: BatchSource | undefined;
  /** One read of the log for every feed and the emitter. */
  private readonly log: SharedLog;
  /** Created once per runner: its own concurrent calls (two rebuilds at once) share the one attempt. */
  private checkpointTable: Promise<void> | undefined;
  private readonly leases: ProjectionLeases | undefined;
  private readonly leaseRetryMs: number;
  private readonly standbyPollMs: number;

  constructor(options: ProjectionRunnerOptions) {
    this.store = options.store;
    this.db = options.db;
    this.batchSize = options.batchSize ?? 500;
    this.rebuildBatchSize = options.rebuildBatchSize ?? Math.max(this.batchSize, 2000);
    this.stagedRebuildBatchSize = options.stagedRebuildBatchSize ?? Math.max(this.rebuildBatchSize, this.db.dialect === 'postgres' ? 20_000 : 10_000);
    this.replayThreads = options.replayThreads;
    this.rebuildConnections = options.rebuildConnections ?? 3;
    this.logger = options.logger ?? consoleLogger;
    this.clock = options.clock ?? (() => new Date());
    this.recheckIntervalMs = options.recheckIntervalMs ?? 5000;
    this.rebuildStaleAfterMs = options.rebuildStaleAfterMs ?? 60_000;
    this.leases = options.leases;
    this.leaseRetryMs = options.leaseRetryMs ?? 2000;
    this.standbyPollMs = options.standbyPollMs ?? 200;
    if (!Number.isSafeInteger(this.batchSize) || this.batchSize < 1) throw new RangeError('batchSize must be >= 1');
    const owners = new Map<string, string>();
    for (const projection of options.projections) {
      assertValidProjection(projection);
      if (this.feeds.has(projection.name)) throw new Error(`Two projections are named ${projection.name}`);
      for (const table of projection.tables) {
        const owner = owners.get(table);
        if (owner) throw new Error(`Table ${table} is owned by both ${owner} and ${projection.name}`);
        owners.set(table, projection.name);
      }
      this.feeds.set(projection.name, new Feed(projection));
    }
    this.progress = new ProjectionProgress([...this.feeds.keys()]);
    this.log = new SharedLog(this.store, { batchSize: this.batchSize, capacity: options.logWindow ?? Math.max(20 * this.batchSize, 10_000) });
  }

  /** What the shared read of the log did since the runner was made. */
  get logStats(): Readonly<SharedLogStats> {
    return this.log.stats;
  }

  get projections(): Projection[] {
    return [...this.feeds.values()].map((feed) => feed.projection);
  }

  /** Prepares the checkpoint table and each projection's tables, then starts feeding them. */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    this.abort = new AbortController();
    // Every feed (and the emitter) waits on this one signal at times: more than Node's default 10.
    setMaxListeners(this.feeds.size * 2 + 10, this.abort.signal);
    try {
      await this.prepare();
    } catch (error) {
      this.started = false;
      throw error;
    }
    const rows = new Map((await loadCheckpoints(this.db)).map((row) => [row.name, row]));
    const outdatedFeeds: Feed[] = [];
    for (const feed of this.feeds.values()) {
      const row = rows.get(feed.projection.name)!;
      feed.position = row.position;
      feed.generation = row.generation;
      const outdated = row.version !== feed.projection.version;
      this.progress.update(feed.projection.name, outdated ? { position: 0, state: 'outdated' } : { position: row.position, state: 'starting' });
      if (row.status === 'failed' && !outdated) {
        // A restart is the usual way to deploy a fix: give a failed projection another try.
        this.logger.warn(`Projection ${row.name} failed at position ${row.failed_position}: retrying it`);
        await clearFailure(this.db, row.name, this.now());
      }
      this.spawn(this.runFeed(feed));
      if (outdated) {
        this.logger.log(`Projection ${row.name} is at version ${row.version}, its code at ${feed.projection.version}: rebuilding it`);
        outdatedFeeds.push(feed);
      }
    }
    // All together: one read of the log for every projection to rebuild.
    if (outdatedFeeds.length > 0) this.spawn(this.rebuildOnStart(outdatedFeeds));
    if (this.listeners.size > 0) this.startEmitter();
  }

  /**
   * Runs `write` with the projections not fed, then feeds them again from their checkpoints: for
   * a bulk writer in this process (the demo's school year), each of whose thousands of small
   * appends would wake every projection for a transaction of its own, where one catch-up after
   * reads them in batches. A runner that was not started stays stopped. As at a stop, waits for
   * a position (waitForPosition) resolve false and the leases are released: for a process that
   * does not serve yet (the first start's seed, before it listens).
   */
  async pausedWhile<T>(write: () => Promise<T>): Promise<T> {
    if (!this.started) return write();
    await this.stop();
    try {
      return await write();
    } finally {
      await this.start();
    }
  }

  /** Stops feeding; transactions in flight finish (or roll back) first. */
  async stop(): Promise<void> {
    if (!this.started) return;
    this.started = false;
    this.abort.abort();
    for (const feed of this.feeds.values()) feed.reload();
    void this.emitterBatches?.close();
    this.progress.cancelAll();
    while (this.tasks.size > 0) await Promise.allSettled([...this.tasks]);
    await this.log.close();
    // Let another process take over at once rather than after its next retry.
    if (this.leases) await Promise.allSettled([...this.feeds.keys()].map((name) => this.leases!.release(name)));
    for (const name of this.feeds.keys()) this.progress.update(name, { state: 'stopped' });
    this.emitting = false;
  }

  /**
   * Resolves true once every projection (or those named) has applied `position`, false after
   * `timeoutMs`. Driven by the feeds' commits: it resolves in the same tick as the last one.
   */
  waitForPosition(position: number, timeoutMs: number, options: { projections?: readonly string[] } = {}): Promise<boolean> {
    return this.progress.waitFor(position, timeoutMs, options.projections);
  }

  /**
   * Calls `listener` with events once every live projection has committed them (failed and
   * outdated projections do not hold them back), in position order, each event once. Returns a
   * function that removes the listener.
   */
  onBatchApplied(listener: (batch: AppliedBatch) => void): () => void {
    this.listeners.add(listener);
    if (this.started) this.startEmitter();
    return () => this.listeners.delete(listener);
  }

  /** Rebuilds one projection from position 0 while the service runs (see rebuildProjection). */
  async rebuild(name: string, options: RebuildOptions = {}): Promise<RebuildResult> {
    const [result] = await this.rebuildMany([name], options);
    return result!;
  }

  /**
   * Rebuilds several projections (all of them by default) in one pass over the log: each batch
   * is read once and applied to every shadow (see rebuildProjections).
   */
  async rebuildMany(names: readonly string[] = [...this.feeds.keys()], options: RebuildOptions = {}): Promise<RebuildResult[]> {
    const feeds = names.map((name) => this.feedOf(name));
    await this.prepare();
    const results = await rebuildProjections(
      {
        db: this.db,
        store: this.store,
        projections: feeds.map((feed) => feed.projection),
        batchSize: this.rebuildBatchSize,
        stagedBatchSize: this.stagedRebuildBatchSize,
        replayThreads: this.replayThreads,
        replayConnections: this.rebuildConnections,
        clock: this.clock,
        staleAfterMs: this.rebuildStaleAfterMs,
      },
      options,
    );
    for (const result of results) {
      this.logger.log(`Projection ${result.name} rebuilt: ${result.events} events up to position ${result.position} in ${result.durationMs} ms`);
    }
    for (const feed of feeds) feed.reload();
    return results;
  }

  /** Lets a failed projection go on from its checkpoint; false when it was not failed. */
  async retry(name: string): Promise<boolean> {
    const feed = this.feedOf(name);
    const cleared = await clearFailure(this.db, name, this.now());
    feed.reload();
    return cleared;
  }

  /** Each projection's position, the head, the lag and the state, as the checkpoint table says. */
  async status(): Promise<RunnerStatus> {
    // Once per runner: status() backs /api/health, which must not run DDL on every call.
    await this.createCheckpointTable();
    const [rows, head] = await Promise.all([loadCheckpoints(this.db), this.store.headPosition()]);
    const byName = new Map(rows.map((row) => [row.name, row]));
    const staleBefore = this.clock().getTime() - this.rebuildStaleAfterMs;
    const projections = [...this.feeds.values()].map(({ projection }): ProjectionStatus => {
      const row = byName.get(projection.name);
      const position = row?.position ?? 0;
      const rebuilding =
        row?.rebuild_owner != null && row.rebuild_heartbeat != null && Date.parse(row.rebuild_heartbeat) >= staleBefore;
      const state: ProjectionState = !row
        ? 'new'
        : rebuilding
          ? 'rebuilding'
          : row.status === 'failed'
            ? 'failed'
            : row.version !== projection.version
              ? 'outdated'
              : 'running';
      const status: ProjectionStatus = {
        name: projection.name,
        version: projection.version,
        storedVersion: row?.version ?? null,
        position,
        lag: Math.max(0, head - position),
        state,
        feed: this.started ? this.progress.state(projection.name) : 'stopped',
        generation: row?.generation ?? null,
        updatedAt: row?.updated_at ?? null,
      };
      if (row?.error) status.error = row.error;
      if (row?.failed_position != null) status.failedPosition = row.failed_position;
      if (row?.rebuild_owner != null) {
        status.rebuild = { position: row.rebuild_position ?? 0, head: row.rebuild_head, heartbeat: row.rebuild_heartbeat };
      }
      return status;
    });
    return { head, projections };
  }

  private createCheckpointTable(): Promise<void> {
    this.checkpointTable ??= ensureCheckpointTable(this.db).catch((error: unknown) => {
      this.checkpointTable = undefined;
      throw error;
    });
    return this.checkpointTable;
  }

  private async prepare(): Promise<void> {
    await this.createCheckpointTable();
    for (const feed of this.feeds.values()) {
      if (await initializeProjection(this.db, feed.projection, this.now())) {
        this.logger.log(`Projection ${feed.projection.name} created: it will be built from position 0`);
      }
    }
  }

  private async runFeed(feed: Feed): Promise<void> {
    const { name } = feed.projection;
    const signal = this.abort.signal;
    let retryMs = MIN_RETRY_MS;
    while (!signal.aborted) {
      try {
        feed.reloadRequested = false;
        const row = await loadCheckpoint(this.db, name);
        if (!row) throw new Error(`Checkpoint of ${name} disappeared`);
        feed.generation = row.generation;
        feed.position = row.position;
        if (row.version !== feed.projection.version) {
          // Tables built by other code include nothing this code would have written.
          this.progress.update(name, { position: 0, state: 'outdated' });
          await feed.pause(this.recheckIntervalMs, signal);
          continue;
        }
        if (row.status === 'failed') {
          this.progress.update(name, { position: row.position, state: 'failed' });
          await feed.pause(this.recheckIntervalMs, signal);
          continue;
        }
        if (this.leases && !(await this.holdLease(feed))) {
          this.progress.update(name, { position: row.position, state: 'standby' });
          await feed.pause(this.standbyPollMs, signal);
          continue;
        }
        this.progress.update(name, { position: row.position, state: 'running' });
        await this.follow(feed, signal);
        retryMs = MIN_RETRY_MS;
      } catch (error) {
        if (signal.aborted) break;
        this.logger.warn(`Projection ${name}: ${(error as Error).message}; retrying in ${retryMs} ms`);
        await feed.pause(retryMs, signal);
        retryMs = Math.min(retryMs * 2, MAX_RETRY_MS);
      }
    }
  }

  /** Applies batches until the checkpoint moves under the feed, the projection fails, or stop. */
  private async follow(feed: Feed, signal: AbortSignal): Promise<void> {
    const batches = this.log.open(feed.position);
    feed.batches = batches;
    try {
      while (!signal.aborted && !feed.reloadRequested) {
        const events = await batches.next();
        if (!events || signal.aborted) return;
        // A lost lease (its connection died): another process may be applying it already.
        if (this.leases && !this.leases.holds(feed.projection.name)) return;
        if ((await this.applyBatch(feed, events)) !== 'applied') return;
      }
    } finally {
      feed.batches = undefined;
      await batches.close();
    }
  }

  /** Holds the feed's lease, trying to take it at most every leaseRetryMs. */
  private async holdLease(feed: Feed): Promise<boolean> {
    const name = feed.projection.name;
    if (this.leases!.holds(name)) return true;
    const now = Date.now();
    if (now < feed.nextLeaseAttempt) return false;
    feed.nextLeaseAttempt = now + this.leaseRetryMs;
    const taken = await this.leases!.tryAcquire(name);
    if (taken) this.logger.log(`Projection ${name}: lease taken, applying it here`);
    return taken;
  }

  private async applyBatch(feed: Feed, batch: readonly RecordedEvent[]): Promise<'applied' | 'stale' | 'failed'> {
    const { projection, live } = feed;
    const events = batch.filter((event) => event.position > feed.position);
    if (events.length === 0) return 'applied';
    const from = feed.position;
    const to = events[events.length - 1]!.position;
    try {
      // Not durable: a crash can only undo the batch with its checkpoint, applied again after.
      const moved = await this.db.transaction(async (tx) => {
        const args = { name: projection.name, generation: feed.generation, version: projection.version, from, to, now: this.now() };
        if (!(await advanceCheckpoint(tx, args))) return false;
        if (projection.applyBatch && events.length > 1 && !feed.oneByOne) {
          try {
            await projection.applyBatch(events, tx, live);
          } catch (error) {
            throw new BatchFailure(error);
          }
          return true;
        }
        for (let index = 0; index < events.length; index++) {
          try {
            await projection.apply(events[index]!, tx, live);
          } catch (error) {
            throw new ApplyFailure(index, error);
          }
        }
        return true;
      }, NOT_DURABLE);
      if (!moved) return 'stale';
    } catch (error) {
      if (error instanceof BatchFailure) {
        // Rolled back: apply the same events one at a time, which names the event at fault.
        feed.oneByOne = true;
        try {
          return await this.applyBatch(feed, events);
        } finally {
          feed.oneByOne = false;
        }
      }
      if (!(error instanceof ApplyFailure)) throw error;
      await this.fail(feed, events, error.index, error.cause);
      return 'failed';
    }
    feed.position = to;
    this.progress.update(projection.name, { position: to });
    return 'applied';
  }

  /**
   * Marks the projection failed with its checkpoint just before the event that threw: the
   * events of the batch before it are applied again (the failed transaction was rolled back).
   */
  private async fail(feed: Feed, events: readonly RecordedEvent[], index: number, cause: unknown): Promise<void> {
    const { projection, live } = feed;
    const event = events[index]!;
    const message = cause instanceof Error ? cause.message : String(cause);
    this.logger.error(
      `Projection ${projection.name} failed at position ${event.position} (${event.type} in ${event.streamName}): ` +
        `${cause instanceof Error ? (cause.stack ?? message) : message}`,
    );
    const before = index > 0 ? events[index - 1]!.position : feed.position;
    const failure = {
      name: projection.name,
      generation: feed.generation,
      from: feed.position,
      failedPosition: event.position,
      error: `${event.type} at position ${event.position}: ${message}`,
      now: this.now(),
    };
    let position = before;
    try {
      await this.db.transaction(async (tx) => {
        if (!(await markFailed(tx, { ...failure, to: before }))) return;
        for (const good of events.slice(0, index)) await projection.apply(good, tx, live);
      });
    } catch {
      // Applying the same events again did not give the same result: fail at the batch's start.
      position = feed.position;
      await this.db.transaction((tx) => markFailed(tx, { ...failure, to: feed.position }));
    }
    feed.position = position;
    this.progress.update(projection.name, { position, state: 'failed' });
  }

  private async rebuildOnStart(feeds: readonly Feed[]): Promise<void> {
    const signal = this.abort.signal;
    let pending = [...feeds];
    while (!signal.aborted && pending.length > 0) {
      const names = pending.map((feed) => feed.projection.name);
      try {
        await this.rebuildMany(names, { signal });
        return;
      } catch (error) {
        if (signal.aborted) return;
        if (error instanceof RebuildFailedError && pending.length > 1) {
          // One projection's bug must not keep the others outdated: each on its own then.
          this.logger.error(`${error.message}: rebuilding ${names.join(', ')} one at a time`);
          for (const feed of pending) await this.rebuildOnStart([feed]);
          return;
        }
        if (!(error instanceof RebuildInProgressError)) {
          this.logger.error(`Projections ${names.join(', ')}: rebuild to the code's version failed: ${(error as Error).message}`);
          return;
        }
        // Another process rebuilds one of them: leave it those it finished, wait for the rest.
        const still: Feed[] = [];
        for (const feed of pending) {
          const row = await loadCheckpoint(this.db, feed.projection.name);
          if (row?.version !== feed.projection.version) still.push(feed);
        }
        pending = still;
        if (pending.length === 0) return;
        this.logger.warn(`Projections ${names.join(', ')}: ${error.message}; waiting for it`);
        await pause(this.recheckIntervalMs, signal);
      }
    }
  }

  private startEmitter(): void {
    if (this.emitting) return;
    this.emitting = true;
    this.spawn(this.runEmitter());
  }

  /** Delivers events to onBatchApplied listeners once every live projection has committed them. */
  private async runEmitter(): Promise<void> {
    const signal = this.abort.signal;
    const positions = [...this.feeds.keys()].map((name) => this.progress.position(name));
    let delivered =
      this.progress.liveMinimum() ?? (positions.length > 0 ? Math.min(...positions) : await this.store.headPosition());
    let retryMs = MIN_RETRY_MS;
    while (!signal.aborted) {
      const batches = this.log.open(delivered);
      this.emitterBatches = batches;
      try {
        for (;;) {
          const batch = await batches.next();
          if (signal.aborted) return;
          if (!batch) throw new Error('the subscription ended');
          while (batch.length > 0 && !signal.aborted) {
            const min = this.progress.liveMinimum();
            let ready = batch.length;
            if (min !== undefined) {
              ready = 0;
              while (ready < batch.length && batch[ready]!.position <= min) ready++;
            }
            if (ready === 0) {
              await this.progress.nextChange(signal);
              continue;
            }
            const events = batch.splice(0, ready);
            delivered = events[events.length - 1]!.position;
            this.deliver({ events, position: delivered });
          }
          retryMs = MIN_RETRY_MS;
        }
      } catch (error) {
        if (signal.aborted) return;
        this.logger.warn(`Batch notifications: ${(error as Error).message}; retrying in ${retryMs} ms`);
        await pause(retryMs, signal);
        retryMs = Math.min(retryMs * 2, MAX_RETRY_MS);
      } finally {
        await batches.close();
      }
    }
  }

  private deliver(batch: AppliedBatch): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(batch);
      } catch (error) {
        this.logger.error(`An onBatchApplied listener threw: ${(error as Error).stack ?? String(error)}`);
      }
    }
  }

  private spawn(task: Promise<void>): void {
    const tracked = task.catch((error: unknown) => {
      this.logger.error(`Projection runner task crashed: ${(error as Error).stack ?? String(error)}`);
    });
    this.tasks.add(tracked);
    void tracked.finally(() => this.tasks.delete(tracked));
  }

  private feedOf(name: string): Feed {
    const feed = this.feeds.get(name);
    if (!feed) throw new Error(`Unknown projection ${name}`);
    return feed;
  }

  private now(): string {
    return this.clock().toISOString();
  }
}
