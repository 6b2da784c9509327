// The app's real projections in a process of their own, for the crash test: it prints the names
// of the projections it runs ("projections a,b,…", the same list as read-models.int.spec.ts),
// then "applied <position>" after each committed batch, and runs until killed. Each projection is
// wrapped by countingProjection, which logs every application in an apply log of its own.
// Argument: JSON target { kind: 'sqlite', filename } | { kind: 'postgres', connectionString, schema }.
// It imports the compiled libraries (dist/): run `npm run build` first.
import { ProjectionRunner } from '#ruche/projections';
import { openTarget } from '../../../libs/projections/src/testing/open-target.fixture.mjs';

const { countingProjection } = await import(
  new URL('../../../dist/libs/projections/src/testing/counting.projection.js', import.meta.url).href
);

const target = JSON.parse(process.argv[2]);
const { store, db } = await openTarget(target, { pollIntervalMs: target.kind === 'sqlite' ? 20 : 100 });
const { appProjections } = await import(new URL('../../../dist/apps/api/src/app-projections.js', import.meta.url).href);
const projections = appProjections(db.dialect).map((projection) => countingProjection(projection));
process.stdout.write(`projections ${projections.map((projection) => projection.name).join(',')}\n`);
const runner = new ProjectionRunner({
  store,
  db,
  projections,
  batchSize: Number(process.env.BATCH_SIZE ?? 200),
  logger: { log: () => undefined, warn: (m) => console.error(m), error: (m) => console.error(m) },
});
runner.onBatchApplied((batch) => process.stdout.write(`applied ${batch.position}\n`));
await runner.start();
process.stdout.write('started\n');
