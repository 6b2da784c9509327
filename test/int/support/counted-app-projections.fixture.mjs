// The app's projections wrapped by countingProjection, as the crash test runs them, in a module a
// rebuild's replay threads can load (they build their own projections from a compiled module).
// FAIL_PROJECTION / FAIL_AT (environment, shared with worker threads): that projection throws on
// the batch holding that position, naming the thread it ran on.
// It imports the compiled libraries (dist/): run `npm run build` first.
import { threadId } from 'node:worker_threads';

const { countingProjection } = await import(
  new URL('../../../dist/libs/projections/src/testing/counting.projection.js', import.meta.url).href
);
const { appProjections } = await import(new URL('../../../dist/apps/api/src/app-projections.js', import.meta.url).href);

const failing = process.env.FAIL_PROJECTION;
const failAt = Number(process.env.FAIL_AT ?? Number.POSITIVE_INFINITY);

function failingAt(projection) {
  const check = (events) => {
    if (events.some((event) => event.position >= failAt)) throw new Error(`planted failure at ${failAt} on thread ${threadId}`);
  };
  return {
    ...projection,
    createTables: projection.createTables.bind(projection),
    createQueryIndexes: projection.createQueryIndexes?.bind(projection),
    apply: async (event, tx, tables) => (check([event]), projection.apply(event, tx, tables)),
    applyBatch: projection.applyBatch && (async (events, tx, tables) => (check(events), projection.applyBatch(events, tx, tables))),
    // A rebuild's replay goes through the fold where there is one.
    replayFold:
      projection.replayFold &&
      ((maxRows) => {
        const fold = projection.replayFold(maxRows);
        return fold && { applyBatch: async (events, tx, tables) => (check(events), fold.applyBatch(events, tx, tables)), finish: fold.finish.bind(fold) };
      }),
  };
}

export function countedAppProjections(dialect) {
  return appProjections(dialect)
    .map((projection) => countingProjection(projection))
    .map((projection) => (projection.name === failing ? failingAt(projection) : projection));
}
