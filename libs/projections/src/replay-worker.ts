/**
 * A replay thread of a rebuild (see replay-threads.ts): it builds the projections it was given
 * from their source module and applies each batch the rebuild posts, in order, where its target
 * says:
 * - a staging database of its own (SQLite, private to this thread's connection): it creates
 *   their tables there; told to finish, it writes what the folds kept, builds their query
 *   indexes, then pushes its tables into the read store's shadow tables (a table per
 *   transaction, which records the claims): the rebuild's own thread meanwhile finishes its
 *   share, and pushes its own after. Until then it writes nothing to the read store: the
 *   rebuild keeps the claim and the progress.
 * - a connection of its own to the read store (PostgreSQL): the shadow tables exist; each batch's
 *   transaction also records the rebuild's progress on this thread's claims, and fails when
 *   another rebuild took them over. Told to finish, it writes what the folds kept, with the
 *   claims, and closes the connection; the rebuild builds the query indexes.
 * It reads nothing from the log.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { RecordedEvent } from '#ruche/eventstore';
import { PostgresDatabase } from './postgres/postgres-database.js';
import { applyAll, finishFold, RebuildAbortedError, RebuildFailedError, recordClaims } from './projection-rebuild.js';
import type { Projection } from './projection.js';
import type { ReplayClaim, ReplayThreadData, ReplayThreadReply, ReplayThreadRequest } from './replay-threads.js';
import type { SqlDatabase, SqlExecutor, StagingHandOver } from './sql-database.js';
import { SqliteDatabase } from './sqlite/sqlite-database.js';

const port = parentPort;
if (!port) throw new Error('replay-worker runs as a worker thread');
const data = workerData as ReplayThreadData;
const say = (reply: ReplayThreadReply): void => port.postMessage(reply);

/** A failure as the rebuild reports it: where a projection's apply threw, its own message. */
const failure = (error: unknown): ReplayThreadReply => {
  if (error instanceof RebuildFailedError) {
    const cause = error.cause as Error | undefined;
    return { kind: 'failed', message: cause?.message ?? String(cause), projection: error.projection, position: error.position };
  }
  if (error instanceof RebuildAbortedError) return { kind: 'failed', message: error.message, claimLost: true };
  return { kind: 'failed', message: (error as Error)?.message ?? String(error) };
};

try {
  const module = (await import(data.source.module)) as Record<string, unknown>;
  const exported = module[data.source.export];
  const all = (typeof exported === 'function' ? await exported(...(data.source.args ?? [])) : exported) as Projection[];
  const mine = data.projections.map(({ name, version, tables }) => {
    const projection = all.find((candidate) => candidate.name === name);
    if (!projection) throw new Error(`${data.source.module} (${data.source.export}) has no projection ${name}`);
    // The same code on both sides, or the copied tables would not be what the main thread expects.
    if (projection.version !== version) throw new Error(`Projection ${name} is at version ${projection.version} here, ${version} in the rebuild`);
    // This thread's share of the replay from 0 (see Projection.replayFold).
    return { projection, tables, fold: projection.replayFold?.() };
  });
  const target = data.target;
  const staged = target.kind === 'staging';
  // One connection: this thread's batches run one after the other.
  const db: SqlDatabase = staged
    ? SqliteDatabase.openScratch()
    : await PostgresDatabase.open({ connectionString: target.connection.connectionString, schema: target.connection.schema, max: 1 });
  const names = mine.map(({ projection }) => projection.name);
  /** On a connection, the claims go with each transaction: a batch of a rebuild taken over is rolled back. */
  const claimed = async (tx: SqlExecutor, claim: ReplayClaim | undefined): Promise<void> => {
    if (target.kind !== 'connection') return;
    if (!claim) throw new Error('A replay thread on a connection needs the claim with each request');
    await recordClaims(tx, target.token, names, claim);
  };
  /**
   * This thread's staging database into the read store's shadow tables, while the rebuild's own
   * thread finishes its share: both used to wait for that thread (a school year: 8 s of the
   * worker's tables after 13 s of the other's folds and indexes). Each table's transaction checks the claims.
   */
  const copyIntoReadStore = async (handOver: StagingHandOver, token: string, claim: ReplayClaim): Promise<void> => {
    const tables = mine.flatMap(({ tables }) => Object.values(tables));
    await (db as SqliteDatabase).pushInto(handOver.readStore, tables, (tx) => recordClaims(tx, token, names, claim), () => undefined);
  };
  if (staged) {
    await db.transaction(async (tx) => {
      for (const { projection, tables } of mine) await projection.createTables(tx, tables);
    });
  }

  /** Until the rebuild holds its own read-store connection for this thread's copy (see ReplayThread.finish). */
  const held: (() => void)[] = [];
  const readStoreHeld = (): Promise<void> =>
    new Promise((resolve) => {
      held.push(resolve);
      say({ kind: 'hold' });
    });
  // The rebuild may post the next batches before this one is applied: one at a time, in order,
  // and nothing more once one has failed.
  let queue = Promise.resolve();
  let failed = false;
  /** The last event posted, where a fold's finish says it failed. */
  let last = 0;
  const handle = async (request: Exclude<ReplayThreadRequest, { kind: 'held' }>): Promise<void> => {
    if (failed) return;
    if (request.kind === 'finish') {
      // What the folds kept; in a staging database, the indexes only queries read too, built here
      // over every row: both are copied in with the rows.
      await db.transaction(async (tx) => {
        for (const { projection, tables, fold } of mine) await finishFold(projection, fold, tx, tables, last);
        if (staged) for (const { projection, tables } of mine) await projection.createQueryIndexes?.(tx, tables);
        await claimed(tx, request.claim);
      }, { durable: false });
      if (target.kind === 'staging') {
        await readStoreHeld();
        await copyIntoReadStore(target.handOver, target.token, request.claim);
      }
      await db.close();
      say({ kind: 'finished' });
      return;
    }
    const batch = request.events as RecordedEvent[];
    last = batch[batch.length - 1]?.position ?? last;
    await db.transaction(async (tx) => {
      for (const { projection, tables, fold } of mine) await applyAll(projection, batch, tx, tables, fold);
      await claimed(tx, request.claim);
    }, { durable: false });
    say({ kind: 'applied' });
  };
  port.on('message', (request: ReplayThreadRequest) => {
    // Answers this thread's `hold`, while the finish it belongs to is being handled.
    if (request.kind === 'held') return void held.shift()?.();
    queue = queue.then(() =>
      handle(request).catch((error: unknown) => {
        failed = true;
        say(failure(error));
      }),
    );
  });
  say({ kind: 'ready' });
} catch (error) {
  say(failure(error));
}
