import pg from 'pg';
import type { EventStore } from '#ruche/eventstore';
import { postgresService } from '#ruche/eventstore/testing';
import { ProjectionRunner, type Projection, type SqlDatabase } from '#ruche/projections';
import { appendEvents, postgresBackend, type TestBackend } from '../../libs/projections/src/testing/test-backends.js';
import { PostgresProjectionLeases } from '../../apps/api/src/infrastructure/projection-leases.js';

/**
 * Several processes on one PostgreSQL read store: each projection is applied by the holder of
 * its lease only; the others follow its checkpoint (read-your-writes works on every process);
 * when the holder stops, or its lease connection dies, another takes over within seconds.
 * Two runners with their own lease connections stand for two processes.
 */
const postgres = await postgresService();
const quiet = { log: () => undefined, warn: () => undefined, error: () => undefined };

/** Each event once per row, no key: an event applied twice would show. */
const applied: Projection<'lease_applied'> = {
  name: 'lease_applied',
  version: 1,
  tables: ['lease_applied'],
  async createTables(db, t) {
    await db.execute(`CREATE TABLE IF NOT EXISTS ${t.lease_applied} (position BIGINT NOT NULL)`);
  },
  async apply(event, tx, t) {
    await tx.execute(`INSERT INTO ${t.lease_applied} (position) VALUES ($1)`, [event.position]);
  },
};

postgres.describe('projection leases (PostgreSQL)', () => {
  let backend: TestBackend;
  let store: EventStore;
  const dbs: SqlDatabase[] = [];
  const runners: ProjectionRunner[] = [];
  const leases: PostgresProjectionLeases[] = [];

  async function startRunner(label: string): Promise<ProjectionRunner> {
    const db = await backend.openDb();
    dbs.push(db);
    const lease = new PostgresProjectionLeases({ connectionString: backend.target.kind === 'postgres' ? backend.target.connectionString : '', schema: backend.target.kind === 'postgres' ? backend.target.schema : '', applicationName: `ruche-leases-${label}` });
    leases.push(lease);
    const runner = new ProjectionRunner({ store, db, projections: [applied], logger: quiet, leases: lease, leaseRetryMs: 200, standbyPollMs: 50 });
    runners.push(runner);
    await runner.start();
    return runner;
  }

  const feedOf = async (runner: ProjectionRunner): Promise<string> => (await runner.status()).projections[0]!.feed;

  async function waitUntil(condition: () => Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!(await condition())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  async function rows(): Promise<{ count: number; distinct: number }> {
    const row = await dbs[0]!.queryOne<{ count: number; distinct: number }>('SELECT COUNT(*) AS count, COUNT(DISTINCT position) AS distinct FROM lease_applied');
    return { count: Number(row!.count), distinct: Number(row!.distinct) };
  }

  beforeAll(async () => {
    backend = postgresBackend('leases');
    store = await backend.openStore();
  });

  afterAll(async () => {
    for (const runner of runners) await runner.stop();
    for (const lease of leases) await lease.close();
    for (const db of dbs) await db.close();
    await store?.close();
    await backend?.dispose();
  });

  it('applies each projection in one process, the others follow its checkpoint, and a takeover follows a stop or a lost connection', async () => {
    const first = await startRunner('a');
    await waitUntil(async () => (await feedOf(first)) === 'running', 'the first runner to take the lease');
    const second = await startRunner('b');
    await waitUntil(async () => (await feedOf(second)) === 'standby', 'the second runner to stand by');

    let head = await appendEvents(store, { count: 300, streams: 7, prefix: 'lease' });
    expect(await first.waitForPosition(head, 10_000)).toBe(true);
    expect(await second.waitForPosition(head, 10_000)).toBe(true);
    expect(await feedOf(second)).toBe('standby');

    // The holder's lease connection dies (a crashed process): the other takes over.
    const admin = new pg.Client({ connectionString: backend.target.kind === 'postgres' ? backend.target.connectionString : '' });
    await admin.connect();
    const killed = await admin.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'ruche-leases-a'");
    await admin.end();
    expect(killed.rowCount).toBe(1);
    await waitUntil(async () => (await feedOf(second)) === 'running', 'the second runner to take over');
    head = await appendEvents(store, { count: 200, streams: 5, prefix: 'lease2' });
    expect(await second.waitForPosition(head, 10_000)).toBe(true);
    expect(await first.waitForPosition(head, 10_000)).toBe(true);
    expect(await feedOf(first)).toBe('standby');

    // A graceful stop hands the lease over at the other's next try.
    await second.stop();
    await waitUntil(async () => (await feedOf(first)) === 'running', 'the first runner to take the lease back');
    head = await appendEvents(store, { count: 100, streams: 3, prefix: 'lease3' });
    expect(await first.waitForPosition(head, 10_000)).toBe(true);

    expect(await rows()).toEqual({ count: 600, distinct: 600 });
  }, 60_000);
});
