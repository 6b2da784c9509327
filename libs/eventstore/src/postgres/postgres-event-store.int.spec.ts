import { v7 as uuidv7 } from 'uuid';
import {
  type AppendResult,
  EventStoreClosedError,
  InvalidAppendError,
  PostgresEventStore,
  WrongExpectedVersionError,
} from '#ruche/eventstore';
import { postgresService, testDatabaseUrl, uniqueSchema } from '#ruche/eventstore/testing';
import { collect, dropSchema, until } from './postgres-spec-support.js';

const pg = await postgresService();

const stream = (category = 'space'): string => `${category}-${uuidv7()}`;
const tick = (n: number, id?: string) => ({ id, type: 'Ticked', data: { n } });

async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection, got a result');
}

pg.describe('PostgresEventStore', () => {
  const schema = uniqueSchema('es_pg');
  const open: PostgresEventStore[] = [];
  let store: PostgresEventStore;

  async function connect(pollIntervalMs?: number): Promise<PostgresEventStore> {
    const s = await PostgresEventStore.connect({ connectionString: testDatabaseUrl, schema, pollIntervalMs });
    open.push(s);
    return s;
  }

  beforeAll(async () => {
    store = await connect();
  });

  afterAll(async () => {
    await Promise.all(open.map((s) => s.close()));
    await dropSchema(testDatabaseUrl, schema);
  }, 30_000);

  describe('schema', () => {
    const fresh = uniqueSchema('es_pg_mig');

    afterAll(() => dropSchema(testDatabaseUrl, fresh));

    it('is created once when several processes connect at the same time', async () => {
      const stores = await Promise.all(
        Array.from({ length: 6 }, () => PostgresEventStore.connect({ connectionString: testDatabaseUrl, schema: fresh })),
      );
      try {
        const { rows } = await stores[0].pool.query<{ version: number }>(`SELECT version FROM "${fresh}".es_migrations`);
        expect(rows).toEqual([{ version: 1 }]);
        const tables = await stores[0].pool.query<{ table_name: string }>(
          `SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name`,
          [fresh],
        );
        expect(tables.rows.map((r) => r.table_name)).toEqual(['es_events', 'es_migrations', 'es_streams']);
        expect(stores.map((s) => s.schema)).toEqual(stores.map(() => fresh));
        const again = await PostgresEventStore.connect({ connectionString: testDatabaseUrl, schema: fresh });
        await again.close();
      } finally {
        await Promise.all(stores.map((s) => s.close()));
      }
    });

    it('refuses a schema name that is not a plain identifier', async () => {
      await expect(
        PostgresEventStore.connect({ connectionString: testDatabaseUrl, schema: 'x"; DROP TABLE y; --' }),
      ).rejects.toThrow(/Invalid PostgreSQL schema name/);
    });
  });

  describe('round trips', () => {
    it('reads a stream forwards and backwards, from a revision, with maxCount; numbers are numbers', async () => {
      const s = stream();
      const first = await store.appendToStream(s, [tick(0), tick(1), tick(2)], { expectedRevision: 'no_stream' });
      const second = await store.appendToStream(s, [tick(3), tick(4)], { expectedRevision: 2 });
      expect(first.nextExpectedRevision).toBe(2);
      expect(second.nextExpectedRevision).toBe(4);
      expect(typeof second.position).toBe('number');
      expect(second.position).toBe(first.position + 2);

      const all = await store.readStream(s);
      expect(all.map((e) => e.data)).toEqual([0, 1, 2, 3, 4].map((n) => ({ n })));
      expect(all.map((e) => e.revision)).toEqual([0, 1, 2, 3, 4]);
      for (const e of all) {
        expect(typeof e.revision).toBe('number');
        expect(typeof e.position).toBe('number');
        expect(e.createdAt).toBeInstanceOf(Date);
        expect(e.streamName).toBe(s);
        expect(e.metadata).toEqual({ schemaVersion: 1 });
      }
      expect(all.at(-1)!.position).toBe(second.position);
      expect((await store.readStream(s, { fromRevision: 1, maxCount: 2 })).map((e) => e.revision)).toEqual([1, 2]);
      expect((await store.readStream(s, { direction: 'backwards' })).map((e) => e.revision)).toEqual([4, 3, 2, 1, 0]);
      expect((await store.readStream(s, { direction: 'backwards', fromRevision: 3, maxCount: 2 })).map((e) => e.revision)).toEqual([
        3, 2,
      ]);
      expect(await store.readStream(s, { maxCount: 0 })).toEqual([]);
      expect(await store.readStream(stream())).toEqual([]);
      expect(await store.streamRevision(s)).toBe(4);
      expect(await store.streamRevision(stream())).toBe(-1);
      await expect(store.readStream(s, { maxCount: -1 })).rejects.toThrow(RangeError);
    });

    it('reads all after an exclusive position, with maxCount, and reports the head and health', async () => {
      const head = await store.headPosition();
      const a = stream('topic');
      const b = stream('faq');
      await store.appendToStream(a, [tick(1)]);
      await store.appendToStream(b, [tick(2), tick(3)]);
      const last = await store.appendToStream(a, [tick(4)]);
      const after = await store.readAll({ fromPosition: head });
      expect(after.map((e) => [e.streamName, e.revision, e.position])).toEqual([
        [a, 0, head + 1],
        [b, 0, head + 2],
        [b, 1, head + 3],
        [a, 1, head + 4],
      ]);
      expect((await store.readAll({ fromPosition: head + 1, maxCount: 2 })).map((e) => e.position)).toEqual([head + 2, head + 3]);
      expect(await store.headPosition()).toBe(last.position);
      expect(await store.health()).toEqual({ status: 'up', adapter: 'postgres', lastPosition: last.position });
    });

    it('keeps data exactly as written: key order, NUL, lone surrogates', async () => {
      const s = stream();
      const data = { z: 1, a: { y: [3, 2, 1], b: 'avant\u0000après' }, lone: '\ud800', m: null };
      await store.appendToStream(s, [{ type: 'Exact', data, metadata: { userId: 'u-1', zeta: true } }]);
      const [recorded] = await store.readStream(s);
      expect(JSON.stringify(recorded.data)).toBe(JSON.stringify(data));
      expect(recorded.metadata).toEqual({ userId: 'u-1', zeta: true, schemaVersion: 1 });
    });

    it('reads createdAt to the millisecond, microseconds dropped (as a Date holds it)', async () => {
      const s = stream();
      await store.appendToStream(s, [tick(1), tick(2), tick(3)]);
      // Stored times with microseconds, one just before a second and one before 1970.
      const stored = ['2026-12-01T10:00:00.999999Z', '2026-03-29T01:59:59.123456Z', '1969-12-31T23:59:59.999500Z'];
      for (const [revision, at] of stored.entries()) {
        await store.pool.query(`UPDATE "${schema}".es_events SET created_at = $1 WHERE stream_name = $2 AND revision = $3`, [at, s, revision]);
      }
      const read = [...(await store.readStream(s)), ...(await store.readStream(s, { direction: 'backwards' }))];
      const all = (await store.readAll({ fromPosition: read[0]!.position - 1, maxCount: 3 })).map((e) => e.createdAt.toISOString());
      const expected = ['2026-12-01T10:00:00.999Z', '2026-03-29T01:59:59.123Z', '1969-12-31T23:59:59.999Z'];
      expect(read.slice(0, 3).map((e) => e.createdAt.toISOString())).toEqual(expected);
      expect(read.slice(3).map((e) => e.createdAt.toISOString())).toEqual([...expected].reverse());
      expect(all).toEqual(expected);
    });

    it('gives ids back in lower case and recognises a retry whatever the case of its ids', async () => {
      const s = stream();
      const id = uuidv7().toUpperCase();
      const first = await store.appendToStream(s, [tick(1, id)], { expectedRevision: 'no_stream' });
      const retry = await store.appendToStream(s, [tick(1, id.toLowerCase())], { expectedRevision: 'no_stream' });
      expect(retry).toEqual(first);
      expect((await store.readStream(s)).map((e) => e.id)).toEqual([id.toLowerCase()]);
      const twice = await rejectionOf(store.appendToStream(s, [tick(2, id), tick(3, id.toLowerCase())]));
      expect(twice).toBeInstanceOf(InvalidAppendError);
      expect(twice).toMatchObject({ field: 'events[1].id' });
    });

    it('rejects a NUL character in a type, which PostgreSQL text cannot hold, naming the field', async () => {
      const head = await store.headPosition();
      const error = await rejectionOf(store.appendToStream(stream(), [tick(1), { type: 'Bad\u0000Type', data: {} }]));
      expect(error).toBeInstanceOf(InvalidAppendError);
      expect(error).toMatchObject({ field: 'events[1].type' });
      expect(await store.headPosition()).toBe(head);
    });

    it('enforces event-id uniqueness per stream durably, in the table itself', async () => {
      const s = stream();
      const id = uuidv7();
      await store.appendToStream(s, [tick(1, id)]);
      const error = await rejectionOf(
        store.pool.query(
          `INSERT INTO "${schema}".es_events (position, stream_name, revision, event_id, type, data, metadata, created_at)
           VALUES ((SELECT max(position) + 1 FROM "${schema}".es_events), $1, 1, $2, 'Dup', '{}', '{}', now())`,
          [s, id],
        ),
      );
      expect(error).toMatchObject({ code: '23505', constraint: 'es_events_stream_event_id_key' });
      // The same id in another stream is another event, as in EventStoreDB.
      await expect(store.appendToStream(stream(), [tick(1, id)])).resolves.toMatchObject({ nextExpectedRevision: 0 });
    });
  });

  describe('group commit', () => {
    it('writes the appends issued together in one transaction', async () => {
      const commits = store.commits;
      const head = await store.headPosition();
      const streams = Array.from({ length: 50 }, () => stream('topic'));
      const results = await Promise.all(streams.map((s, i) => store.appendToStream(s, [tick(i), tick(i + 1)])));
      expect(store.commits).toBe(commits + 1);
      expect(results.map((r) => r.position)).toEqual(streams.map((_, i) => head + 2 * (i + 1)));
      const all = await store.readAll({ fromPosition: head });
      expect(all).toHaveLength(100);
      expect(all.map((e) => e.position)).toEqual(all.map((_, i) => head + 1 + i));
    });

    it('chains appends to one stream within a group, each decided on its own', async () => {
      const s = stream();
      const commits = store.commits;
      const a = [tick(0, uuidv7()), tick(1, uuidv7())];
      const settled = await Promise.allSettled([
        store.appendToStream(s, a, { expectedRevision: 'no_stream' }),
        store.appendToStream(s, [tick(2)], { expectedRevision: 1 }),
        store.appendToStream(s, [tick(99)], { expectedRevision: 'no_stream' }),
        store.appendToStream(s, a, { expectedRevision: 'no_stream' }),
        store.appendToStream(s, [tick(3)], { expectedRevision: 'stream_exists' }),
        store.appendToStream(s, [tick(98)], { expectedRevision: 1 }),
      ]);
      expect(store.commits).toBe(commits + 1);
      const value = (i: number): AppendResult => (settled[i] as PromiseFulfilledResult<AppendResult>).value;
      const reason = (i: number): unknown => (settled[i] as PromiseRejectedResult).reason;
      expect(settled.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled', 'fulfilled', 'rejected']);
      expect(value(0).nextExpectedRevision).toBe(1);
      expect(value(1)).toEqual({ nextExpectedRevision: 2, position: value(0).position + 1 });
      expect(reason(2)).toBeInstanceOf(WrongExpectedVersionError);
      expect(reason(2)).toMatchObject({ expected: 'no_stream', actual: 2 });
      expect(value(3)).toEqual(value(0));
      expect(value(4).nextExpectedRevision).toBe(3);
      expect(reason(5)).toMatchObject({ expected: 1, actual: 3 });
      expect((await store.readStream(s)).map((e) => e.data)).toEqual([{ n: 0 }, { n: 1 }, { n: 2 }, { n: 3 }]);
    });

    it('does not fail the other appends of a group when the database rejects one', async () => {
      // A real constraint violation inside the group's INSERT, not a mock.
      await store.pool.query(`ALTER TABLE "${schema}".es_events ADD CONSTRAINT no_poison CHECK (type <> 'Poison')`);
      try {
        const head = await store.headPosition();
        const [ok1, poison, ok2] = await Promise.allSettled([
          store.appendToStream(stream(), [tick(1)]),
          store.appendToStream(stream(), [tick(2), { type: 'Poison', data: {} }]),
          store.appendToStream(stream(), [tick(3)]),
        ]);
        expect(ok1.status).toBe('fulfilled');
        expect(ok2.status).toBe('fulfilled');
        expect(poison.status).toBe('rejected');
        expect((poison as PromiseRejectedResult).reason).toMatchObject({ code: '23514', constraint: 'no_poison' });
        const all = await store.readAll({ fromPosition: head });
        expect(all.map((e) => e.data)).toEqual([{ n: 1 }, { n: 3 }]);
        expect(all.map((e) => e.position)).toEqual([head + 1, head + 2]);
      } finally {
        await store.pool.query(`ALTER TABLE "${schema}".es_events DROP CONSTRAINT no_poison`);
      }
    });
  });

  describe('appendWithin (a caller-held transaction)', () => {
    it('appends visibly only when the caller commits, and leaves the transaction usable after a conflict', async () => {
      const s = stream();
      const client = await store.pool.connect();
      try {
        await client.query('BEGIN');
        const result = await store.appendWithin(client, s, [tick(1)], { expectedRevision: 'no_stream' });
        expect(result.nextExpectedRevision).toBe(0);
        const conflict = await rejectionOf(store.appendWithin(client, s, [tick(2)], { expectedRevision: 'no_stream' }));
        expect(conflict).toBeInstanceOf(WrongExpectedVersionError);
        expect(await store.readStream(s)).toEqual([]);
        await client.query('ROLLBACK');
        expect(await store.readStream(s)).toEqual([]);

        await client.query('BEGIN');
        const kept = await store.appendWithin(client, s, [tick(3)], { expectedRevision: 'no_stream' });
        await client.query('COMMIT');
        expect(await store.readStream(s)).toMatchObject([{ data: { n: 3 }, position: kept.position }]);
      } finally {
        client.release();
      }
    });

    it('refuses to run outside a transaction, where the lock would not cover the insert', async () => {
      const client = await store.pool.connect();
      try {
        await expect(store.appendWithin(client, stream(), [tick(1)])).rejects.toThrow(/transaction block/);
      } finally {
        client.release();
      }
    });
  });

  describe('live wake-up', () => {
    it('wakes a subscriber of another instance through LISTEN/NOTIFY, and again after its listener connection was killed', async () => {
      // A poll interval far beyond the waits below: only a notification can wake the subscriber in time.
      const listening = await connect(120_000);
      const writer = await connect();
      const head = await writer.headPosition();
      const sub = collect(listening, head);
      const listenerPid = async (): Promise<number | undefined> => {
        const { rows } = await writer.pool.query<{ pid: number }>(
          `SELECT pid FROM pg_stat_activity WHERE application_name = $1 AND query LIKE 'LISTEN%'`,
          [`ruche-es-listen:${schema}`],
        );
        return rows.length === 1 ? rows[0].pid : undefined;
      };
      let pid: number | undefined;
      await until(async () => (pid = await listenerPid()) !== undefined, 'the listener connection');

      const first = await writer.appendToStream(stream(), [tick(1)]);
      await until(() => sub.seen.some((e) => e.position === first.position), 'the first event, woken by NOTIFY', 10_000);

      await writer.pool.query('SELECT pg_terminate_backend($1)', [pid]);
      await until(async () => {
        const now = await listenerPid();
        return now !== undefined && now !== pid;
      }, 'the listener to reconnect');
      const second = await writer.appendToStream(stream(), [tick(2)]);
      await until(() => sub.seen.some((e) => e.position === second.position), 'the second event, after reconnection', 10_000);
      expect(sub.seen.map((e) => e.position)).toEqual([first.position, second.position]);
      await sub.subscription.close();
      await sub.done;
    }, 30_000);
  });

  describe('lost connections', () => {
    it('keeps a subscription going when its read connection is killed in the middle of a read', async () => {
      const reading = await connect(20);
      const head = await store.headPosition();
      const first = await store.appendToStream(stream(), [tick(1)]);
      const sub = collect(reading, head);
      await until(() => sub.seen.length === 1, 'the first event');

      const locker = await store.pool.connect();
      try {
        await locker.query('BEGIN');
        // The subscriber's next poll then waits on the lock: a read in flight, to be killed.
        await locker.query(`LOCK TABLE "${schema}".es_events IN ACCESS EXCLUSIVE MODE`);
        let victim: number | undefined;
        await until(async () => {
          const { rows } = await locker.query<{ pid: number }>(
            `SELECT pid FROM pg_stat_activity
              WHERE wait_event_type = 'Lock' AND query LIKE 'SELECT position, stream_name%' AND pid <> pg_backend_pid()`,
          );
          victim = rows[0]?.pid;
          return victim !== undefined;
        }, 'the subscription read to wait on the lock');
        await locker.query('SELECT pg_terminate_backend($1)', [victim]);
        await until(() => reading.retriedReads > 0, 'the read to be retried');
      } finally {
        await locker.query('COMMIT');
        locker.release();
      }
      const second = await store.appendToStream(stream(), [tick(2)]);
      await until(() => sub.seen.some((e) => e.position === second.position), 'the event appended after the kill');
      expect(sub.seen.map((e) => e.position)).toEqual([first.position, second.position]);
      await sub.subscription.close();
      await sub.done;
    }, 30_000);
  });

  describe('close', () => {
    it('writes what was queued, then rejects appends and reads, reports down and ends subscriptions', async () => {
      const closing = await connect();
      const sub = collect(closing);
      const s = stream();
      const pending = [closing.appendToStream(s, [tick(1)]), closing.appendToStream(s, [tick(2)])];
      const closed = closing.close();
      await expect(Promise.all(pending)).resolves.toHaveLength(2);
      await closed;
      await sub.done;
      await expect(closing.appendToStream(s, [tick(3)])).rejects.toBeInstanceOf(EventStoreClosedError);
      await expect(closing.readStream(s)).rejects.toBeInstanceOf(EventStoreClosedError);
      await expect(closing.headPosition()).rejects.toBeInstanceOf(EventStoreClosedError);
      expect(() => closing.subscribeToAll()).toThrow(EventStoreClosedError);
      expect(await closing.health()).toMatchObject({ status: 'down', adapter: 'postgres' });
      await closing.close();
      expect((await store.readStream(s)).map((e) => e.data)).toEqual([{ n: 1 }, { n: 2 }]);
      expect(closing.pool.totalCount).toBe(0);
    });
  });
});
