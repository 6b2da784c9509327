import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { RecordedEvent } from '#ruche/eventstore';
import type { PhysicalTables, Projection } from './projection.js';
import type { ReplayConnection, SqlDialect, StagingHandOver } from './sql-database.js';

/**
 * Where a replay thread finds the projections it replays: a compiled module (file URL) whose
 * export is the list of projections, or a function answering it when called with `args`. The
 * thread builds its own instances (functions do not cross threads) and checks their versions.
 */
export interface ProjectionSource {
  module: string;
  export: string;
  args?: readonly unknown[];
}

/**
 * A rebuild may share its projections out between this thread and worker threads: on SQLite
 * `count - 1` of them, each with a staging database of its own (the replay is CPU bound on one core:
 * B-tree inserts, JSON, the projections' own code, and a machine has more); on PostgreSQL one per
 * replay connection but this thread's, each with a connection of its own (the projections' code
 * and the driver of every connection on one core were the bottleneck). The batches are read
 * once, by this thread, and posted to the others.
 */
export interface ReplayThreads {
  /**
   * Threads in all, this one included (SQLite); 1 replays here only. On PostgreSQL, more than 1
   * puts each of the rebuild's connections on a thread (their count is replayConnections').
   */
  count: number;
  source: ProjectionSource;
  /**
   * Projections (by name) replayed on the thread that reads the log, whatever their weight:
   * those that read the most frequent events, which any other thread would have to be posted
   * (see Projection.ignores). The others are shared out by weight.
   */
  pinned?: readonly string[];
}

/**
 * Where a replay thread writes: a private staging database of its own (SQLite), which the thread
 * pushes into the read store's shadow tables itself when it finishes, or the read store itself
 * over a connection of its own (PostgreSQL: the shadow tables, which exist already); on the read
 * store, each transaction also records the rebuild's progress on its projections' claims
 * (`token`).
 */
export type ReplayThreadTarget =
  | { kind: 'staging'; handOver: StagingHandOver; token: string }
  | { kind: 'connection'; connection: ReplayConnection; token: string };

/** What a replay thread is given (workerData). */
export interface ReplayThreadData {
  target: ReplayThreadTarget;
  source: ProjectionSource;
  projections: { name: string; version: number; tables: PhysicalTables }[];
}

/** The rebuild's progress a batch records with its claims (connection targets only). */
export interface ReplayClaim {
  /** Position of the batch's last event. */
  last: number;
  head: number;
  /** The heartbeat (ISO-8601). */
  at: string;
}

export type ReplayThreadRequest =
  | { kind: 'batch'; events: readonly RecordedEvent[]; claim?: ReplayClaim }
  | { kind: 'finish'; claim: ReplayClaim }
  /** The answer to `hold`: this process's read-store connection is held, the copy may start. */
  | { kind: 'held' };

export type ReplayThreadReply =
  | { kind: 'ready' }
  | { kind: 'applied' }
  | { kind: 'finished' }
  /** Unasked, while finishing into a staging database: about to copy it into the read store. */
  | { kind: 'hold' }
  | { kind: 'failed'; message: string; projection?: string; position?: number; claimLost?: boolean };

/**
 * A replay thread failed: `projection` and `position` say where, when it knows; `claimLost`, when
 * another rebuild took its projections over.
 */
export class ReplayThreadError extends Error {
  constructor(
    message: string,
    readonly projection?: string,
    readonly position?: number,
    readonly claimLost = false,
  ) {
    super(message);
    this.name = 'ReplayThreadError';
  }
}

const WORKER_URL = new URL('./replay-worker.js', import.meta.url);

/**
 * Whether replay threads can start here: they load compiled JavaScript (the worker and the
 * projections' module), which a run from TypeScript sources (the tests under Jest) does not have.
 */
export function replayThreadsAvailable(source: ProjectionSource): boolean {
  return [WORKER_URL.href, source.module].every((url) => url.startsWith('file:') && /\.m?js$/.test(url) && existsSync(fileURLToPath(url)));
}

/** A projection's replay weight when it states none for the read store (a light one's). */
export const DEFAULT_REPLAY_WEIGHT = 2;

/**
 * Shares projections out between `count` threads or connections, the first being the rebuild's
 * own (which may count `firstLoad` more: reading the log and posting each batch), by their
 * replay weights for `dialect`: the `pinned` ones (indices) in the first share, then the others
 * heaviest first, each to the lightest share so far. Answers indices into `projections`.
 */
