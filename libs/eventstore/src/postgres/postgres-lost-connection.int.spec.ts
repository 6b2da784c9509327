import pg from 'pg';
import { v7 as uuidv7 } from 'uuid';
import { PostgresEventStore } from '#ruche/eventstore';
import { postgresService, testDatabaseUrl, uniqueSchema } from '#ruche/eventstore/testing';
import { dropSchema, until } from './postgres-spec-support.js';
import { WireProxy } from './postgres-wire-proxy.js';

const postgres = await postgresService();

const stream = (): string => `lost-${uuidv7()}`;
const tick = (n: number, id: string) => ({ id, type: 'Ticked', data: { n } });

async function rejectionOf(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a rejection, got a result');
}

/**
 * The connection of an append drops, through a proxy that cuts it at a chosen point of the wire
 * protocol: after the server committed and answered (the answer is held back and the backend
 * ended by pg_terminate_backend), or before the statement reached it. The caller must learn the
 * truth: success when the events are stored, the connection's error when they are not (and
 * never will be); a retry with the same ids stores nothing twice.
 */
postgres.describe('PostgresEventStore: an append whose connection is lost', () => {
  const schema = uniqueSchema('es_pg_lost');
  let proxy: WireProxy;
  let admin: pg.Pool;
  /** Through the proxy; single appends take the append function. */
  let store: PostgresEventStore;
  /** Through the proxy, under a default isolation the function declines: the transaction path. */
  let transactional: PostgresEventStore;
  /** Straight to the server. */
  let direct: PostgresEventStore;

  const terminate = async (pid: number): Promise<void> => {
    await admin.query('SELECT pg_terminate_backend($1)', [pid]);
  };

  beforeAll(async () => {
    admin = new pg.Pool({ connectionString: testDatabaseUrl, max: 2 });
    direct = await PostgresEventStore.connect({ connectionString: testDatabaseUrl, schema });
    proxy = await WireProxy.start(testDatabaseUrl);
    store = await PostgresEventStore.connect({ connectionString: proxy.url(testDatabaseUrl), schema });
    const serializable = new URL(proxy.url(testDatabaseUrl));
    serializable.searchParams.set('options', '-c default_transaction_isolation=serializable');
    transactional = await PostgresEventStore.connect({ connectionString: serializable.toString(), schema });
  });

  afterEach(() => proxy.disarm());

  afterAll(async () => {
    await Promise.all([store, transactional, direct].map((s) => s?.close()));
    await proxy?.close();
    await admin?.end();
    await dropSchema(testDatabaseUrl, schema);
  }, 30_000);

  async function storedIds(streamName: string): Promise<string[]> {
    return (await direct.readStream(streamName)).map((e) => e.id);
  }

  describe('lost after the server committed and answered', () => {
    it('a single event on the fast path: the caller gets success, and a retry stores nothing twice', async () => {
      const s = stream();
      const id = uuidv7();
      const cut = proxy.arm('append_fast', 'after-answer', terminate);
      const fastBefore = store.fastPathGroups;

      const result = await store.appendToStream(s, [tick(1, id)]);

      expect(await cut).toMatchObject({ answered: true });
      // The statement's answer never arrived: the group was not counted as written by it.
      expect(store.fastPathGroups).toBe(fastBefore);
      const stored = await direct.readStream(s);
      expect(stored.map((e) => [e.id, e.revision, e.position])).toEqual([[id, 0, result.position]]);
      expect(result).toEqual({ nextExpectedRevision: 0, position: stored[0].position });

      expect(await store.appendToStream(s, [tick(1, id)])).toEqual(result);
      expect(await storedIds(s)).toEqual([id]);
    });

    it('several events of one append on the fast path: success with the last revision and position', async () => {
      const s = stream();
      await direct.appendToStream(s, [tick(0, uuidv7())]);
      const ids = [uuidv7(), uuidv7(), uuidv7()];
      const cut = proxy.arm('append_fast', 'after-answer', terminate);

      const result = await store.appendToStream(s, ids.map((id, n) => tick(n + 1, id)), { expectedRevision: 0 });

      expect(await cut).toMatchObject({ answered: true });
      const stored = await direct.readStream(s);
      expect(stored.slice(1).map((e) => [e.id, e.revision])).toEqual(ids.map((id, i) => [id, i + 1]));
      expect(result).toEqual({ nextExpectedRevision: 3, position: stored[3].position });

      const retry = await store.appendToStream(s, ids.map((id, n) => tick(n + 1, id)), { expectedRevision: 0 });
      expect(retry).toEqual(result);
      expect(await direct.streamRevision(s)).toBe(3);
    });

    it('a single append on the transaction path, lost after COMMIT: success, and a retry stores nothing twice', async () => {
      const s = stream();
      const ids = [uuidv7(), uuidv7()];
      const cut = proxy.arm('COMMIT\0', 'after-answer', terminate);
      const fallbacksBefore = transactional.fallbackGroups;

      const result = await transactional.appendToStream(s, ids.map((id, n) => tick(n, id)), { expectedRevision: 'no_stream' });

      expect(await cut).toMatchObject({ answered: true });
      expect(transactional.fallbackGroups).toBe(fallbacksBefore + 1);
      const stored = await direct.readStream(s);
      expect(stored.map((e) => e.id)).toEqual(ids);
      expect(result).toEqual({ nextExpectedRevision: 1, position: stored[1].position });

      const retry = await transactional.appendToStream(s, ids.map((id, n) => tick(n, id)), { expectedRevision: 'no_stream' });
      expect(retry).toEqual(result);
      expect(await storedIds(s)).toEqual(ids);
    });

    it('a group of appends on the transaction path: each caller gets success, each event is stored once', async () => {
      const s = stream();
      const id = uuidv7();
      const cut = proxy.arm('COMMIT\0', 'after-answer', terminate);

      // Same tick, same id: one group, which the function leaves to the transaction path.
      const [first, again] = await Promise.all([
        store.appendToStream(s, [tick(1, id)]),
        store.appendToStream(s, [tick(1, id)]),
      ]);

      expect(await cut).toMatchObject({ answered: true });
      expect(first).toEqual(again);
      expect(await storedIds(s)).toEqual([id]);
    });

    it('a group of appends on the fast path: each caller gets success, each event is stored once', async () => {
      const [a, b] = [stream(), stream()];
      const [idA, idB] = [uuidv7(), uuidv7()];
      const cut = proxy.arm('append_fast', 'after-answer', terminate);

      const [resultA, resultB] = await Promise.all([
        store.appendToStream(a, [tick(1, idA)]),
        store.appendToStream(b, [tick(1, idB)]),
      ]);

      expect(await cut).toMatchObject({ answered: true });
      expect(await direct.readStream(a)).toMatchObject([{ id: idA, revision: 0, position: resultA.position }]);
      expect(await direct.readStream(b)).toMatchObject([{ id: idB, revision: 0, position: resultB.position }]);
    });
  });

  describe('lost before anything was committed', () => {
    it('the statement never reached the server: the connection error, nothing stored, and a retry stores once', async () => {
      const s = stream();
      const id = uuidv7();
      const cut = proxy.arm('append_fast', 'before-sending');

      const error = await rejectionOf(store.appendToStream(s, [tick(1, id)]));

      expect(await cut).toMatchObject({ answered: false });
      expect(error.message).toMatch(/Connection terminated/);
      expect(await storedIds(s)).toEqual([]);
      expect(await store.appendToStream(s, [tick(1, id)])).toMatchObject({ nextExpectedRevision: 0 });
      expect(await storedIds(s)).toEqual([id]);
    });

    it('the statement waits for the append lock when the connection drops: it is ended, and never commits later', async () => {
      const s = stream();
      const id = uuidv7();
      const holder = await direct.pool.connect();
      let pending: Promise<unknown> | undefined;
      try {
        await holder.query('BEGIN');
        await direct.appendWithin(holder, stream(), [tick(0, uuidv7())]);
        const cut = proxy.arm('append_fast', 'after-sending');
        pending = rejectionOf(store.appendToStream(s, [tick(1, id)]));
        const { pid } = await cut;
        await until(async () => {
          const { rows } = await admin.query(
            `SELECT 1 FROM pg_stat_activity WHERE pid = $1 AND wait_event_type = 'Lock' AND wait_event = 'advisory'`,
            [pid],
          );
          return rows.length === 1;
        }, 'the append to wait for the lock');

        proxy.drop(pid);
        const error = (await pending) as Error;
        expect(error.message).toMatch(/Connection terminated/);

        await holder.query('COMMIT');
        // Had its backend lived on, it would now take the lock and commit: wait until it is gone.
        const alive = async (): Promise<boolean> =>
          (await admin.query('SELECT 1 FROM pg_stat_activity WHERE pid = $1', [pid])).rows.length > 0;
        await until(async () => !(await alive()), 'the lost backend to end');
        expect(await storedIds(s)).toEqual([]);
      } finally {
        await holder.query('ROLLBACK').catch(() => undefined);
        holder.release();
        // Only so that a failure above does not leave the append running into the next test.
        await pending?.catch(() => undefined);
      }
      expect(await store.appendToStream(s, [tick(1, id)])).toMatchObject({ nextExpectedRevision: 0 });
      expect(await storedIds(s)).toEqual([id]);
    });
  });
});
