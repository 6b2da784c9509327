import { randomUUID } from 'node:crypto';
import type { EventStore, RecordedEvent } from '#ruche/eventstore';
import type { SqlDatabase, SqlDialect, SqlExecutor, StagingArea } from './sql-database.js';
import { initializeProjection, loadCheckpoint } from './projection-checkpoints.js';
import { liveTables, shadowTables, type PhysicalTables, type Projection, type ReplayFold } from './projection.js';
import { ReplayThread, ReplayThreadError, replayThreadsAvailable, shareOut, type ReplayClaim, type ReplayThreads } from './replay-threads.js';

/**
 * Reading the log and posting each batch to the other replay threads, in replay weights
 * (Projection.replayWeight): 15 s of a school year on SQLite (measured 2026-12-02).
 */
export const READ_WEIGHT: Readonly<Record<SqlDialect, number>> = { sqlite: 15, postgres: 15 };

/** Side by side on PostgreSQL: batches a connection's share may run ahead of the slowest one. */
const PIPELINE = 3;

/** On replay threads: batches posted to the other threads and not yet applied there. */
const THREAD_PIPELINE = 3;

/** Shadow tables' suffix before they were named after their generation (`<table>__rebuild`). */
const LEGACY_SHADOW_SUFFIX = '__rebuild';

export interface RebuildProgress {
  /**
   * copy: the replay is done in a staging area, whose rows are being copied in; index: the
   * indexes only queries use are being built on the shadow tables.
   */
  phase: 'replay' | 'copy' | 'index' | 'swap' | 'done';
  /** Position of the last event the shadow tables include. */
  position: number;
  /** Head of the log when last looked at. */
  head: number;
}

export interface RebuildOptions {
  onProgress?: (progress: RebuildProgress) => void;
  /** Aborting stops the rebuild between two batches; the live tables stay as they were. */
  signal?: AbortSignal;
  /**
   * Takes the claim even from a rebuild that looks alive (after a crash, rather than waiting
   * for its heartbeat to go stale). The other rebuild, if it is in fact alive, then stops.
   */
  force?: boolean;
  /**
   * Replays into the read store's staging area when it has one (SQLite), then copies the
   * tables in; false replays straight into the shadow tables. Default true.
   */
  staging?: boolean;
}

export interface RebuildResult {
  name: string;
  /** Checkpoint of the swapped-in tables. */
  position: number;
  /** Events replayed into the shadow tables. */
  events: number;
  /** Generation of the checkpoint after the swap. */
  generation: number;
  durationMs: number;
  /** Threads (SQLite) or connections (PostgreSQL) the replay ran on side by side. */
  parallelism: number;
  /**
   * Events posted to the other replay threads, each thread's counted (0 without them): only
   * those one of its projections reads (Projection.ignores).
   */
  posted: number;
}

export interface RebuildContext {
  db: SqlDatabase;
  store: EventStore;
  projection: Projection;
  batchSize: number;
  /**
   * Events per batch of a replay that holds no lock the live runner waits on (default
   * batchSize): in a staging area, or on PostgreSQL, whose shadow tables are the rebuild's own
   * and whose claims are updated at each transaction's end. Larger batches fold more rows in
   * memory (10,000 vs 2,000: -23 % time for the notifications of 200 establishments on SQLite).
   * The swap's catch-up keeps batchSize: it runs while the live feed waits.
   */
  stagedBatchSize?: number;
  clock: () => Date;
  /** A rebuild silent for longer than this may be taken over (its process died). */
  staleAfterMs: number;
  /**
   * Replays on several threads (see ReplayThreads): in staging areas, one per thread, where the
   * read store has them (SQLite); else on PostgreSQL, a thread per replay connection, each with
   * its own (the count is then replayConnections'). Ignored for one projection, or with a count
   * of 1.
   */
  replayThreads?: ReplayThreads;
  /**
   * Connections a replay without staging area applies each batch on, side by side, each to its
   * share of the projections, on a thread each with replayThreads (PostgreSQL only; default 1).
   */
  replayConnections?: number;
}

/** Another rebuild of the projection is running (in this or another process). */
export class RebuildInProgressError extends Error {
  constructor(
    readonly projection: string,
    readonly heartbeat: string | null,
  ) {
    super(`Projection ${projection} is already being rebuilt (last sign of life ${heartbeat ?? 'unknown'})`);
    this.name = 'RebuildInProgressError';
  }
}

/** The rebuild lost its claim (another one took over) or was aborted; nothing was swapped. */
export class RebuildAbortedError extends Error {
  constructor(
    readonly projection: string,
    reason: string,
  ) {
    super(`Rebuild of ${projection} stopped: ${reason}`);
    this.name = 'RebuildAbortedError';
  }
}

/** The projection's `apply` threw during the replay; the live tables stay as they were. */
export class RebuildFailedError extends Error {
  constructor(
    readonly projection: string,
    readonly position: number,
    cause: unknown,
  ) {
    super(`Rebuild of ${projection} failed at position ${position}: ${(cause as Error)?.message ?? String(cause)}`, { cause });
    this.name = 'RebuildFailedError';
  }
}

