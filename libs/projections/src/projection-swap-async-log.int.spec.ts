import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { PostgresEventStore, type EventStore } from '#ruche/eventstore';
import { postgresService, testDatabaseUrl, uniqueSchema } from '#ruche/eventstore/testing';
import { openSqliteDatabase, ProjectionRunner, type RebuildProgress, type SqlDatabase } from '#ruche/projections';
import { streamStatsProjection } from './testing/stream-stats.projection.js';
import { tableDigest } from './testing/table-digest.js';
import { appendEvents } from './testing/test-backends.js';

/*
 * A log whose reads are real I/O (PostgreSQL here, KurrentDB in a deployment) beside a SQLite
 * read store, whose transactions may await nothing but their own statements: a rebuild's swap
 * must catch up with the live runner without reading the log inside its transaction.
 */
const postgres = await postgresService();
const T = 60_000;

postgres.describe('Rebuild swap with an asynchronous log and a SQLite read store', () => {
  let dir: string;
  let schema: string;
  let store: EventStore;
  let db: SqlDatabase;
  let runner: ProjectionRunner | undefined;
  /** Appends a test started: settled before the store closes. */
  const appends: Promise<number>[] = [];

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ruche-swap-'));
    schema = uniqueSchema('swap_async');
    store = await PostgresEventStore.connect({ connectionString: testDatabaseUrl, schema, pollIntervalMs: 20 });
    db = openSqliteDatabase({ filename: join(dir, 'read.db') });
  }, T);
  afterEach(async () => {
    await Promise.allSettled(appends.splice(0));
    await runner?.stop();
    await db.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
    const client = new pg.Client({ connectionString: testDatabaseUrl });
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await client.end();
  }, T);

  it('swaps in a rebuild while the live runner is ahead of it, and every event is applied once', async () => {
    const projection = streamStatsProjection({ prefix: 'swap' });
    await appendEvents(store, { count: 1500, streams: 7, prefix: 'swap' });
    runner = new ProjectionRunner({
      store,
      db,
      projections: [projection],
      logger: { log: () => undefined, warn: () => undefined, error: () => undefined },
      recheckIntervalMs: 50,
      batchSize: 50,
      rebuildBatchSize: 100,
      stagedRebuildBatchSize: 100,
    });
    await runner.start();
    expect(await runner.waitForPosition(await store.headPosition(), 20_000)).toBe(true);

    // Appends while the replay and the copy run: the live runner applies them, and the rebuild
    // reaches its swap behind the live checkpoint, with the difference to apply inside it. That
    // depends on timing: the rebuild is run again until it happened (most often at once).
    let caughtUpInSwap = false;
    for (let run = 0; run < 8 && !caughtUpInSwap; run++) {
      let atSwap: number | undefined;
      const before = appends.length;
      const result = await runner.rebuild('swap', {
        onProgress: (progress: RebuildProgress) => {
          if (progress.phase === 'replay' || progress.phase === 'copy') {
            appends.push(appendEvents(store, { count: 5, streams: 7, prefix: 'swap', concurrency: 1 }));
          }
          if (progress.phase === 'swap' && atSwap === undefined) atSwap = progress.position;
        },
      });
      await Promise.all(appends);
      expect(appends.length - before).toBeGreaterThan(10);
      expect(atSwap).toBeDefined();
      caughtUpInSwap = result.position > atSwap!;
    }
    expect(caughtUpInSwap).toBe(true);

    const head = await store.headPosition();
    expect(await runner.waitForPosition(head, 20_000)).toBe(true);
    const rows = await db.query<{ n: number; last: number }>(`SELECT COUNT(*) AS n, MAX(position) AS last FROM ${projection.tableNames.events}`);
    const all = await store.readAll({ fromPosition: 0, maxCount: 1_000_000 });
    expect(rows).toEqual([{ n: all.length, last: head }]);
    const live = `${await tableDigest(db, projection.tableNames.streams, 'stream')}/${await tableDigest(db, projection.tableNames.events, 'position')}`;
    await runner.stop();
    await runner.rebuild('swap');
    expect(`${await tableDigest(db, projection.tableNames.streams, 'stream')}/${await tableDigest(db, projection.tableNames.events, 'position')}`).toBe(live);
  }, T);
});
