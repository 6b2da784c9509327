import type { EventStore, RecordedEvent } from '#ruche/eventstore';
import { ProjectionRunner, type PhysicalTables, type Projection, type SqlDatabase, type SqlExecutor } from '#ruche/projections';
import { appendEvents, sqliteBackend, type TestBackend } from './testing/test-backends.js';

/**
 * A projection with `applyBatch`: the runner and rebuilds hand it whole batches; when it throws,
 * the runner applies the batch again one event at a time and fails at the event at fault.
 */
type Table = 'batch_totals';

function totals(options: { poison?: number } = {}): Projection<Table> & { batchCalls: number; singleCalls: number } {
  const add = (tx: SqlExecutor, t: PhysicalTables<Table>, count: number, sum: number) =>
    tx.execute(`UPDATE ${t.batch_totals} SET events = events + $1, total = total + $2 WHERE id = 1`, [count, sum]);
  const check = (event: RecordedEvent): void => {
    if ((event.data as { index: number }).index === options.poison) throw new Error(`poison at ${event.position}`);
  };
  const projection = {
    name: 'batch_totals',
    version: 1,
    tables: ['batch_totals'] as const,
    batchCalls: 0,
    singleCalls: 0,
    async createTables(db: SqlExecutor, t: PhysicalTables<Table>) {
      await db.execute(`CREATE TABLE IF NOT EXISTS ${t.batch_totals} (id INTEGER PRIMARY KEY, events INTEGER NOT NULL, total INTEGER NOT NULL)`);
      await db.execute(`INSERT INTO ${t.batch_totals} (id, events, total) VALUES (1, 0, 0) ON CONFLICT (id) DO NOTHING`);
    },
    async apply(event: RecordedEvent, tx: SqlExecutor, t: PhysicalTables<Table>) {
      projection.singleCalls++;
      check(event);
      await add(tx, t, 1, (event.data as { index: number }).index);
    },
    async applyBatch(events: readonly RecordedEvent[], tx: SqlExecutor, t: PhysicalTables<Table>) {
      projection.batchCalls++;
      // Writes first, checks after: a failure must roll the partial batch back.
      await add(tx, t, events.length, events.reduce((sum, e) => sum + (e.data as { index: number }).index, 0));
      events.forEach(check);
    },
  };
  return projection;
}

describe('projections with applyBatch (SQLite)', () => {
  let backend: TestBackend;
  let store: EventStore;
  let db: SqlDatabase;

  beforeEach(async () => {
    backend = sqliteBackend();
    store = await backend.openStore();
    db = await backend.openDb();
  });
  afterEach(async () => {
    await store.close();
    await db.close();
    await backend.dispose();
  });

  const read = () => db.queryOne<{ events: number; total: number }>('SELECT events, total FROM batch_totals WHERE id = 1');

  it('feeds whole batches, and a rebuild gives the same tables', async () => {
    const head = await appendEvents(store, { count: 400, streams: 7, concurrency: 1 });
    const projection = totals();
    const runner = new ProjectionRunner({ store, db, projections: [projection], batchSize: 100, logger: { log() {}, warn() {}, error() {} } });
    await runner.start();
    expect(await runner.waitForPosition(head, 20_000)).toBe(true);
    await runner.stop();
    expect(await read()).toEqual({ events: 400, total: (399 * 400) / 2 });
    expect(projection.batchCalls).toBeGreaterThan(0);
    expect(projection.singleCalls).toBe(0);
    await runner.rebuild('batch_totals');
    expect(await read()).toEqual({ events: 400, total: (399 * 400) / 2 });
  });

  it('applies a failing batch again one event at a time and fails at the event at fault, keeping the events before it', async () => {
    const head = await appendEvents(store, { count: 300, streams: 3, concurrency: 1 });
    const poisoned = (await store.readAll({ fromPosition: 0, maxCount: 300 }))[149]!;
    const errors: string[] = [];
    const projection = totals({ poison: 149 });
    const runner = new ProjectionRunner({
      store,
      db,
      projections: [projection],
      batchSize: 100,
      logger: { log() {}, warn() {}, error: (m) => errors.push(m) },
    });
    await runner.start();
    await runner.waitForPosition(poisoned.position - 1, 20_000);
    const deadline = Date.now() + 20_000;
    while ((await runner.status()).projections[0]!.state !== 'failed' && Date.now() < deadline) await runner.waitForPosition(head, 50);
    const status = (await runner.status()).projections[0]!;
    await runner.stop();
    expect(status).toMatchObject({ state: 'failed', failedPosition: poisoned.position, position: poisoned.position - 1 });
    expect(errors.join('\n')).toContain(`poison at ${poisoned.position}`);
    // Exactly the 149 events before the poisoned one, each once: nothing of the rolled-back batch stayed.
    expect(await read()).toEqual({ events: 149, total: (148 * 149) / 2 });
  });
});