/**
 * Rebuilds a projection from position 0 without stopping the service, possibly from another
 * process than the one running its live runner (the CLI beside the API). The checkpoint row is
 * the only coordination, so it works the same on SQLite and PostgreSQL:
 *
 * 1. Claim: `rebuild_owner` is set to a fresh token (refused while another rebuild's heartbeat
 *    is fresh), and empty shadow tables `<table>__r<generation + 1>` are created, without the
 *    indexes only queries use (Projection.createQueryIndexes).
 * 2. Replay: the log is read from 0 in batches, each applied to the shadow tables in one
 *    transaction that also records the rebuild's progress and heartbeat, and checks that the
 *    token still owns the claim. Meanwhile live runners go on writing the live tables, and
 *    queries keep reading them. Where the read store offers a staging area (SQLite), the
 *    batches go there instead (the claim is checked in a transaction of its own after each),
 *    and its tables are then copied into the shadow tables (phase `copy`).
 * 3. Index: the query indexes are built on the shadow tables; then the shadow catches up with
 *    the live checkpoints, batch by batch.
 * 4. Swap, once the shadow has caught up with the head: one transaction locks the checkpoint
 *    row, applies to the shadow whatever the live runner applied since (so a checkpoint never
 *    goes backwards), bumps the checkpoint's `generation`, sets its position to the shadow's,
 *    renames the live tables aside (`<table>__o<generation>`, dropped once the swap committed)
 *    and the shadow ones in (their indexes keep their names, whose generation the next
 *    rebuild's shadow does not reuse).
 *    Every live runner's batch transaction starts by moving the checkpoint *only if its
 *    generation and position are the ones it holds*: on PostgreSQL that statement waits for
 *    the swap's row lock, then matches nothing; on SQLite the transactions are serialised by the
 *    file's write lock. Either way the runner's batch is rolled back, and it reloads its
 *    checkpoint and resubscribes from the new position: no event is lost or applied twice.
 * A rebuild that fails or is aborted drops its shadow tables and releases its claim.
 */
export async function rebuildProjection(context: RebuildContext, options: RebuildOptions = {}): Promise<RebuildResult> {
  const { projection, ...shared } = context;
  const [result] = await rebuildProjections({ ...shared, projections: [projection] }, options);
  return result!;
}

export interface RebuildManyContext extends Omit<RebuildContext, 'projection'> {
  projections: readonly Projection[];
}

/**
 * Rebuilds several projections in one pass over the log, as rebuildProjection does for one: each
 * batch is read once and applied to every projection's shadow tables in one transaction (with
 * their progress and heartbeats), then each projection is swapped in, one after the other.
 * All or nothing for the replay: when one projection's apply throws, every claim is released
 * and the live tables stay as they were (RebuildFailedError names the projection).
 */
