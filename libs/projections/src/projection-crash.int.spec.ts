import type { EventStore } from '#ruche/eventstore';
import { postgresService } from '#ruche/eventstore/testing';
import { ProjectionRunner, type SqlDatabase } from '#ruche/projections';
import { streamStatsProjection } from './testing/stream-stats.projection.js';
import { tableDigest } from './testing/table-digest.js';
import { appendEvents, killFixtures, postgresBackend, spawnFixture, sqliteBackend, type TestBackend } from './testing/test-backends.js';

/**
 * Exactly once across crashes: a runner in a child process is SIGKILLed at random points, ten
 * times, while 10,000 events are projected (half of them appended meanwhile), and restarted
 * each time. In the end every event was applied once, and the tables equal a rebuild from 0.
 */
const postgres = await postgresService();
const TOTAL = 10_000;
const KILLS = 10;
const STREAMS = 60;
const T = 240_000;

function crashSuite(label: string, describeIt: jest.Describe, makeBackend: () => TestBackend): void {
  describeIt(`Projection runner SIGKILLed ${KILLS} times on ${label}`, () => {
    let backend: TestBackend;
    let store: EventStore;
    let db: SqlDatabase;

    beforeAll(async () => {
      backend = makeBackend();
      store = await backend.openStore();
      db = await backend.openDb();
    }, T);
    afterAll(async () => {
      killFixtures();
      await db?.close();
      await store?.close();
      await backend?.dispose();
    }, T);

    it('applies every event exactly once, and ends equal to a rebuild from position 0', async () => {
      const projection = streamStatsProjection({ prefix: 'crash' });
      await appendEvents(store, { count: TOTAL / 2, streams: STREAMS, prefix: 'crash' });
      const rest = appendEvents(store, { count: TOTAL / 2, streams: STREAMS, prefix: 'crash', concurrency: 4 });

      const killedAt: number[] = [];
      for (let kill = 0; kill < KILLS; kill++) {
        // A random point in each tenth of the first 90 %, so that every child has work left.
        const threshold = Math.floor((kill + Math.random()) * (0.9 * TOTAL) / KILLS);
        const batchSize = 5 + Math.floor(Math.random() * 60);
        const child = spawnFixture({ target: backend.target, mode: 'run', batchSize, projection: { prefix: 'crash' } });
        const line = await child.waitForLine((l) => l.startsWith('applied ') && Number(l.slice(8)) >= threshold, 120_000);
        child.child.kill('SIGKILL');
        expect(await child.exited).toEqual({ code: null, signal: 'SIGKILL' });
        killedAt.push(Number(line.slice(8)));
      }
      const head = Math.max(await rest, await store.headPosition());
      expect(await store.readAll({ fromPosition: 0, maxCount: TOTAL + 1 })).toHaveLength(TOTAL);
      // Every kill landed while events were still to be projected.
      expect(killedAt.every((position) => position < head)).toBe(true);

      const last = spawnFixture({ target: backend.target, mode: 'run', batchSize: 500, projection: { prefix: 'crash' } });
      const started = await Promise.race([
        last.waitForLine((l) => l === 'started').then(() => 'started'),
        last.exited.then(() => 'exited'),
      ]);
      expect(started).toBe('started');
      const quiet = { log: () => undefined, warn: () => undefined, error: () => undefined };
      const runner = new ProjectionRunner({ store, db, projections: [projection], logger: quiet });
      // The checkpoint, read from the table, says the child caught up.
      await waitUntil(async () => (await runner.status()).projections[0]!.position === head);
      last.child.kill('SIGTERM');
      expect(await last.exited).toEqual({ code: 0, signal: null });

      // Each stream counts exactly its events; one row per event (a second application of an
      // event would have hit the primary key and failed the projection).
      const streams = await db.query<{ stream: string; events: number; last_revision: number }>(
        `SELECT stream, events, last_revision FROM ${projection.tableNames.streams} ORDER BY stream`,
      );
      expect(streams).toHaveLength(STREAMS);
      for (const row of streams) {
        const revision = await store.streamRevision(row.stream);
        expect({ stream: row.stream, events: row.events, last_revision: row.last_revision }).toEqual({
          stream: row.stream,
          events: revision + 1,
          last_revision: revision,
        });
      }
      expect(await db.queryOne(`SELECT COUNT(*) AS n FROM ${projection.tableNames.events}`)).toEqual({ n: TOTAL });
      expect(await db.queryOne(`SELECT SUM(events) AS n FROM ${projection.tableNames.streams}`)).toEqual({ n: TOTAL });
      expect((await runner.status()).projections[0]).toMatchObject({ state: 'running', position: head, lag: 0 });

      const crashed = await digest(db, projection);
      await runner.rebuild('crash');
      const rebuilt = await digest(db, projection);
      expect(rebuilt).toBe(crashed);
    }, T);
  });
}

async function digest(db: SqlDatabase, projection: ReturnType<typeof streamStatsProjection>): Promise<string> {
  return `${await tableDigest(db, projection.tableNames.streams, 'stream')}/${await tableDigest(db, projection.tableNames.events, 'position')}`;
}

/** Polls a condition only another process can make true, with a timeout. */
async function waitUntil(condition: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('Condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

crashSuite('SQLite', describe, sqliteBackend);
crashSuite('PostgreSQL', postgres.describe, () => postgresBackend('proj_crash'));
