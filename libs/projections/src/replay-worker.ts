/**
 * A replay thread of a rebuild (see replay-threads.ts): it builds the projections it was given
 * from their source module, opens the staging file its rebuild handed over, creates their
 * tables there, and applies each batch the rebuild posts; told to finish, it builds their query
 * indexes, commits and closes the file. It reads nothing from the log and writes nothing to the
 * read store: the rebuild keeps the claim, the progress and the copy.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { RecordedEvent } from '#ruche/eventstore';
import { applyAll, finishFold, RebuildFailedError } from './projection-rebuild.js';
import type { Projection } from './projection.js';
import type { ReplayThreadData, ReplayThreadReply, ReplayThreadRequest } from './replay-threads.js';
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
  const db = SqliteDatabase.openStagingFile(data.file);
  await db.transaction(async (tx) => {
    for (const { projection, tables } of mine) await projection.createTables(tx, tables);
  });

  // The rebuild may post the next batches before this one is applied: one at a time, in order,
  // and nothing more once one has failed.
  let queue = Promise.resolve();
  let failed = false;
  /** The last event posted, where a fold's finish says it failed. */
  let last = 0;
  const handle = async (request: ReplayThreadRequest): Promise<void> => {
    if (failed) return;
    if (request.kind === 'finish') {
      // What the folds kept, then the indexes only queries read, built here over every row: both
      // are copied in with the rows.
      await db.transaction(async (tx) => {
        for (const { projection, tables, fold } of mine) await finishFold(projection, fold, tx, tables, last);
        for (const { projection, tables } of mine) await projection.createQueryIndexes?.(tx, tables);
      });
      await db.closeStaged(true);
      say({ kind: 'finished' });
      return;
    }
    const batch = request.events as RecordedEvent[];
    last = batch[batch.length - 1]?.position ?? last;
    await db.transaction(async (tx) => {
      for (const { projection, tables, fold } of mine) await applyAll(projection, batch, tx, tables, fold);
    });
    say({ kind: 'applied' });
  };
  port.on('message', (request: ReplayThreadRequest) => {
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