export async function rebuildProjections(context: RebuildManyContext, options: RebuildOptions = {}): Promise<RebuildResult[]> {
  const { db, store, projections, batchSize, clock } = context;
  const stagedBatchSize = context.stagedBatchSize ?? batchSize;
  if (projections.length === 0) return [];
  const names = projections.map((projection) => projection.name);
  if (new Set(names).size !== names.length) throw new Error(`A projection is named twice in ${names.join(', ')}`);
  const label = names.join(', ');
  const started = Date.now();
  const token = randomUUID();
  const shadows: PhysicalTables[] = [];
  const now = (): string => clock().toISOString();
  const report = (progress: RebuildProgress): void => {
    try {
      options.onProgress?.(progress);
    } catch {
      // A broken progress bar must not break the rebuild.
    }
  };
  const checkAbort = (): void => {
    if (options.signal?.aborted) throw new RebuildAbortedError(label, 'aborted');
  };
  const one = (projection: Projection): RebuildContext => ({ db, store, projection, batchSize, clock, staleAfterMs: context.staleAfterMs });
  const threadsWanted = context.replayThreads && context.replayThreads.count > 1 && projections.length > 1 ? context.replayThreads : undefined;
  if (threadsWanted && !replayThreadsAvailable(threadsWanted.source)) {
    throw new Error(`Replay threads need compiled code: ${threadsWanted.source.module} or the replay worker is missing`);
  }

  const claimed: Projection[] = [];
  try {
    for (const projection of projections) {
      await initializeProjection(db, projection, now());
      shadows.push(await claim(one(projection), token, now(), options.force ?? false));
      claimed.push(projection);
    }
  } catch (error) {
    for (const [index, projection] of claimed.entries()) await release(one(projection), token, shadows[index]!).catch(() => undefined);
    throw error;
  }
  let position = 0;
  let events = 0;
  let analyzeAt = 1_000;
  const swapped: RebuildResult[] = [];
  let staging: StagingArea | undefined;
  /** The replay went through staging areas, whose copy brought the query indexes. */
  let staged = false;
  /** Projections replayed by this thread into `staging`, by index (all of them without threads). */
  let here = projections.map((_, index) => index);
  /**
   * The other replay threads, each with its projections and its own staging area (SQLite) or
   * connection to the read store (PostgreSQL).
   */
  let threads: { thread: ReplayThread; area?: StagingArea; indices: number[]; ignored: ReadonlySet<string> }[] = [];
  let parallelism = 1;
  let posted = 0;
  /** Side by side: each connection share's last transaction (see replayBatch). */
  let tails: Promise<void>[] = [];
  /**
   * Each projection's fold for the replay from 0 (Projection.replayFold), used by the batches
   * this thread or its connections apply (replay threads keep their own); finished, and
   * emptied, before anything else is applied to the shadow tables.
   */
  let folds: (ReplayFold | undefined)[] = projections.map((projection) => projection.replayFold?.());
  let replayStopped = false;
  const stopThreads = async (): Promise<void> => {
    const stopping = threads;
    threads = [];
    for (const { thread, area } of stopping) {
      await thread.terminate().catch(() => undefined);
      await area?.dispose().catch(() => undefined);
    }
  };
  try {
    let head = await store.headPosition();
    report({ phase: 'replay', position, head });
    if (options.staging !== false && db.openStaging) {
      const others = await db.query<{ rebuild_owner: string }>(
        'SELECT DISTINCT rebuild_owner FROM projection_checkpoints WHERE rebuild_owner IS NOT NULL',
      );
      const live = others.map((row) => row.rebuild_owner);
      staging = await db.openStaging(token, live);
      if (staging && threadsWanted && staging.handOver) {
        // This thread also reads the log and posts each batch.
        const groups = shareOut(projections, threadsWanted.count, db.dialect, READ_WEIGHT[db.dialect], pinnedOf(threadsWanted, projections));
        here = groups[0]!;
        for (const indices of groups.slice(1)) {
          if (indices.length === 0) continue;
          const area = (await db.openStaging(`${token}.${threads.length + 1}`, live))!;
          try {
            const handOver = await area.handOver!();
            const thread = await ReplayThread.start({
              target: { kind: 'staging', handOver, token },
              source: threadsWanted.source,
              projections: indices.map((index) => ({ name: names[index]!, version: projections[index]!.version, tables: shadows[index]! })),
            });
            threads.push({ thread, area, indices, ignored: ignoredByAll(indices.map((index) => projections[index]!)) });
            parallelism = threads.length + 1;
          } catch (error) {
            await area.dispose().catch(() => undefined);
            throw error;
          }
        }
      }
      if (staging) {
        await staging.db.transaction(async (tx) => {
          // Without the query indexes: the copy builds them once over the copied rows.
          for (const index of here) await projections[index]!.createTables(tx, shadows[index]!);
        });
      }
    }
    /** Records progress and checks the claim of every projection, or of `only` (indices). */
    const claimHeld = async (tx: SqlExecutor, last: number, only?: readonly number[]): Promise<void> => {
      await recordClaims(tx, token, only ? only.map((index) => names[index]!) : names, { last, head, at: now() }, label);
    };

    // Without a staging area, on a read store whose transactions run side by side (PostgreSQL),
    // each batch is applied by several connections at once, each to its share of the
    // projections, in a transaction that also checks their claims: one connection leaves both
    // this process and the server waiting on the other about half of the time.
    const connections = Math.min(context.replayConnections ?? 1, projections.length);
    const connectionShares = (): number[][] | undefined =>
      db.dialect === 'postgres' && connections > 1 ? shareOut(projections, connections, db.dialect).filter((group) => group.length > 0) : undefined;
    let sideBySide = connectionShares();
    if (sideBySide) parallelism = sideBySide.length;
    // On PostgreSQL with replay threads, each of the `connections` shares replays on a thread of
    // its own: this one reads the log and applies its share (the projections pinned to it) on its
    // connection; each other thread has a connection of its own. Side by side on one thread,
    // every share's JavaScript (the projections' code, building statements, the driver, GC) ran
    // on one core, the bottleneck, with the machine 20–30 % idle; on threads it is busy.
    const connection = !staging && threadsWanted && connections > 1 && db.replayConnection ? db.replayConnection() : undefined;
    if (connection && threadsWanted) {
      const groups = shareOut(projections, connections, db.dialect, READ_WEIGHT[db.dialect], pinnedOf(threadsWanted, projections));
      sideBySide = groups[0]!.length > 0 ? [groups[0]!] : [];
      for (const indices of groups.slice(1)) {
        if (indices.length === 0) continue;
        const thread = await ReplayThread.start({
          target: { kind: 'connection', connection, token },
          source: threadsWanted.source,
          projections: indices.map((index) => ({ name: names[index]!, version: projections[index]!.version, tables: shadows[index]! })),
        });
        threads.push({ thread, indices, ignored: ignoredByAll(indices.map((index) => projections[index]!)) });
      }
      parallelism = sideBySide.length + threads.length;
    }

    const analyzeShadows = async (): Promise<void> => {
      for (const tables of shadows) for (const table of Object.values(tables)) await db.execute(`ANALYZE ${table}`);
    };
    /** Records that every projection has applied the log up to `last`. */
    const applied = async (last: number, count: number): Promise<void> => {
      position = last;
      events += count;
      if (!staging && db.dialect === 'postgres' && events >= analyzeAt) {
        // Fresh shadow tables have no statistics, and a planner that takes a 50,000-row table
        // for an empty one scans it whole for every lookup of a batch (and keeps that plan in
        // its prepared statements): statistics as they grow, at 1,000, 4,000, 16,000… events.
        analyzeAt *= 4;
        await analyzeShadows();
      }
      report({ phase: 'replay', position, head });
    };
    // Side by side, each connection's share goes on to the next batch without waiting for the
    // others' (up to PIPELINE batches ahead of the slowest): a barrier at each batch left the
    // connections, and this process, waiting on the slowest share.
    tails = (sideBySide ?? []).map(() => Promise.resolve());
    const inFlight: { last: number; count: number; done: Promise<void> }[] = [];
    const settleOldest = async (): Promise<void> => {
      const oldest = inFlight.shift()!;
      await oldest.done;
      if (staging) await db.transaction((tx) => claimHeld(tx, oldest.last), { durable: false });
      await applied(oldest.last, oldest.count);
    };
    const drain = async (): Promise<void> => {
      while (inFlight.length > 0) await settleOldest();
    };
    /** The last position read and handed out; `position` trails it while batches are in flight. */
    let read = position;

    // With replay threads or connections, the next batch is read while they apply this one.
    let prefetched: { from: number; batch: Promise<RecordedEvent[]> } | undefined;
    const replayBatch = async (): Promise<number> => {
      checkAbort();
      // Staged, or on PostgreSQL, a batch holds no lock the live runner waits on: larger ones
      // fold more rows in memory. On SQLite's read store itself a batch holds the write lock.
      const maxCount = staging || db.dialect === 'postgres' ? stagedBatchSize : batchSize;
      const ahead = prefetched?.from === read ? prefetched.batch : undefined;
      prefetched = undefined;
      const batch = (await ahead) ?? (await store.readAll({ fromPosition: read, maxCount }));
      if (batch.length === 0) return 0;
      const last = batch[batch.length - 1]!.position;
      head = Math.max(head, last);
      const target = staging?.db ?? db;
      // Posted first, so that the other threads apply the batch while this one does.
      // Each thread is posted the events one of its projections reads (see Projection.ignores).
      // On a connection of its own, a thread records the progress on its claims.
      const elsewhere = threads.map(({ thread, ignored }) => {
        const events = ignored.size === 0 ? batch : batch.filter((event) => !ignored.has(event.type));
        posted += events.length;
        return thread.apply(events, staging ? undefined : { last, head, at: now() }).then(() => undefined, (error: unknown) => error);
      });
      /** Whether every other thread applied the batch; the first failure otherwise. */
      const threadsDone = (): Promise<void> =>
        Promise.all(elsewhere).then((outcomes) => {
          const failed = outcomes.find((outcome) => outcome !== undefined);
          if (failed !== undefined) throw threadFailure(failed, batch[0]!.position, label);
        });
      if (elsewhere.length > 0 || (!staging && sideBySide)) {
        // Read now: the other threads, or the server, work meanwhile.
        const next = store.readAll({ fromPosition: last, maxCount });
        next.catch(() => undefined); // a read not used (the replay stopped) must not go unhandled
        prefetched = { from: last, batch: next };
      }
      if (!staging && sideBySide) {
        // Each share in a transaction of its own, after its previous batch, with its claims.
        const runs = sideBySide.map((group, share) => {
          const run = tails[share]!.then(() => {
            if (replayStopped) throw new RebuildAbortedError(label, 'the replay stopped');
            return db.transaction(async (tx) => {
              for (const index of group) await applyAll(projections[index]!, batch, tx, shadows[index]!, folds[index]);
              await claimHeld(tx, last, group);
            }, { durable: false });
          });
          tails[share] = run;
          return run;
        });
        const done = Promise.all([...runs, threadsDone()]).then(() => undefined);
        done.catch(() => undefined); // awaited by settleOldest, or given up when the replay stops
        inFlight.push({ last, count: batch.length, done });
        read = last;
        while (inFlight.length > PIPELINE) await settleOldest();
        return batch.length;
      }
      if (staging && elsewhere.length > 0) {
        // The other threads go on to the next batches without this one waiting for them (up to
        // THREAD_PIPELINE batches ahead): a barrier at each batch left the faster side idle.
        const done = threadsDone();
        done.catch(() => undefined); // awaited by settleOldest, or given up when the replay stops
        try {
          await staging.db.transaction(async (tx) => {
            for (const index of here) await applyAll(projections[index]!, batch, tx, shadows[index]!, folds[index]);
          }, { durable: false });
        } catch (error) {
          await done; // a thread's failure, when there is one, is the one reported
          throw error;
        }
        inFlight.push({ last, count: batch.length, done });
        read = last;
        while (inFlight.length > THREAD_PIPELINE) await settleOldest();
        return batch.length;
      }
      // One transaction here (staged, or a single connection).
      const group = staging ? here : [...projections.keys()];
      try {
        await target.transaction(async (tx) => {
          for (const index of group) await applyAll(projections[index]!, batch, tx, shadows[index]!, folds[index]);
          // Shadow tables only: a crash can undo the last batches with their progress, replayed again.
          if (!staging) await claimHeld(tx, last);
        }, { durable: false });
      } finally {
        await threadsDone();
      }
      if (staging) await db.transaction((tx) => claimHeld(tx, last), { durable: false });
      read = last;
      await applied(last, batch.length);
      return batch.length;
    };

    // Replay up to the head seen at the start, then once more up to the head seen then: with
    // appends going on faster than the replay, "until caught up" might never come. What the
    // live runner applies meanwhile is replayed inside the swap.
    for (let round = 0; round < 2; round++) {
      if (round > 0) head = Math.max(head, await store.headPosition());
      const target = head;
      while (read < target && (await replayBatch()) > 0);
      await drain();
    }
    // What the folds kept is written now: the index, copy and catch-up phases see whole tables.
    const finishFolds = async (tx: SqlExecutor, indices: readonly number[]): Promise<void> => {
      for (const index of indices) await finishFold(projections[index]!, folds[index], tx, shadows[index]!, position);
    };
    if (!staging) {
      // Each fold on a connection of its own at once (a school year's forum topics and
      // indicators: 13–14 s each on PostgreSQL), the other threads' too.
      const finished = await Promise.allSettled([
        ...(sideBySide ?? [[...projections.keys()]]).flatMap((group) =>
          group
            .filter((index) => folds[index])
            .map((index) =>
              db.transaction(async (tx) => {
                await finishFolds(tx, [index]);
                await claimHeld(tx, position, [index]);
              }, { durable: false }),
            ),
        ),
        ...threads.map(({ thread }) => thread.finish({ last: position, head, at: now() }).catch((error: unknown) => Promise.reject(threadFailure(error, position, label)))),
      ]);
      const failed = finished.find((outcome) => outcome.status === 'rejected');
      if (failed) throw failed.reason;
      folds = [];
      if (threads.length > 0) {
        // What is left (catching up, the swaps) is short: on this thread's connections.
        await stopThreads();
        sideBySide = connectionShares();
        tails = (sideBySide ?? []).map(() => Promise.resolve());
      }
    }

    if (staging) {
      // The query indexes are built in the staging databases, each thread its own at once,
      // then copied in with the rows (copyInto): no index is built on the read store's file.
      // Each other thread pushes its own in while this one finishes its share, this one's after.
      const area = staging;
      report({ phase: 'index', position, head });
      const finishing = threads.map(({ thread, area: theirs }) => {
        // This process's read-store connection held from when the thread is about to copy
        // into it (after its folds' finish and indexes, seconds of a school year) to its end.
        const hold = theirs!.holdReadStoreWhile?.bind(theirs);
        const finished: Promise<void> = thread.finish({ last: position, head, at: now() }, hold && ((held) => void hold(finished, held)));
        return finished.catch((error: unknown) => threadFailure(error, position, label));
      });
      await area.db.transaction(async (tx) => {
        // A turn of the event loop after each fold's finish and each index build: this thread
        // serves the app meanwhile (a school year's share took 4.7 s without a turn). A staging
        // transaction may await anything: no other connection waits on its file.
        for (const index of here) {
          await finishFolds(tx, [index]);
          await nextTurn();
        }
        for (const index of here) {
          await projections[index]!.createQueryIndexes?.(tx, shadows[index]!);
          await nextTurn();
        }
      });
      folds = [];
      // The staged tables join the (empty) shadow tables; from here on the replay writes those.
      report({ phase: 'copy', position, head });
      for (const failed of await Promise.all(finishing)) if (failed) throw failed;
      const copy = async (from: StagingArea, indices: readonly number[]): Promise<void> => {
        await from.copyInto(
          indices.flatMap((index) => Object.values(shadows[index]!)),
          async (tx) => {
            checkAbort();
            await claimHeld(tx, position);
          },
          () => report({ phase: 'copy', position, head }),
        );
      };
      await copy(area, here);
      await stopThreads();
      staging = undefined;
      staged = true;
      await area.dispose();
    }

    // Indexes only queries use are built now, over every row at once, rather than grown one
    // row at a time by the replay: each statement in its own transaction, the claim checked.
    // After a staged replay they came with the copy.
    // On PostgreSQL, each projection's tables are then vacuumed and analyzed: statistics of every
    // replayed row (the last ones, taken as the tables grew at 4^n events, saw as little as a
    // quarter of them, and the months after were unknown to the planner: a space's daily series
    // read a whole index range by day, 36 ms p95 against 7), and without dead row versions (the
    // replay's updates leave twice the live rows for the indicators' counters, which every query
    // scanned; without a visibility map no index-only scan is planned, whether autovacuum comes
    // by later or not: the académie query of 200 establishments, p95 68 -> 38 ms). Each table
    // after a heartbeat: a larger académie's could outlast the claim's staleness (60 s) without.
    // Several projections at once, each on a connection (PostgreSQL's statements, one core each:
    // 20 s one after the other for a school year).
    const finishTables = async (index: number): Promise<void> => {
      if (!staged) {
        for (const statement of await recordedStatements(projections[index]!, shadows[index]!, db.dialect)) {
          await db.transaction(async (tx) => {
            checkAbort();
            // This projection's claim only: its row stays locked while the index builds.
            await claimHeld(tx, position, [index]);
            await tx.execute(statement);
          }, { durable: false });
        }
      }
      if (db.dialect !== 'postgres') return;
      for (const table of Object.values(shadows[index]!)) {
        await db.transaction(async (tx) => {
          checkAbort();
          await claimHeld(tx, position, [index]);
        }, { durable: false });
        await db.execute(`VACUUM (ANALYZE) ${table}`);
      }
    };
    if (!staged) report({ phase: 'index', position, head });
    await allLimited(
      projections.map((_, index) => () => finishTables(index)),
      db.dialect === 'postgres' ? Math.max(1, connections) : 1,
    );

    // Catch up with the live checkpoints outside the swaps, to keep their transactions short.
    for (let round = 0; round < 3; round++) {
      let live = 0;
      for (const name of names) live = Math.max(live, (await loadCheckpoint(db, name))?.position ?? 0);
      if (live - position <= batchSize) break;
      while (read < live && (await replayBatch()) > 0);
      await drain();
    }

    report({ phase: 'swap', position, head });
    checkAbort();
    // Each swap in its own transaction: each projection's live feed is held back only by its own.
    while (swapped.length < projections.length) {
      const projection = projections[swapped.length]!;
      const done = await swap(one(projection), token, position, now(), shadows[swapped.length]!);
      await dropRetired(db, done.retired);
      swapped.push({
        name: projection.name,
        position: done.position,
        events: events + done.events,
        generation: done.generation,
        durationMs: Date.now() - started,
        parallelism,
        posted,
      });
    }
    report({ phase: 'done', position: Math.max(...swapped.map((r) => r.position)), head: Math.max(head, ...swapped.map((r) => r.position)) });
    return swapped;
  } catch (error) {
    // No share's transaction may still run when the shadow tables are released (nor a thread's).
    replayStopped = true;
    await Promise.allSettled(tails);
    await stopThreads();
    for (let index = swapped.length; index < projections.length; index++) {
      await release(one(projections[index]!), token, shadows[index]!).catch(() => undefined);
    }
    throw error;
  } finally {
    await stopThreads();
    await staging?.dispose().catch(() => undefined);
  }
}

