// Rebuilds every projection of the app (countingProjection-wrapped, as the crash test runs them)
// in a process of its own, on compiled code, so that the rebuild can replay on worker threads
// (SQLite) or side-by-side connections (PostgreSQL): REPLAY_PARALLELISM of them (default 2).
// Prints "rebuilt <results as JSON>", or "failed <error name> <projection> <message>".
// Argument: JSON target { kind: 'sqlite', filename } | { kind: 'postgres', connectionString, schema }.
// It imports the compiled libraries (dist/): run `npm run build` first.
import { ProjectionRunner } from '#ruche/projections';
import { openTarget } from '../../../libs/projections/src/testing/open-target.fixture.mjs';

const target = JSON.parse(process.argv[2]);
const parallelism = Number(process.env.REPLAY_PARALLELISM ?? 2);
const { store, db } = await openTarget(target, { pollIntervalMs: target.kind === 'sqlite' ? 20 : 100 });
const source = { module: new URL('./counted-app-projections.fixture.mjs', import.meta.url).href, export: 'countedAppProjections', args: [db.dialect] };
const { countedAppProjections } = await import(source.module);
const runner = new ProjectionRunner({
  store,
  db,
  projections: countedAppProjections(db.dialect),
  // Small batches: many of them cross the threads.
  rebuildBatchSize: 1000,
  stagedRebuildBatchSize: 2000,
  replayThreads: { count: parallelism, source },
  rebuildConnections: parallelism,
  logger: { log: () => undefined, warn: (m) => console.error(m), error: (m) => console.error(m) },
});
try {
  const results = await runner.rebuildMany();
  process.stdout.write(`rebuilt ${JSON.stringify(results)}\n`);
} catch (error) {
  process.stdout.write(`failed ${error.name} ${error.projection ?? '-'} ${error.message}\n`);
} finally {
  await db.close();
  await store.close();
}
