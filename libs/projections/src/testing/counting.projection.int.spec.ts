import type { EventStore } from '#ruche/eventstore';
import { postgresService } from '#ruche/eventstore/testing';
import { liveTables, ProjectionRunner, type Projection, type SqlDatabase } from '#ruche/projections';
import { auditApplyLog, countingProjection, exactlyOnce } from './counting.projection.js';
import { tableDigest } from './table-digest.js';
import { appendEvents, postgresBackend, sqliteBackend, type TestBackend } from './test-backends.js';

const postgres = await postgresService();
const T = 60_000;
const quiet = { log: () => undefined, warn: () => undefined, error: () => undefined };

/** Idempotent on purpose (an upsert keeping the highest position): a second application of an event leaves its table as it was. */
function lastPositionProjection(name: string): Projection<string> {
  const table = `${name}_streams`;
  return {
    name,
    version: 1,
    tables: [table],
    async createTables(db, t) {
      await db.execute(`CREATE TABLE ${t[table]} (stream TEXT PRIMARY KEY, last_position BIGINT NOT NULL)`);
    },
    async apply(event, tx, t) {
      await tx.execute(
        `INSERT INTO ${t[table]} (stream, last_position) VALUES ($1, $2)
         ON CONFLICT (stream) DO UPDATE SET last_position = CASE
           WHEN excluded.last_position > ${t[table]}.last_position THEN excluded.last_position ELSE ${t[table]}.last_position END`,
        [event.streamName, event.position],
      );
    },
  };
}

function suite(label: string, describeIt: jest.Describe, makeBackend: () => TestBackend): void {
  describeIt(`countingProjection on ${label}`, () => {
    let backend: TestBackend;
    let store: EventStore;
    let db: SqlDatabase;

    beforeAll(async () => {
      backend = makeBackend();
      store = await backend.openStore();
      db = await backend.openDb();
    }, T);
    afterAll(async () => {
      await db?.close();
      await store?.close();
      await backend?.dispose();
    }, T);

    it('logs each event the runner applies once, and a rebuild replays the log with the tables', async () => {
      await appendEvents(store, { count: 300, streams: 7, prefix: 'counted' });
      const counted = countingProjection(lastPositionProjection('counted'));
      expect(counted.tables).toEqual(['counted_streams', 'counted_apply_log']);
      const positions = (await store.readAll({ fromPosition: 0, maxCount: 10_000 })).map((event) => event.position);
      const runner = new ProjectionRunner({ store, db, projections: [counted], batchSize: 40, logger: quiet });
      await runner.start();
      expect(await runner.waitForPosition(positions[positions.length - 1]!, 20_000)).toBe(true);
      await runner.stop();
      expect(await auditApplyLog(db, counted, positions)).toEqual(exactlyOnce(positions));

      await runner.rebuild('counted');
      expect(await auditApplyLog(db, counted, positions)).toEqual(exactlyOnce(positions));
      const leftovers = await db.query(
        backend.target.kind === 'sqlite'
          ? `SELECT name FROM sqlite_master WHERE name LIKE '%rebuild%'`
          : `SELECT relname FROM pg_class WHERE relnamespace = current_schema()::regnamespace AND relname LIKE '%rebuild%'`,
      );
      expect(leftovers).toEqual([]);
    }, T);

    it('shows a second application that the idempotent projection itself hides', async () => {
      const counted = countingProjection(lastPositionProjection('twice'));
      const runner = new ProjectionRunner({ store, db, projections: [counted], logger: quiet });
      const events = await store.readAll({ fromPosition: 0, maxCount: 10_000 });
      const positions = events.map((event) => event.position);
      await runner.start();
      expect(await runner.waitForPosition(positions[positions.length - 1]!, 20_000)).toBe(true);
      await runner.stop();
      const before = await tableDigest(db, 'twice_streams', 'stream');

      const again = events[17]!;
      await db.transaction((tx) => counted.apply(again, tx, liveTables(counted)));

      expect(await tableDigest(db, 'twice_streams', 'stream')).toBe(before);
      expect(await auditApplyLog(db, counted, positions)).toEqual({
        rows: positions.length + 1,
        missing: { count: 0, first: [] },
        doubled: { count: 1, first: [{ position: again.position, rows: 2 }] },
        foreign: 0,
      });
    }, T);

    it('writes its row in the apply transaction: a rolled-back apply leaves no row, and shows as missing', async () => {
      const counted = countingProjection(lastPositionProjection('rolled_back'));
      await counted.createTables(db, liveTables(counted));
      const [first] = await store.readAll({ fromPosition: 0, maxCount: 1 });

      const rollback = db.transaction(async (tx) => {
        await counted.apply(first!, tx, liveTables(counted));
        throw new Error('roll back');
      });
      await expect(rollback).rejects.toThrow('roll back');

      expect(await auditApplyLog(db, counted, [first!.position])).toEqual({
        rows: 0,
        missing: { count: 1, first: [first!.position] },
        doubled: { count: 0, first: [] },
        foreign: 0,
      });
    }, T);

    it('refuses a projection that already owns a table named like its log', () => {
      const clash = { ...lastPositionProjection('clash'), tables: ['clash_apply_log'] };
      expect(() => countingProjection(clash)).toThrow('already owns a table named clash_apply_log');
    });
  });
}

suite('SQLite', describe, sqliteBackend);
suite('PostgreSQL', postgres.describe, () => postgresBackend('counting'));