/**
 * Runs `tasks`, at most `limit` at a time, each started when one before ends; rejects with the
 * first failure once every task started has ended (none is left running).
 */
async function allLimited(tasks: readonly (() => Promise<void>)[], limit: number): Promise<void> {
  let next = 0;
  let failure: { error: unknown } | undefined;
  const lane = async (): Promise<void> => {
    while (next < tasks.length && !failure) {
      const task = tasks[next++]!;
      try {
        await task();
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, lane));
  if (failure) throw failure.error;
}

/** The projections (indices) that replay on the thread reading the log (ReplayThreads.pinned). */
function pinnedOf(threads: ReplayThreads, projections: readonly Projection[]): ReadonlySet<number> {
  return new Set(projections.flatMap((projection, index) => (threads.pinned?.includes(projection.name) ? [index] : [])));
}

/** The event types every one of `projections` ignores: none of them needs to be given those. */
export function ignoredByAll(projections: readonly Projection[]): ReadonlySet<string> {
  const [first, ...others] = projections;
  return new Set((first?.ignores ?? []).filter((type) => others.every((projection) => projection.ignores?.includes(type))));
}

/** A replay thread's failure as the rebuild reports it: a projection's apply names it. */
function threadFailure(error: unknown, position: number, label: string): Error {
  if (error instanceof ReplayThreadError && error.projection !== undefined) {
    return new RebuildFailedError(error.projection, error.position ?? position, new Error(error.message));
  }
  if (error instanceof ReplayThreadError && error.claimLost) return new RebuildAbortedError(label, 'another rebuild took over');
  return error instanceof Error ? error : new Error(String(error));
}

/** Where a swap sets a live table aside (`<table>__o<generation it served>`) before dropping it. */
function retiredTable(table: string, generation: number): string {
  return `${table}__o${generation}`;
}

async function tableExists(tx: SqlExecutor, dialect: SqlDatabase['dialect'], table: string): Promise<boolean> {
  const found =
    dialect === 'sqlite'
      ? await tx.queryOne(`SELECT 1 AS found FROM sqlite_master WHERE type = 'table' AND name = $1`, [table])
      : await tx.queryOne(`SELECT 1 AS found FROM pg_tables WHERE schemaname = current_schema() AND tablename = $1`, [table]);
  return found !== undefined;
}

/**
 * Drops the tables a swap set aside, each in a statement of its own, after the swap committed.
 * On SQLite a DROP reads every page of its table and holds the file's write lock meanwhile (up to
 * seconds for the largest tables of a school year), but no longer inside the swap, with every
 * table of the projection. Emptying them a chunk at a time first was measured: 56 s instead of
 * 2–11 s at 200 establishments (each deleted row updates every index).
 */
async function dropRetired(db: SqlDatabase, tables: readonly string[]): Promise<void> {
  for (const table of tables) await db.execute(`DROP TABLE IF EXISTS ${table}`);
}

/** The statements of a projection's createQueryIndexes, recorded rather than run. */
async function recordedStatements(projection: Projection, tables: PhysicalTables, dialect: SqlDialect): Promise<string[]> {
  if (!projection.createQueryIndexes) return [];
  const statements: string[] = [];
  const refuse = (): never => {
    throw new Error(`Projection ${projection.name}: createQueryIndexes may only execute statements without parameters`);
  };
  const recorder: SqlExecutor = {
    dialect,
    query: async () => refuse(),
    queryOne: async () => refuse(),
    execute: async (sql, params = []) => {
      if (params.length > 0) refuse();
      statements.push(sql);
      return { rowCount: 0 };
    },
  };
  await projection.createQueryIndexes(recorder, tables);
  return statements;
}

/**
 * Records a rebuild's progress and heartbeat on the claims of `names` (all of the rebuild's, or a
 * share's) and checks that `token` still owns each; RebuildAbortedError otherwise.
 */
export async function recordClaims(tx: SqlExecutor, token: string, names: readonly string[], claim: ReplayClaim, label = names.join(', ')): Promise<void> {
  const owned = await tx.execute(
    `UPDATE projection_checkpoints SET rebuild_position = $1, rebuild_head = $2, rebuild_heartbeat = $3
     WHERE rebuild_owner = $4 AND name IN (${names.map((_, i) => `$${i + 5}`).join(', ')})`,
    [claim.last, claim.head, claim.at, token, ...names],
  );
  if (owned.rowCount !== names.length) throw new RebuildAbortedError(label, 'another rebuild took over');
}

/** Resolves on the event loop's next turn, after the I/O and timers waiting for it. */
const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Writes what a replay's fold kept (a replay thread's too); RebuildFailedError names the projection. */
export async function finishFold(
  projection: Projection,
  fold: ReplayFold | undefined,
  tx: SqlExecutor,
  tables: Readonly<Record<string, string>>,
  position: number,
): Promise<void> {
  try {
    await fold?.finish(tx, tables);
  } catch (error) {
    throw new RebuildFailedError(projection.name, position, error);
  }
}

