// Rebuilds every projection of the app (countingProjection-wrapped, as the crash test runs them,
// unless PLAIN_PROJECTIONS=1) in a process of its own, on compiled code, so that the rebuild can
// replay on worker threads (SQLite) or side-by-side connections (PostgreSQL): REPLAY_PARALLELISM
// of them (default 2).
// Prints "rebuilt <results as JSON>", or "failed <error name> <projection> <message>".
// With replay threads on SQLite (staging files) and PostgreSQL (a connection each).
// Argument: JSON target { kind: 'sqlite', filename } | { kind: 'postgres', connectionString, schema }.
// It imports the compiled libraries (dist/): run `npm run build` first.
import { ProjectionRunner } from '#ruche/projections';
import { openTarget } from '../../../libs/projections/src/testing/open-target.fixture.mjs';

const target = JSON.parse(process.argv[2]);
const parallelism = Number(process.env.REPLAY_PARALLELISM ?? 2);
const { store, db } = await openTarget(target, { pollIntervalMs: target.kind === 'sqlite' ? 20 : 100 });
// PLAIN_PROJECTIONS=1: the app's own projections and replay threads (each thread posted only the
// events its projections read), rather than the counting ones, which read every event.
const plain = process.env.PLAIN_PROJECTIONS === '1';
const app = await import(new URL('../../../dist/apps/api/src/app-projections.js', import.meta.url).href);
const counted = { module: new URL('./counted-app-projections.fixture.mjs', import.meta.url).href, export: 'countedAppProjections', args: [db.dialect] };
const projections = plain ? app.appProjections(db.dialect) : (await import(counted.module)).countedAppProjections(db.dialect);
const runner = new ProjectionRunner({
  store,
  db,
  projections,
  // Small batches: many of them cross the threads.
  rebuildBatchSize: 1000,
  stagedRebuildBatchSize: 2000,
  replayThreads: plain ? app.appReplayThreads({ readStore: db.dialect, rebuildThreads: parallelism }) : { count: parallelism, source: counted },
  rebuildConnections: parallelism,
  logger: { log: () => undefined, warn: (m) => console.error(m), error: (m) => console.error(m) },
});
// STEAL_PROJECTION / STEAL_AT: once the replay has passed that position, another rebuild (a
// made-up owner, "thief") takes that projection's claim over; the failure line then says in
// which phase the rebuild stopped.
const steal = process.env.STEAL_PROJECTION;
const stealAt = Number(process.env.STEAL_AT ?? Number.POSITIVE_INFINITY);
let stolen;
/** The phase the rebuild last reported: where a rebuild that lost a claim stopped. */
let phase;
const onProgress = (progress) => {
  phase = progress.phase;
  if (!steal || stolen || progress.position < stealAt) return;
  stolen = db.execute(`UPDATE projection_checkpoints SET rebuild_owner = 'thief' WHERE name = $1`, [steal]);
};
try {
  const results = await runner.rebuildMany(undefined, { onProgress });
  process.stdout.write(`rebuilt ${JSON.stringify(results)}\n`);
} catch (error) {
  process.stdout.write(`failed ${error.name} ${error.projection ?? '-'} ${error.message}${steal ? ` (during ${phase})` : ''}\n`);
} finally {
  await stolen;
  await db.close();
  await store.close();
}
