import postgres from 'pg';
import { v7 as uuidv7 } from 'uuid';
import {
  type AppendResult,
  type ExpectedRevision,
  PostgresEventStore,
  WrongExpectedVersionError,
} from '#ruche/eventstore';
import { postgresService, testDatabaseUrl, uniqueSchema } from '#ruche/eventstore/testing';
import { dropSchema, expectStrictlyIncreasing } from './postgres-spec-support.js';

const pg = await postgresService();

const stream = (category = 'space'): string => `${category}-${uuidv7()}`;
const tick = (n: number, id?: string) => ({ id, type: 'Ticked', data: { n } });
const CURRENT_MARKER = /^ruche-es append function v2 [0-9a-f]{16}$/;
const SIGNATURE = 'text[], bigint[], integer[], uuid[], text[], text[], text[], text[], uuid[]';

async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection, got a result');
}

/** What the fast and the transaction path did for the appends `run` issues, and what it returned. */
async function paths<T>(store: PostgresEventStore, run: () => Promise<T>) {
  const before = { fast: store.fastPathGroups, fallback: store.fallbackGroups, commits: store.commits };
  const result = await run();
  return {
    result,
    fast: store.fastPathGroups - before.fast,
    fallback: store.fallbackGroups - before.fallback,
    commits: store.commits - before.commits,
  };
}