/**
 * Applies a batch to a projection's shadow tables (a replay thread's too), through the replay's
 * fold when it has one; RebuildFailedError says where it broke.
 */
export async function applyAll(
  projection: Projection,
  batch: readonly RecordedEvent[],
  tx: SqlExecutor,
  tables: Readonly<Record<string, string>>,
  fold?: ReplayFold,
): Promise<void> {
  if (fold) {
    try {
      await fold.applyBatch(batch, tx, tables);
      return;
    } catch (error) {
      throw new RebuildFailedError(projection.name, batch[0]?.position ?? 0, error);
    }
  }
  if (projection.applyBatch && batch.length > 1) {
    try {
      await projection.applyBatch(batch, tx, tables);
      return;
    } catch (error) {
      throw new RebuildFailedError(projection.name, batch[0]!.position, error);
    }
  }
  for (const event of batch) {
    try {
      await projection.apply(event, tx, tables);
    } catch (error) {
      throw new RebuildFailedError(projection.name, event.position, error);
    }
  }
}

/** Takes the claim and creates empty shadow tables; answers their names. */
async function claim(context: RebuildContext, token: string, now: string, force: boolean): Promise<PhysicalTables> {
  const { db, projection } = context;
  // ISO-8601 strings of one fixed width compare in time order, in SQLite and PostgreSQL alike.
  const staleBefore = force ? '9999' : new Date(Date.parse(now) - context.staleAfterMs).toISOString();
  return db.transaction(async (tx) => {
    const claimed = await tx.execute(
      `UPDATE projection_checkpoints
       SET rebuild_owner = $1, rebuild_position = 0, rebuild_head = NULL, rebuild_heartbeat = $2
       WHERE name = $3 AND (rebuild_owner IS NULL OR rebuild_heartbeat IS NULL OR rebuild_heartbeat < $4)`,
      [token, now, projection.name, staleBefore],
    );
    if (claimed.rowCount === 0) {
      const row = await loadCheckpoint(tx, projection.name);
      throw new RebuildInProgressError(projection.name, row?.rebuild_heartbeat ?? null);
    }
    // Named after the generation the swap will give: a rebuild that died at this generation
    // left tables of these names (dropped here), and no live index carries it yet.
    const { generation } = (await loadCheckpoint(tx, projection.name))!;
    const shadow = shadowTables(projection, generation + 1);
    for (const table of projection.tables) {
      await tx.execute(`DROP TABLE IF EXISTS ${shadow[table]}`);
      // What a rebuild that died before shadow names carried a generation left behind, and the
      // tables a swap set aside if its process died before dropping them.
      await tx.execute(`DROP TABLE IF EXISTS ${table}${LEGACY_SHADOW_SUFFIX}`);
      if (generation > 1) await tx.execute(`DROP TABLE IF EXISTS ${retiredTable(table, generation - 1)}`);
    }
    // Without the indexes only queries use: the rebuild builds them once the rows are in.
    await projection.createTables(tx, shadow);
    return shadow;
  });
}

