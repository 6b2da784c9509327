import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { postgresService, testDatabaseUrl, uniqueSchema } from '#ruche/eventstore/testing';
import { chunks, insertReturning, insertRows, openPostgresDatabase, openSqliteDatabase, selectIn, type BulkInsert, type SqlDatabase, type SqlExecutor, type SqlValue } from '#ruche/projections';

const postgres = await postgresService();

/** `tx` counting what reaches the engine: statements, and bulk inserts where the adapter has them. */
function countingInserts(tx: SqlExecutor, calls: { execute: number; insertMany: number }): SqlExecutor {
  return {
    dialect: tx.dialect,
    query: (sql, params) => tx.query(sql, params),
    queryOne: (sql, params) => tx.queryOne(sql, params),
    execute: (sql, params) => (calls.execute++, tx.execute(sql, params)),
    ...(tx.insertMany ? { insertMany: (insert: BulkInsert) => (calls.insertMany++, tx.insertMany!(insert)) } : {}),
  };
}

function portDescribe(
  label: string,
  open: () => Promise<SqlDatabase>,
  dispose: () => Promise<void>,
  describeIf: jest.Describe = describe,
): void {
  describeIf(`SqlDatabase on ${label}`, () => {
    let db: SqlDatabase;

    beforeAll(async () => {
      db = await open();
      await db.execute('CREATE TABLE items (id TEXT PRIMARY KEY, n BIGINT NOT NULL, label TEXT)');
    });
    afterAll(async () => {
      await db.close();
      await dispose();
    });
    beforeEach(async () => {
      await db.execute('DELETE FROM items');
    });

    it('binds $n placeholders by number, several times and out of order', async () => {
      const row = await db.queryOne<{ a: string; b: string; c: string }>('SELECT $2 AS a, $1 AS b, $2 AS c', ['one', 'two']);
      expect(row).toEqual({ a: 'two', b: 'one', c: 'two' });
    });

    it('leaves $n inside string literals alone', async () => {
      const row = await db.queryOne<{ s: string; v: string }>(`SELECT 'costs $1' AS s, $1 AS v`, ['x']);
      expect(row).toEqual({ s: 'costs $1', v: 'x' });
    });

    it('returns BIGINT columns and COUNT(*) as numbers', async () => {
      await db.execute('INSERT INTO items (id, n) VALUES ($1, $2), ($3, $4)', ['a', 9_007_199_254_740, 'b', 2]);
      const rows = await db.query<{ id: string; n: number }>('SELECT id, n FROM items ORDER BY id');
      expect(rows).toEqual([
        { id: 'a', n: 9_007_199_254_740 },
        { id: 'b', n: 2 },
      ]);
      expect(await db.queryOne('SELECT COUNT(*) AS c, SUM(n) AS s FROM items')).toEqual({ c: 2, s: 9_007_199_254_742 });
    });

    it('stores integers as integers, so text built from them has no ".0"', async () => {
      await db.execute('INSERT INTO items (id, n, label) VALUES ($1, $2, $3)', ['a', 5, null]);
      expect(await db.queryOne(`SELECT id || '-' || CAST(n AS TEXT) AS k FROM items`)).toEqual({ k: 'a-5' });
    });

    it('upserts with ON CONFLICT … DO UPDATE and counts the rows a statement changed', async () => {
      const upsert = `INSERT INTO items (id, n) VALUES ($1, $2)
                      ON CONFLICT (id) DO UPDATE SET n = items.n + excluded.n`;
      expect(await db.execute(upsert, ['a', 1])).toEqual({ rowCount: 1 });
      await db.execute(upsert, ['a', 2]);
      expect(await db.queryOne('SELECT n FROM items WHERE id = $1', ['a'])).toEqual({ n: 3 });
      expect(await db.execute('UPDATE items SET n = 0 WHERE id = $1', ['nobody'])).toEqual({ rowCount: 0 });
      expect(await db.queryOne('SELECT n FROM items WHERE id = $1', ['nobody'])).toBeUndefined();
    });

    it('inserts many rows with insertRows: every value as given, conflicts counted, beyond one statement', async () => {
      const rows = Array.from({ length: 12_345 }, (_, i): SqlValue[] => [`k${i}`, i * 1_000_003, i % 7 === 0 ? null : `l'"\\,{}${i}`]);
      // Counts what reaches the engine: PostgreSQL takes the rows as arrays (insertMany), a
      // statement per 10,000 rows; SQLite as multi-row VALUES of at most 900 parameters.
      const calls = { execute: 0, insertMany: 0 };
      const changed = await db.transaction((tx) => insertRows(countingInserts(tx, calls), 'INSERT INTO items (id, n, label)', 3, rows, 'ON CONFLICT (id) DO NOTHING'));
      expect(changed).toBe(12_345);
      if (db.dialect === 'postgres') expect(calls).toEqual({ execute: 0, insertMany: 1 });
      else expect(calls).toEqual({ execute: [...chunks(rows, 3)].length, insertMany: 0 });
      const stored = await db.query<{ id: string; n: number; label: string | null }>('SELECT id, n, label FROM items');
      expect(stored.map((row) => [row.id, row.n, row.label]).sort()).toEqual(rows.map((row) => [...row]).sort());

      const again = [...rows.slice(0, 100), ...Array.from({ length: 50 }, (_, i): SqlValue[] => [`new${i}`, i, null])];
      expect(await db.transaction((tx) => insertRows(tx, 'INSERT INTO items (id, n, label)', 3, again, 'ON CONFLICT (id) DO NOTHING'))).toBe(50);
      const added = await db.transaction((tx) =>
        insertRows(tx, 'INSERT INTO items (id, n)', 2, [['k1', 5], ['new0', 7]], 'ON CONFLICT (id) DO UPDATE SET n = items.n + excluded.n'),
      );
      expect(added).toBe(2);
      expect(await db.query('SELECT id, n FROM items WHERE id IN ($1, $2) ORDER BY id', ['k1', 'new0'])).toEqual([
        { id: 'k1', n: 1_000_008 },
        { id: 'new0', n: 7 },
      ]);
      expect(await db.queryOne('SELECT COUNT(*) AS c FROM items')).toEqual({ c: 12_395 });
    });

    it('inserts plain rows (no ON CONFLICT) with insertRows: COPY on PostgreSQL, every awkward value as given; a duplicate fails it whole', async () => {
      const awkward = ['', 'back\\slash', 'tab\tin', 'new\nline', 'cr\rlf\r\n', '\\N', 'N', 'quote \' " {a,b}', 'é 🐝 \u00a0', ' lead', 'trail '];
      const rows = Array.from({ length: 25_000 }, (_, i): SqlValue[] => [`p${i}`, i % 5 === 0 ? -(i + 1) : i * 1_000_003, i % 13 === 0 ? null : `${awkward[i % awkward.length]}${i % 2 ? '' : i}`]);
      const calls = { execute: 0, insertMany: 0 };
      const changed = await db.transaction((tx) => insertRows(countingInserts(tx, calls), 'INSERT INTO items (id, n, label)', 3, rows, ''));
      expect(changed).toBe(25_000);
      if (db.dialect === 'postgres') expect(calls).toEqual({ execute: 0, insertMany: 1 });
      const stored = await db.query<{ id: string; n: number; label: string | null }>('SELECT id, n, label FROM items');
      expect(stored.map((row) => [row.id, row.n, row.label]).sort()).toEqual(rows.map((row) => [...row]).sort());

      // A key already there: the whole insert fails, in the COPY on PostgreSQL, and nothing of it stays.
      const failing = db.transaction((tx) => insertRows(tx, 'INSERT INTO items (id, n, label)', 3, [['fresh', 1, null], ['p7', 2, null]], ''));
      // Read as a plain object: better-sqlite3's errors come from the realm of the test file that
      // loaded its addon first in this Jest worker, where `rejects.toThrow` does not see an Error.
      const error = await failing.then(
        () => undefined,
        (reason: unknown) => reason as { message?: string; where?: string },
      );
      expect(error?.message).toMatch(/duplicate key|UNIQUE constraint/);
      if (db.dialect === 'postgres') expect(error?.where).toMatch(/^COPY items, line 2/);
      expect(await db.queryOne('SELECT COUNT(*) AS c FROM items')).toEqual({ c: 25_000 });
    });

    it('selects by many keys with selectIn: text or integer keys, duplicates and unknown keys; one statement a call on PostgreSQL', async () => {
      const rows = Array.from({ length: 1300 }, (_, i) => [`s${i}`, i, null] as SqlValue[]);
      await db.transaction((tx) => insertRows(tx, 'INSERT INTO items (id, n, label)', 3, rows, ''));
      const calls = { query: 0, selectAny: 0 };
      const found = await db.transaction(async (tx) => {
        const counted: SqlExecutor = {
          ...tx,
          query: (sql, params) => (calls.query++, tx.query(sql, params)),
          ...(tx.selectAny ? { selectAny: <T extends object>(select: string, column: string, keys: readonly SqlValue[]) => (calls.selectAny++, tx.selectAny!<T>(select, column, keys)) } : {}),
        };
        const wanted = [...Array.from({ length: 1200 }, (_, i) => `s${i}`), 's0', 's5', 'missing'];
        const byText = await selectIn<{ id: string; n: number }>(counted, 'SELECT id, n FROM items', 'id', wanted);
        const byNumber = await selectIn<{ id: string; n: number }>(counted, 'SELECT id, n FROM items', 'n', [1299, 7, 7, 100_000]);
        const none = await selectIn<{ id: string }>(counted, 'SELECT id FROM items', 'id', []);
        return { byText, byNumber, none };
      });
      expect(found.byText.map((row) => row.id).sort()).toEqual(Array.from({ length: 1200 }, (_, i) => `s${i}`).sort());
      expect(found.byText.find((row) => row.id === 's42')).toEqual({ id: 's42', n: 42 });
      expect(found.byNumber.map((row) => row.id).sort()).toEqual(['s1299', 's7']);
      expect(found.none).toEqual([]);
      // PostgreSQL: one array parameter per call; SQLite: IN lists by chunk of keys.
      if (db.dialect === 'postgres') expect(calls).toEqual({ query: 0, selectAny: 2 });
      else expect(calls).toEqual({ query: [...chunks(Array.from({ length: 1201 }), 1)].length + [...chunks([1299, 7, 100_000], 1)].length, selectAny: 0 });
    });

    it('stores a NUL character in text: SQLite as written, PostgreSQL as U+FFFD, in one row or many', async () => {
      const label = 'avant\u0000après\u0000';
      await db.execute('INSERT INTO items (id, n, label) VALUES ($1, $2, $3)', ['nul-one', 1, label]);
      await db.transaction((tx) => insertRows(tx, 'INSERT INTO items (id, n, label)', 3, [['nul-many', 2, label]], ''));
      const stored = db.dialect === 'postgres' ? 'avant\uFFFDaprès\uFFFD' : label;
      expect(await db.query('SELECT id, label FROM items ORDER BY id')).toEqual([
        { id: 'nul-many', label: stored },
        { id: 'nul-one', label: stored },
      ]);
      // Found by the same text, NUL and all.
      expect(await db.query('SELECT id FROM items WHERE label = $1 ORDER BY id', [label])).toEqual([{ id: 'nul-many' }, { id: 'nul-one' }]);
    });

    it('returns the rows an upsert inserted or changed with insertReturning, not those its WHERE left alone', async () => {
      await db.execute('INSERT INTO items (id, n) VALUES ($1, $2), ($3, $4)', ['kept', 3, 'grown', 1]);
      const rows = [['kept', 1], ['grown', 2], ...Array.from({ length: 600 }, (_, i) => [`new${i}`, i])] as SqlValue[][];
      const calls = { query: 0, insertManyReturning: 0 };
      const returned = await db.transaction((tx) => {
        const counted: SqlExecutor = {
          ...tx,
          query: (sql, params) => (calls.query++, tx.query(sql, params)),
          ...(tx.insertManyReturning
            ? { insertManyReturning: <T extends object>(insert: BulkInsert) => (calls.insertManyReturning++, tx.insertManyReturning!<T>(insert)) }
            : {}),
        };
        return insertReturning<{ id: string; n: number }>(counted, 'INSERT INTO items (id, n)', 2, rows, 'ON CONFLICT (id) DO UPDATE SET n = items.n | excluded.n WHERE (items.n | excluded.n) <> items.n RETURNING id, n');
      });
      // PostgreSQL: the rows as arrays, one statement; SQLite: VALUES by chunk.
      if (db.dialect === 'postgres') expect(calls).toEqual({ query: 0, insertManyReturning: 1 });
      else expect(calls).toEqual({ query: [...chunks(rows, 2)].length, insertManyReturning: 0 });
      // 3 | 1 is 3: left alone; 1 | 2 is 3: changed; the 600 new ones inserted.
      expect(returned.map((row) => `${row.id}=${Number(row.n)}`).sort()).toEqual(
        ['grown=3', ...Array.from({ length: 600 }, (_, i) => `new${i}=${i}`)].sort(),
      );
      expect(await db.queryOne('SELECT n FROM items WHERE id = $1', ['kept'])).toEqual({ n: 3 });
    });

    it('refuses a parameter count that does not match the statement', async () => {
      await expect(db.query('SELECT $1 AS a, $2 AS b', ['only one'])).rejects.toThrow();
      await expect(db.query('SELECT $1 AS a', ['one', 'two'])).rejects.toThrow();
    });

    it('commits a transaction when its function resolves', async () => {
      const result = await db.transaction(async (tx) => {
        await tx.execute('INSERT INTO items (id, n) VALUES ($1, $2)', ['a', 1]);
        await tx.execute('INSERT INTO items (id, n) VALUES ($1, $2)', ['b', 2]);
        return (await tx.queryOne<{ c: number }>('SELECT COUNT(*) AS c FROM items'))!.c;
      });
      expect(result).toBe(2);
      expect(await db.queryOne('SELECT COUNT(*) AS c FROM items')).toEqual({ c: 2 });
    });

    it('rolls a transaction back when its function throws', async () => {
      await expect(
        db.transaction(async (tx) => {
          await tx.execute('INSERT INTO items (id, n) VALUES ($1, $2)', ['a', 1]);
          throw new Error('changed my mind');
        }),
      ).rejects.toThrow('changed my mind');
      expect(await db.queryOne('SELECT COUNT(*) AS c FROM items')).toEqual({ c: 0 });
    });

    it('keeps statements made outside a transaction out of it', async () => {
      let release!: () => void;
      const held = new Promise<void>((resolve) => (release = resolve));
      let entered!: () => void;
      const inside = new Promise<void>((resolve) => (entered = resolve));
      const doomed = db.transaction(async (tx) => {
        await tx.execute('INSERT INTO items (id, n) VALUES ($1, $2)', ['inside', 1]);
        entered();
        await held;
        throw new Error('roll back');
      });
      await inside;
      // Issued while the transaction is open: it must neither join it nor see its write.
      const outside = db.execute('INSERT INTO items (id, n) VALUES ($1, $2)', ['outside', 2]);
      const seen = db.query<{ id: string }>('SELECT id FROM items ORDER BY id');
      release();
      await expect(doomed).rejects.toThrow('roll back');
      await outside;
      expect((await seen).map((r) => r.id)).not.toContain('inside');
      expect(await db.query('SELECT id FROM items ORDER BY id')).toEqual([{ id: 'outside' }]);
    });

    it('refuses the database handle inside a transaction, where it would deadlock or miss the writes', async () => {
      await expect(db.transaction(async () => db.query('SELECT 1 AS one'))).rejects.toThrow(/transaction/);
      await expect(db.transaction(async () => db.transaction(async () => 1))).rejects.toThrow(/transaction/);
    });

    it('relaxes durability for the one transaction asked (durable: false), and only for it', async () => {
      const label = (db: { dialect: string }): string => (db.dialect === 'sqlite' ? 'PRAGMA synchronous' : 'SHOW synchronous_commit');
      const setting = async (executor: Pick<SqlDatabase, 'queryOne'>): Promise<unknown> => Object.values((await executor.queryOne(label(db)))!)[0];
      const durable = db.dialect === 'sqlite' ? 2 : 'on';
      const relaxed = db.dialect === 'sqlite' ? 1 : 'off';
      expect(await setting(db)).toBe(durable);
      expect(await db.transaction((tx) => setting(tx), { durable: false })).toBe(relaxed);
      expect(await db.transaction((tx) => setting(tx))).toBe(durable);
      await expect(
        db.transaction(async (tx) => {
          await tx.execute(`INSERT INTO items (id, n) VALUES ('relaxed', 1)`);
          throw new Error('rolled back');
        }, { durable: false }),
      ).rejects.toThrow('rolled back');
      // Put back after a rollback too, and the rolled-back write is not there.
      expect(await setting(db)).toBe(durable);
      expect(await db.query(`SELECT id FROM items WHERE id = 'relaxed'`)).toEqual([]);
      await db.transaction((tx) => tx.execute(`INSERT INTO items (id, n) VALUES ('relaxed', 2)`), { durable: false });
      expect(await db.query(`SELECT n FROM items WHERE id = 'relaxed'`)).toEqual([{ n: 2 }]);
    });

    it('refuses a transaction handle used after its transaction ended', async () => {
      let leaked: Parameters<Parameters<SqlDatabase['transaction']>[0]>[0] | undefined;
      await db.transaction(async (tx) => {
        leaked = tx;
      });
      await expect(leaked!.query('SELECT 1 AS one')).rejects.toThrow(/ended/);
    });
  });
}