export function shareOut(
  projections: readonly Projection[],
  count: number,
  dialect: SqlDialect,
  firstLoad = 0,
  pinned: ReadonlySet<number> = new Set(),
): number[][] {
  const groups: number[][] = Array.from({ length: Math.max(1, count) }, () => []);
  const loads = groups.map((_, index) => (index === 0 ? firstLoad : 0));
  const order = projections.map((projection, index) => ({ index, weight: projection.replayWeight?.[dialect] ?? DEFAULT_REPLAY_WEIGHT }));
  for (const { index, weight } of order.filter(({ index }) => pinned.has(index))) {
    groups[0]!.push(index);
    loads[0]! += weight;
  }
  const rest = order.filter(({ index }) => !pinned.has(index));
  rest.sort((a, b) => b.weight - a.weight || a.index - b.index);
  for (const { index, weight } of rest) {
    let lightest = 0;
    for (let group = 1; group < loads.length; group++) if (loads[group]! < loads[lightest]!) lightest = group;
    groups[lightest]!.push(index);
    loads[lightest]! += weight;
  }
  return groups.map((group) => group.sort((a, b) => a - b));
}

/**
 * A replay thread's young generation: three semi-spaces of 128 MiB (V8's default: 16 MiB). A
 * batch of events stays alive while later ones are read and applied; with the default it lived
 * through two scavenges, was promoted, and each major collection then walked the folds' millions
 * of held rows again. The same 128 MiB for the rebuild's own thread (`--max-semi-space-size=128`
 * where the app is started): PostgreSQL rebuild of a school year 108–129 s -> 96–112 s, interleaved.
 */
export const REPLAY_YOUNG_GENERATION_MB = 3 * 128;

/**
 * The rebuild's handle on one replay thread. Requests may be posted before the previous ones are
 * answered: the thread handles them in order and answers in order, and its first failure
 * rejects every request still waiting (it applies nothing after it).
 */
export class ReplayThread {
  private readonly waiting: { expect: ReplayThreadReply['kind']; resolve: () => void; reject: (error: Error) => void }[] = [];
  private failure: Error | undefined;
  /** finish's `holdReadStore`, called when the thread asks (`hold`). */
  private holdReadStore: ((held: () => void) => void) | undefined;

  private constructor(private readonly worker: Worker) {
    worker.on('message', (reply: ReplayThreadReply) => {
      if (reply.kind === 'failed') return this.fail(new ReplayThreadError(reply.message, reply.projection, reply.position, reply.claimLost));
      if (reply.kind === 'hold') {
        const held = (): void => this.worker.postMessage({ kind: 'held' } satisfies ReplayThreadRequest);
        return this.holdReadStore ? this.holdReadStore(held) : held();
      }
      const waiting = this.waiting.shift();
      if (waiting && reply.kind === waiting.expect) waiting.resolve();
      else {
        if (waiting) this.waiting.unshift(waiting);
        this.fail(new ReplayThreadError(`Replay thread answered ${reply.kind} unasked`));
      }
    });
    worker.on('error', (error) => this.fail(error));
    worker.on('exit', (code) => this.fail(new ReplayThreadError(`Replay thread exited (code ${code})`)));
  }

  /** Starts a thread and waits until it has built its projections and created their tables. */
  static async start(data: ReplayThreadData): Promise<ReplayThread> {
    const thread = new ReplayThread(
      new Worker(WORKER_URL, { workerData: data, resourceLimits: { maxYoungGenerationSizeMb: REPLAY_YOUNG_GENERATION_MB } }),
    );
    try {
      await thread.request('ready');
    } catch (error) {
      await thread.terminate();
      throw error;
    }
    return thread;
  }

  /**
   * Applies a batch to the thread's projections, after those posted before: in its staging database,
   * or on its connection with `claim` recorded (a connection target).
   */
  apply(events: readonly RecordedEvent[], claim?: ReplayClaim): Promise<void> {
    return this.request('applied', claim ? { kind: 'batch', events, claim } : { kind: 'batch', events });
  }

  /**
   * After every batch posted, writes what the folds kept; then, in a staging database, builds
   * the query indexes and pushes its tables into the read store's shadow
   * tables, a table per transaction, each recording `claim`; on a connection, records `claim`
   * and closes it. Before it copies, the thread waits until `holdReadStore` calls `held` (this
   * process's read-store connection is then held for it, see StagingArea.holdReadStoreWhile).
   */
  finish(claim: ReplayClaim, holdReadStore?: (held: () => void) => void): Promise<void> {
    this.holdReadStore = holdReadStore;
    return this.request('finished', { kind: 'finish', claim });
  }

  async terminate(): Promise<void> {
    this.failure ??= new ReplayThreadError('Replay thread terminated');
    await this.worker.terminate();
  }

  private request(expect: ReplayThreadReply['kind'], message?: ReplayThreadRequest): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise<void>((resolve, reject) => {
      this.waiting.push({ expect, resolve, reject });
      if (message) this.worker.postMessage(message);
    });
  }

  private fail(error: Error): void {
    this.failure ??= error;
    for (const waiting of this.waiting.splice(0)) waiting.reject(this.failure);
  }
}
