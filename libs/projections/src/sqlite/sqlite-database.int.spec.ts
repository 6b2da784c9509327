import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteDatabase, type SqlDatabase, type SqlExecutor, TransactionAwaitedIoError } from '#ruche/projections';

async function rejectionOf(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a rejection, got a result');
}

/** Well under the 5 s busy timeout another connection would otherwise wait for. */
const PROMPTLY_MS = 1000;

/**
 * A read-store transaction holds the file's write lock until it ends: one that awaited other
 * I/O would keep it across turns of the event loop, and every other connection of the file
 * (the event log's, another process's) would wait for it, up to the busy timeout.
 */
describe('SqliteDatabase: a transaction that awaits other I/O', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ruche-sqlite-io-'));
  const file = join(dir, 'read.db');
  let db: SqlDatabase;
  /** Another connection to the same file, as the event log or another process would hold. */
  let other: SqlDatabase;
  let http: Server;
  let url: string;

  beforeAll(async () => {
    db = openSqliteDatabase({ filename: file });
    other = openSqliteDatabase({ filename: file });
    await db.execute('CREATE TABLE items (id TEXT PRIMARY KEY)');
    http = createServer((_, res) => res.end('pong'));
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(http.address() as AddressInfo).port}/`;
  });

  afterAll(async () => {
    await db.close();
    await other.close();
    await new Promise((resolve) => http.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });

  beforeEach(async () => {
    await db.execute('DELETE FROM items');
  });

  const insert = (tx: SqlExecutor, id: string) => tx.execute('INSERT INTO items (id) VALUES ($1)', [id]);
  const ids = async (from: SqlDatabase = db): Promise<string[]> =>
    (await from.query<{ id: string }>('SELECT id FROM items ORDER BY id')).map((r) => r.id);

  it('awaiting a timer: rejected at once, nothing committed, the write lock free for another connection', async () => {
    let timer: NodeJS.Timeout | undefined;
    const started = performance.now();
    const error = await rejectionOf(
      db.transaction(async (tx) => {
        await insert(tx, 'before-the-timer');
        await new Promise((resolve) => (timer = setTimeout(resolve, 60_000)));
        await insert(tx, 'after-the-timer');
      }),
    );
    clearTimeout(timer);

    expect(error).toBeInstanceOf(TransactionAwaitedIoError);
    expect(error.message).toMatch(/must await only its own statements: it awaited other I\/O.*write lock/);
    expect(performance.now() - started).toBeLessThan(PROMPTLY_MS);
    const writing = performance.now();
    await other.execute('INSERT INTO items (id) VALUES ($1)', ['other-connection']);
    expect(performance.now() - writing).toBeLessThan(PROMPTLY_MS);
    expect(await ids(other)).toEqual(['other-connection']);
  });

  it('awaiting a timer already due when the event loop turns: rejected too, nothing committed', async () => {
    // The timers phase comes before the check phase: a timer due by then would resolve before an
    // immediate armed at BEGIN could notice (seen once on a loaded machine with a 1 ms timer).
    const error = await rejectionOf(
      db.transaction(async (tx) => {
        await insert(tx, 'before-the-timer');
        const due = new Promise((resolve) => setTimeout(resolve, 1));
        const until = performance.now() + 5;
        while (performance.now() < until); // the timer is due before this turn of the loop ends
        await due;
        await insert(tx, 'after-the-timer');
      }),
    );
    expect(error).toBeInstanceOf(TransactionAwaitedIoError);
    expect(await ids()).toEqual([]);
  });

  it('awaiting a network call: rejected before it answers, and every later statement of the transaction refused', async () => {
    let late: unknown;
    let fetched = false;
    const error = await rejectionOf(
      db.transaction(async (tx) => {
        await insert(tx, 'before-the-fetch');
        await (await fetch(url)).text();
        fetched = true;
        late = await insert(tx, 'after-the-fetch').catch((refused: unknown) => refused);
      }),
    );

    expect(error).toBeInstanceOf(TransactionAwaitedIoError);
    expect(fetched).toBe(false);
    const deadline = Date.now() + 5000;
    while (late === undefined && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
    expect(late).toBe(error);
    expect(await ids()).toEqual([]);
  });

  it('a transaction right after commits as usual, however many statements and helpers it awaits', async () => {
    await rejectionOf(db.transaction(() => new Promise((resolve) => setTimeout(resolve, 1))));
    const helper = async (tx: SqlExecutor, n: number): Promise<void> => {
      await insert(tx, `h-${n}`);
      await Promise.resolve();
    };
    const count = await db.transaction(async (tx) => {
      for (let n = 0; n < 1000; n++) await insert(tx, `n-${String(n).padStart(4, '0')}`);
      await Promise.all([1, 2, 3].map((n) => helper(tx, n)));
      return (await tx.queryOne<{ c: number }>('SELECT COUNT(*) AS c FROM items'))!.c;
    });
    expect(count).toBe(1003);
    expect(await ids()).toHaveLength(1003);
  });
});