const dir = mkdtempSync(join(tmpdir(), 'ruche-sqldb-'));
portDescribe(
  'SQLite',
  async () => openSqliteDatabase({ filename: join(dir, 'read.db') }),
  async () => rmSync(dir, { recursive: true, force: true }),
);

describe('SqlDatabase on SQLite, file settings', () => {
  it('opens the file in WAL mode with synchronous=FULL', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'ruche-sqldb-')), 'wal.db');
    const db = openSqliteDatabase({ filename: file });
    try {
      expect(await db.queryOne('PRAGMA journal_mode')).toEqual({ journal_mode: 'wal' });
      expect(await db.queryOne('PRAGMA synchronous')).toEqual({ synchronous: 2 });
      expect(await db.queryOne('PRAGMA busy_timeout')).toEqual({ timeout: 5000 });
      // 64 MiB of page cache (negative: KiB), not SQLite's 2 MiB.
      expect(await db.queryOne('PRAGMA cache_size')).toEqual({ cache_size: -65536 });
    } finally {
      await db.close();
      rmSync(join(file, '..'), { recursive: true, force: true });
    }
  });
});

const schema = uniqueSchema('proj_sql');
// Without a server, postgresService has said so and the suite is skipped (failed under REQUIRE_SERVICES=1).
portDescribe(
  'PostgreSQL',
  () => openPostgresDatabase({ connectionString: testDatabaseUrl, schema }),
  async () => {
    const client = new pg.Client({ connectionString: testDatabaseUrl });
    await client.connect();
    try {
      const { rows } = await client.query(
        `SELECT table_name FROM information_schema.tables WHERE table_schema = $1`,
        [schema],
      );
      // Every connection of the pool wrote into the schema given, none into public.
      expect(rows.map((r: { table_name: string }) => r.table_name)).toEqual(['items']);
      await client.query(`DROP SCHEMA ${schema} CASCADE`);
    } finally {
      await client.end();
    }
  },
  postgres.describe,
);