/** Swap attempts that found the live runner gone past what was read for them, before giving up. */
const SWAP_ATTEMPTS = 50;

/**
 * The swap transaction. It first locks the checkpoint row; if the live runner went past the
 * shadow meanwhile, the shadow catches up inside the transaction (the row lock, or SQLite's write
 * lock, holds the live runner back, so this ends), then the checkpoint moves and the tables are
 * swapped. The events to catch up with are read before the transaction: a SQLite read store's
 * transaction may await nothing but its own statements, and a log's reads may be network I/O
 * (PostgreSQL, KurrentDB). When the live runner has gone past what was read, the transaction
 * ends without swapping, the rest is read, and the swap is tried again.
 */
async function swap(
  context: RebuildContext,
  token: string,
  from: number,
  now: string,
  shadow: PhysicalTables,
): Promise<{ position: number; events: number; generation: number; retired: string[] }> {
  const { db, store, projection, batchSize } = context;
  const ahead: RecordedEvent[] = [];
  let readUpTo = from;
  for (let attempt = 1; ; attempt++) {
    const live = (await loadCheckpoint(db, projection.name))?.position ?? 0;
    while (readUpTo < live) {
      const batch = await store.readAll({ fromPosition: readUpTo, maxCount: batchSize });
      if (batch.length === 0) break;
      ahead.push(...batch);
      readUpTo = batch[batch.length - 1]!.position;
    }
    const done = await db.transaction(async (tx) => {
      const locked = await tx.execute(
        'UPDATE projection_checkpoints SET updated_at = $1 WHERE name = $2 AND rebuild_owner = $3',
        [now, projection.name, token],
      );
      if (locked.rowCount === 0) throw new RebuildAbortedError(projection.name, 'another rebuild took over');
      const row = (await loadCheckpoint(tx, projection.name))!;
      if (shadowTables(projection, row.generation + 1)[projection.tables[0]!] !== shadow[projection.tables[0]!]) {
        throw new RebuildAbortedError(projection.name, 'the generation moved under the rebuild');
      }
      if (row.position > readUpTo) return undefined;
      let position = from;
      let events = 0;
      const missing = ahead.filter((event) => event.position <= row.position);
      for (let index = 0; index < missing.length; index += batchSize) {
        const batch = missing.slice(index, index + batchSize);
        await applyAll(projection, batch, tx, shadow);
        position = batch[batch.length - 1]!.position;
        events += batch.length;
      }
      await tx.execute(
        `UPDATE projection_checkpoints
         SET generation = generation + 1, position = $1, version = $2, status = 'running', error = NULL,
             failed_position = NULL, rebuild_owner = NULL, rebuild_position = NULL, rebuild_head = NULL,
             rebuild_heartbeat = NULL, updated_at = $3
         WHERE name = $4`,
        [position, projection.version, now, projection.name],
      );
      // The live tables are renamed aside, not dropped: dropping a table of a million rows reads
      // all its pages on SQLite. They are dropped after the swap, one at a time.
      const live = liveTables(projection);
      const retired: string[] = [];
      for (const table of projection.tables) {
        if (await tableExists(tx, db.dialect, live[table]!)) {
          const aside = retiredTable(table, row.generation);
          await tx.execute(`DROP TABLE IF EXISTS ${aside}`);
          await tx.execute(`ALTER TABLE ${live[table]} RENAME TO ${aside}`);
          retired.push(aside);
        }
        await tx.execute(`ALTER TABLE ${shadow[table]} RENAME TO ${live[table]}`);
      }
      return { position, events, generation: row.generation + 1, retired };
    });
    if (done) return done;
    if (attempt >= SWAP_ATTEMPTS) {
      throw new RebuildAbortedError(projection.name, `the live projection kept moving past the swap (${SWAP_ATTEMPTS} attempts)`);
    }
  }
}

/** Gives up a claim: drops the shadow tables and clears the rebuild columns, if still ours. */
async function release(context: RebuildContext, token: string, shadow: PhysicalTables): Promise<void> {
  const { db, projection } = context;
  await db.transaction(async (tx) => {
    const released = await tx.execute(
      `UPDATE projection_checkpoints
       SET rebuild_owner = NULL, rebuild_position = NULL, rebuild_head = NULL, rebuild_heartbeat = NULL
       WHERE name = $1 AND rebuild_owner = $2`,
      [projection.name, token],
    );
    if (released.rowCount === 0) return;
    for (const table of projection.tables) await tx.execute(`DROP TABLE IF EXISTS ${shadow[table]}`);
  });
}