pg.describe('PostgresEventStore: the append function (fast path) and its fallback', () => {
  const schema = uniqueSchema('es_pg_fast');
  const open: PostgresEventStore[] = [];
  let store: PostgresEventStore;

  async function connect(options: { schema?: string; connectionString?: string } = {}): Promise<PostgresEventStore> {
    const s = await PostgresEventStore.connect({ connectionString: testDatabaseUrl, schema, ...options });
    open.push(s);
    return s;
  }

  async function functionsIn(inSchema: string): Promise<{ args: string; marker: string | null }[]> {
    const { rows } = await store.pool.query<{ args: string; marker: string | null }>(
      `SELECT pg_get_function_identity_arguments(p.oid) AS args, obj_description(p.oid, 'pg_proc') AS marker
         FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
        WHERE n.nspname = $1 AND p.proname = 'es_append_fast' ORDER BY 1`,
      [inSchema],
    );
    return rows.map((r) => ({ ...r, args: r.args.replace(/p_\w+ /g, '') }));
  }

  beforeAll(async () => {
    store = await connect();
  });

  afterAll(async () => {
    await Promise.all(open.map((s) => s.close()));
    await dropSchema(testDatabaseUrl, schema);
  }, 30_000);

  describe('plain appends take the fast path', () => {
    it('writes one append in one statement, gap-free after the head, with the stream head updated', async () => {
      const s = stream();
      const head = await store.headPosition();
      const run = await paths(store, () =>
        store.appendToStream(s, [tick(0), tick(1), tick(2)], { expectedRevision: 'no_stream' }),
      );
      expect(run).toMatchObject({ fast: 1, fallback: 0, commits: 1 });
      expect(run.result).toEqual({ nextExpectedRevision: 2, position: head + 3 });
      const next = await paths(store, () => store.appendToStream(s, [tick(3)], { expectedRevision: 2 }));
      expect(next).toMatchObject({ fast: 1, fallback: 0, result: { nextExpectedRevision: 3, position: head + 4 } });
      const events = await store.readStream(s);
      expect(events.map((e) => [e.revision, e.position, e.data])).toEqual([
        [0, head + 1, { n: 0 }],
        [1, head + 2, { n: 1 }],
        [2, head + 3, { n: 2 }],
        [3, head + 4, { n: 3 }],
      ]);
      expect(await store.streamRevision(s)).toBe(3);
      const { rows } = await store.pool.query<{ category: string; position: string }>(
        `SELECT category, position FROM "${schema}".es_streams WHERE stream_name = $1`,
        [s],
      );
      expect(rows).toEqual([{ category: 'space', position: String(head + 4) }]);
    });

    it('writes a group across streams in one statement, chaining the appends to one stream in call order', async () => {
      const [a, b, c] = [stream('topic'), stream('faq'), stream('document')];
      await store.appendToStream(c, [tick(0)]);
      const head = await store.headPosition();
      const appends: [string, number, ExpectedRevision][] = [
        [a, 2, 'no_stream'],
        [b, 1, 'any'],
        [a, 1, 1],
        [c, 3, 'stream_exists'],
        [a, 2, 'stream_exists'],
        [b, 1, 0],
      ];
      const run = await paths(store, () =>
        Promise.all(appends.map(([s, count, expectedRevision], i) =>
          store.appendToStream(s, Array.from({ length: count }, (_, k) => tick(10 * i + k)), { expectedRevision }),
        )),
      );
      expect(run).toMatchObject({ fast: 1, fallback: 0, commits: 1 });
      expect(run.result).toEqual([
        { nextExpectedRevision: 1, position: head + 2 },
        { nextExpectedRevision: 0, position: head + 3 },
        { nextExpectedRevision: 2, position: head + 4 },
        { nextExpectedRevision: 3, position: head + 7 },
        { nextExpectedRevision: 4, position: head + 9 },
        { nextExpectedRevision: 1, position: head + 10 },
      ]);
      const all = await store.readAll({ fromPosition: head });
      expect(all.map((e) => [e.streamName, e.revision, e.position, (e.data as { n: number }).n])).toEqual([
        [a, 0, head + 1, 0],
        [a, 1, head + 2, 1],
        [b, 0, head + 3, 10],
        [a, 2, head + 4, 20],
        [c, 1, head + 5, 30],
        [c, 2, head + 6, 31],
        [c, 3, head + 7, 32],
        [a, 3, head + 8, 40],
        [a, 4, head + 9, 41],
        [b, 1, head + 10, 50],
      ]);
      expect(await Promise.all([a, b, c].map((s) => store.streamRevision(s)))).toEqual([4, 1, 3]);
    });

    it('looks for caller-chosen ids, and writes them when they are new', async () => {
      const s = stream();
      const ids = [uuidv7(), uuidv7()];
      const run = await paths(store, () => store.appendToStream(s, [tick(1, ids[0]), tick(2, ids[1])]));
      expect(run).toMatchObject({ fast: 1, fallback: 0 });
      expect((await store.readStream(s)).map((e) => e.id)).toEqual(ids);
    });
  });

  describe('anything else goes to the transaction path, the function having written nothing', () => {
    it('an idempotent retry: answered with where the events landed, nothing written, no commit counted', async () => {
      const s = stream();
      const ids = [uuidv7(), uuidv7()];
      const first = await store.appendToStream(s, [tick(1, ids[0]), tick(2, ids[1])], { expectedRevision: 'no_stream' });
      const head = await store.headPosition();
      const retry = await paths(store, () =>
        store.appendToStream(s, [tick(1, ids[0]), tick(2, ids[1])], { expectedRevision: 'no_stream' }),
      );
      expect(retry).toMatchObject({ fast: 0, fallback: 1, commits: 0, result: first });
      expect(await store.headPosition()).toBe(head);
      expect(await store.readStream(s)).toHaveLength(2);
    });

    it('a conflict: WrongExpectedVersionError with the actual revision, nothing written', async () => {
      const s = stream();
      await store.appendToStream(s, [tick(1), tick(2)]);
      const head = await store.headPosition();
      const run = await paths(store, () => rejectionOf(store.appendToStream(s, [tick(3)], { expectedRevision: 0 })));
      expect(run).toMatchObject({ fast: 0, fallback: 1, commits: 0 });
      expect(run.result).toBeInstanceOf(WrongExpectedVersionError);
      expect(run.result).toMatchObject({ streamName: s, expected: 0, actual: 1 });
      expect(await store.headPosition()).toBe(head);
    });

    it('an id already in the stream beside a new one: a conflict, even with expectedRevision any', async () => {
      const s = stream();
      const stored = uuidv7();
      await store.appendToStream(s, [tick(1, stored)]);
      const head = await store.headPosition();
      const run = await paths(store, () => rejectionOf(store.appendToStream(s, [tick(2, stored), tick(3, uuidv7())])));
      expect(run).toMatchObject({ fast: 0, fallback: 1, commits: 0 });
      expect(run.result).toMatchObject({ name: 'WrongExpectedVersionError', expected: 'any', actual: 0 });
      expect(await store.headPosition()).toBe(head);
      expect((await store.readStream(s)).map((e) => e.id)).toEqual([stored]);
    });

    it('chained appends in one group where a later one conflicts: the others written in one commit', async () => {
      const s = stream();
      const other = stream('topic');
      const run = await paths(store, () =>
        Promise.allSettled([
          store.appendToStream(s, [tick(0)], { expectedRevision: 'no_stream' }),
          store.appendToStream(other, [tick(1)], { expectedRevision: 'no_stream' }),
          store.appendToStream(s, [tick(2)], { expectedRevision: 'no_stream' }),
          store.appendToStream(s, [tick(3)], { expectedRevision: 0 }),
        ]),
      );
      expect(run).toMatchObject({ fast: 0, fallback: 1, commits: 1 });
      expect(run.result.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
      expect((run.result[2] as PromiseRejectedResult).reason).toMatchObject({ expected: 'no_stream', actual: 0 });
      const positions = run.result.flatMap((r) => (r.status === 'fulfilled' ? [(r.value as AppendResult).position] : []));
      expect(positions).toEqual([positions[0], positions[0] + 1, positions[0] + 2]);
      expect((await store.readStream(s)).map((e) => e.data)).toEqual([{ n: 0 }, { n: 3 }]);
    });

    it('a retry of an append of the same group goes straight to the transaction path', async () => {
      const s = stream();
      const ids = [uuidv7()];
      const run = await paths(store, () =>
        Promise.all([
          store.appendToStream(s, [tick(1, ids[0])], { expectedRevision: 'no_stream' }),
          store.appendToStream(s, [tick(1, ids[0])], { expectedRevision: 'no_stream' }),
        ]),
      );
      expect(run).toMatchObject({ fast: 0, fallback: 1, commits: 1 });
      expect(run.result[1]).toEqual(run.result[0]);
      expect(await store.readStream(s)).toHaveLength(1);
    });
  });

  describe('the function itself', () => {
    it('refuses malformed arguments with an error, writing nothing', async () => {
      const head = await store.headPosition();
      const call = (streams: string[], expected: number[], counts: number[], events: number) =>
        store.pool.query(`SELECT "${schema}".es_append_fast($1, $2, $3, $4, $5, $6, $7, $8, $9)`, [
          streams,
          expected,
          counts,
          Array.from({ length: events }, () => uuidv7()),
          Array.from({ length: events }, () => 'Bad'),
          Array.from({ length: events }, () => '{}'),
          Array.from({ length: events }, () => '{}'),
          [],
          [],
        ]);
      // Counts that do not add up to the events, in both branches; a zero count; an unknown expectation.
      for (const args of [
        [[stream()], [-1], [2], 1],
        [[stream(), stream()], [-1, -1], [1, 2], 2],
        [[stream(), stream()], [-1, -1], [0, 2], 2],
        [[stream(), stream()], [-1, -7], [1, 1], 2],
        [[stream()], [-7], [1], 1],
      ] as const) {
        const error = await rejectionOf(call([...args[0]], [...args[1]], [...args[2]], args[3]));
        expect(error).toMatchObject({ code: '22023', message: expect.stringMatching(/inconsistent arguments/) });
      }
      expect(await store.headPosition()).toBe(head);
    });

    it('is replaced when an older version is there, whatever its signature, by processes starting together', async () => {
      const fresh = uniqueSchema('es_pg_fast_old');
      try {
        await (await PostgresEventStore.connect({ connectionString: testDatabaseUrl, schema: fresh })).close();
        // What older deployments could leave: another signature, and ours with an old body and marker.
        await store.pool.query(`DROP FUNCTION "${fresh}".es_append_fast(${SIGNATURE})`);
        await store.pool.query(`CREATE FUNCTION "${fresh}".es_append_fast(p_streams text[], p_expected bigint[]) RETURNS bigint[]
          LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'old function called'; END $$`);
        await store.pool.query(`CREATE FUNCTION "${fresh}".es_append_fast(${SIGNATURE}) RETURNS bigint[]
          LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'old body called'; END $$`);
        await store.pool.query(
          `COMMENT ON FUNCTION "${fresh}".es_append_fast(${SIGNATURE}) IS 'ruche-es append function v0 0123456789abcdef'`,
        );
        expect(await functionsIn(fresh)).toHaveLength(2);

        const stores = await Promise.all(Array.from({ length: 4 }, () => connect({ schema: fresh })));
        expect(stores.map((s) => s.fastPathEnabled)).toEqual([true, true, true, true]);
        const functions = await functionsIn(fresh);
        expect(functions).toEqual([{ args: SIGNATURE, marker: expect.stringMatching(CURRENT_MARKER) }]);
        const s = stream();
        const run = await paths(stores[0], () => stores[0].appendToStream(s, [tick(1)], { expectedRevision: 'no_stream' }));
        expect(run).toMatchObject({ fast: 1, fallback: 0, result: { nextExpectedRevision: 0, position: 1 } });
        // Nothing to do the next time: the marker matches, the catalogue row is untouched.
        const { rows: before } = await store.pool.query<{ xmin: string }>(
          `SELECT xmin::text FROM pg_proc WHERE oid = '"${fresh}".es_append_fast(${SIGNATURE})'::regprocedure`,
        );
        await (await PostgresEventStore.connect({ connectionString: testDatabaseUrl, schema: fresh })).close();
        const { rows: after } = await store.pool.query<{ xmin: string }>(
          `SELECT xmin::text FROM pg_proc WHERE oid = '"${fresh}".es_append_fast(${SIGNATURE})'::regprocedure`,
        );
        expect(after).toEqual(before);
      } finally {
        await Promise.all(open.splice(1).map((s) => s.close()));
        await dropSchema(testDatabaseUrl, fresh);
      }
    });

    it('is installed in a schema an earlier version of the adapter created without it', async () => {
      const fresh = uniqueSchema('es_pg_fast_none');
      try {
        const first = await connect({ schema: fresh });
        await first.appendToStream(stream(), [tick(1)]);
        await first.close();
        await store.pool.query(`DROP FUNCTION "${fresh}".es_append_fast(${SIGNATURE})`);
        const again = await connect({ schema: fresh });
        expect(await functionsIn(fresh)).toEqual([{ args: SIGNATURE, marker: expect.stringMatching(CURRENT_MARKER) }]);
        const run = await paths(again, () => again.appendToStream(stream(), [tick(2)]));
        expect(run).toMatchObject({ fast: 1, result: { position: 2 } });
      } finally {
        await Promise.all(open.splice(1).map((s) => s.close()));
        await dropSchema(testDatabaseUrl, fresh);
      }
    });

    it('is left alone when a newer version is there: this process appends on the transaction path', async () => {
      const fresh = uniqueSchema('es_pg_fast_new');
      try {
        await (await PostgresEventStore.connect({ connectionString: testDatabaseUrl, schema: fresh })).close();
        await store.pool.query(
          `COMMENT ON FUNCTION "${fresh}".es_append_fast(${SIGNATURE}) IS 'ruche-es append function v999 fedcba9876543210'`,
        );
        const older = await connect({ schema: fresh });
        expect(older.fastPathEnabled).toBe(false);
        expect(await functionsIn(fresh)).toEqual([{ args: SIGNATURE, marker: 'ruche-es append function v999 fedcba9876543210' }]);
        const s = stream();
        const run = await paths(older, () =>
          Promise.all([older.appendToStream(s, [tick(1)]), older.appendToStream(s, [tick(2)], { expectedRevision: 0 })]),
        );
        expect(run).toMatchObject({ fast: 0, fallback: 1, commits: 1 });
        expect(run.result.map((r) => r.position)).toEqual([1, 2]);
      } finally {
        await Promise.all(open.splice(1).map((s) => s.close()));
        await dropSchema(testDatabaseUrl, fresh);
      }
    });

    it('dropped under a running store: the group is written on the transaction path, and the fast path turned off', async () => {
      const fresh = uniqueSchema('es_pg_fast_drop');
      try {
        const running = await connect({ schema: fresh });
        await running.appendToStream(stream(), [tick(1)]);
        expect(running.fastPathGroups).toBe(1);
        await store.pool.query(`DROP FUNCTION "${fresh}".es_append_fast(${SIGNATURE})`);
        const run = await paths(running, () => running.appendToStream(stream(), [tick(2)]));
        expect(run).toMatchObject({ fast: 0, fallback: 1, commits: 1, result: { position: 2 } });
        expect(running.fastPathEnabled).toBe(false);
      } finally {
        await Promise.all(open.splice(1).map((s) => s.close()));
        await dropSchema(testDatabaseUrl, fresh);
      }
    });
  });

  it('keeps to its indexes in a session whose plan was made on empty tables, without statistics', async () => {
    // A generic plan is kept per session until the tables' statistics change; with autovacuum
    // off (or not run yet) a plan made on empty tables scanned the whole log on every append.
    const fresh = uniqueSchema('es_pg_fast_plan');
    await connect({ schema: fresh }); // installs the schema and the function
    const client = new postgres.Client({ connectionString: testDatabaseUrl });
    await client.connect();
    try {
      const append = (streamName: string, count: number) =>
        client.query(`SELECT "${fresh}".es_append_fast($1, $2, $3, $4, $5, $6, $7, $8, $9)`, [
          [streamName],
          [-1],
          [count],
          Array.from({ length: count }, () => uuidv7()),
          Array.from({ length: count }, () => 'Ticked'),
          Array.from({ length: count }, (_, n) => JSON.stringify({ n, text: 'x'.repeat(200) })),
          Array.from({ length: count }, () => '{}'),
          [streamName],
          [uuidv7()],
        ]);
      // The session's plan is made now, on empty tables (the first calls), then the log grows.
      for (let i = 0; i < 10; i++) await append(`plan-${i}`, 1);
      for (let i = 0; i < 20; i++) await append(`bulk-${i % 4}`, 1000);
      const seqScans = async (): Promise<number> => {
        await client.query('SELECT pg_stat_force_next_flush()');
        const { rows } = await client.query<{ scans: string }>(
          `SELECT coalesce(sum(seq_scan), 0) AS scans FROM pg_stat_user_tables WHERE schemaname = $1 AND relname IN ('es_events', 'es_streams')`,
          [fresh],
        );
        return Number(rows[0]!.scans);
      };
      const before = await seqScans();
      for (let i = 0; i < 50; i++) await append(`after-${i % 5}`, 2);
      expect(await seqScans()).toBe(before);
      const { rows } = await client.query<{ n: string }>(`SELECT count(*) AS n FROM "${fresh}".es_events`);
      expect(Number(rows[0]!.n)).toBe(10 + 20 * 1000 + 50 * 2);
    } finally {
      await client.end();
      await Promise.all(open.splice(1).map((s) => s.close()));
      await dropSchema(testDatabaseUrl, fresh);
    }
  }, 60_000);

  it('under a default isolation other than READ COMMITTED, two processes still read under the lock', async () => {
    const url = new URL(testDatabaseUrl);
    url.searchParams.set('options', '-c default_transaction_isolation=serializable');
    const fresh = uniqueSchema('es_pg_fast_iso');
    try {
      const a = await connect({ schema: fresh, connectionString: url.toString() });
      const b = await connect({ schema: fresh, connectionString: url.toString() });
      const { rows } = await a.pool.query<{ level: string }>(`SELECT current_setting('transaction_isolation') AS level`);
      expect(rows).toEqual([{ level: 'serializable' }]);
      const caller = async (s: PostgresEventStore, c: number): Promise<number[]> => {
        const positions: number[] = [];
        for (let i = 0; i < 15; i++) positions.push((await s.appendToStream(`iso-${c % 3}`, [tick(i)])).position);
        return positions;
      };
      const results = await Promise.all([0, 1, 2, 3].flatMap((c) => [caller(a, c), caller(b, c + 4)]));
      for (const positions of results) expectStrictlyIncreasing(positions);
      const all = await a.readAll();
      expect(all.map((e) => e.position)).toEqual(all.map((_, i) => i + 1));
      expect(all).toHaveLength(8 * 15);
      // The function declines (its reads would use a snapshot taken before the lock): no fast path.
      expect(a.fastPathGroups + b.fastPathGroups).toBe(0);
      for (const s of ['iso-0', 'iso-1', 'iso-2']) {
        expect((await a.readStream(s)).map((e) => e.revision)).toEqual(all.filter((e) => e.streamName === s).map((_, i) => i));
      }
    } finally {
      await Promise.all(open.splice(1).map((s) => s.close()));
      await dropSchema(testDatabaseUrl, fresh);
    }
  }, 60_000);
});
