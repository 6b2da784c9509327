// A runner or a rebuild in a process of its own, for the crash and cross-process tests.
// Argument: JSON { target, mode: 'run' | 'rebuild', batchSize, projection: { prefix, version } }.
// It imports the compiled libraries (dist/): run `npm run build` first.
import { ProjectionRunner } from '#ruche/projections';
import { openTarget } from './open-target.fixture.mjs';

const { streamStatsProjection } = await import(
  new URL('../../../../dist/libs/projections/src/testing/stream-stats.projection.js', import.meta.url).href
);

const { target, mode, batchSize, projection } = JSON.parse(process.argv[2]);
const say = (line) => process.stdout.write(`${line}\n`);

const { store, db } = await openTarget(target, { pollIntervalMs: target.kind === 'sqlite' ? 20 : 200 });
const runner = new ProjectionRunner({
  store,
  db,
  projections: [streamStatsProjection(projection)],
  batchSize,
  rebuildBatchSize: batchSize,
  stagedRebuildBatchSize: batchSize,
  logger: { log: () => undefined, warn: (m) => console.error(m), error: (m) => console.error(m) },
});

const shutdown = async (code) => {
  await runner.stop();
  await db.close();
  await store.close();
  process.exit(code);
};

if (mode === 'run') {
  runner.onBatchApplied((batch) => say(`applied ${batch.position}`));
  process.on('SIGTERM', () => void shutdown(0));
  await runner.start();
  say('started');
} else {
  try {
    const result = await runner.rebuild(streamStatsProjection(projection).name, {
      onProgress: (p) => say(`progress ${p.phase} ${p.position} ${p.head}`),
    });
    say(`rebuilt ${JSON.stringify(result)}`);
    await shutdown(0);
  } catch (error) {
    console.error(error);
    await shutdown(1);
  }
}
