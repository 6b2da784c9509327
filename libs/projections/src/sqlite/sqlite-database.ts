import { AsyncLocalStorage } from 'node:async_hooks';
import { readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import Sqlite from 'better-sqlite3';
import {
  assertIdentifier,
  type ExecuteResult,
  type SqlDatabase,
  type SqlExecutor,
  type SqlValue,
  type StagingArea,
  type StagingHandOver,
  type TransactionOptions,
} from '../sql-database.js';
import { SerialLock } from '../serial-lock.js';
import { translatePlaceholders } from './sqlite-placeholders.js';

export interface SqliteDatabaseOptions {
  /**
   * The database file: a file of its own (`ruche-read.sqlite`), so that nothing written to the
   * read models (a projection's batch, a rebuild's copy) holds the event log's write lock; the
   * event log's own file where an older deployment keeps its read models there.
   */
  filename: string;
  /** How long to wait for another connection's write lock before failing. Default 5000. */
  busyTimeoutMs?: number;
  /**
   * Most memory SQLite may use to cache this connection's pages. Default 64 MiB: read models of
   * a school year are hundreds of MB, and with SQLite's default of 2 MiB every index write of a
   * rebuild, and many queries, would go to the disk.
   */
  cacheSizeMiB?: number;
}

type Bound = string | number | bigint | null;
/** Values by number (`?NNN`), or in order (plain `?`, see translatePlaceholders). */
type Binding = Record<number, Bound> | Bound[];

const STATEMENT_CACHE_SIZE = 256;

/**
 * Pages of a new read store or staging database: 16 KiB rather than SQLite's 4 KiB. Read models are
 * written in bulk (rebuilds copy whole tables) and read in ranges; the copy of the largest
 * table of a school year (ind_facts, 1.6 M rows with its indexes) took 3.2 s against 4.7 s.
 */
export const READ_STORE_PAGE_SIZE = 16_384;

/**
 * The read store on SQLite, through its own better-sqlite3 connection (WAL, synchronous=FULL,
 * busy_timeout), so that several processes (and, in older data directories that keep the read
 * models in the log's file, the event log's connection) share the file.
 *
 * better-sqlite3 is synchronous, but a transaction wraps an async function: it is run by hand
 * (BEGIN IMMEDIATE … COMMIT) and every statement of this connection goes through one lock, so
 * nothing else interleaves with an open transaction. The transaction starts on a fresh turn of
 * the event loop: if `fn` awaits only its statements, no other callback of this process (such
 * as the event log's group commit, which would wait on the write lock we hold) runs before
 * COMMIT.
 */
export class SqliteDatabase implements SqlDatabase {
  readonly dialect = 'sqlite' as const;
  private readonly lock = new SerialLock();
  private readonly inTransaction = new AsyncLocalStorage<boolean>();
  private readonly statements = new Map<string, { statement: Sqlite.Statement; parameterCount: number; positional: boolean }>();
  private closed = false;
  /** A staging area after a failed transaction (see runStaged). */
  private broken: Error | undefined;
  /** A staging database pushing its tables into the read store (pushInto): real transactions again. */
  private pushing = false;
  /**
   * Tables pushInto had to copy row by row, SQLite's transfer optimization refused (their
   * staged and read-store shapes or indexes differ): correct, but several times slower.
   */
  readonly copiedRowByRow = new Set<string>();

  private constructor(
    private readonly db: Sqlite.Database,
    private readonly filename: string,
    /** A staging database: no journal, no fsync; durability options do not apply. */
    private readonly scratch = false,
    private readonly busyTimeoutMs = 5000,
  ) {}

  static open(options: SqliteDatabaseOptions): SqliteDatabase {
    const busyTimeoutMs = options.busyTimeoutMs ?? 5000;
    const db = new Sqlite(options.filename, { timeout: busyTimeoutMs });
    try {
      db.pragma(`busy_timeout = ${Math.trunc(busyTimeoutMs)}`);
      // Taken only by a new file (before WAL mode and its first table), ignored by an existing one.
      db.pragma(`page_size = ${READ_STORE_PAGE_SIZE}`);
      const mode = db.pragma('journal_mode = WAL', { simple: true });
      if (mode !== 'wal') throw new Error(`SQLite read store needs WAL mode, but ${options.filename} stays in ${String(mode)}`);
      db.pragma('synchronous = FULL');
      // Negative: a size in KiB rather than in pages.
      db.pragma(`cache_size = -${Math.trunc((options.cacheSizeMiB ?? 64) * 1024)}`);
      return new SqliteDatabase(db, options.filename, false, busyTimeoutMs);
    } catch (error) {
      db.close();
      throw error;
    }
  }

  async query<T extends object>(sql: string, params: readonly SqlValue[] = []): Promise<T[]> {
    this.assertOutsideTransaction();
    return this.lock.run(() => this.all<T>(sql, params));
  }

  async queryOne<T extends object>(sql: string, params: readonly SqlValue[] = []): Promise<T | undefined> {
    this.assertOutsideTransaction();
    return this.lock.run(() => this.get<T>(sql, params));
  }

  async execute(sql: string, params: readonly SqlValue[] = []): Promise<ExecuteResult> {
    this.assertOutsideTransaction();
    return this.lock.run(() => this.run(sql, params));
  }

  /**
   * `fn` must await nothing but its `tx` statements, which settle within the same turn of the
   * event loop. Awaiting anything else (a timer, a network call, another database) would keep
   * the file's write lock across turns and stall every other connection for up to the busy
   * timeout: a check armed at BEGIN for the next turn catches it, rolls back at once and fails
   * the transaction (and every later `tx` call) with TransactionAwaitedIoError.
   */
  async transaction<T>(fn: (tx: SqlExecutor) => Promise<T>, options: TransactionOptions = {}): Promise<T> {
    this.assertOutsideTransaction();
    return this.lock.run(async () => {
      this.assertOpen();
      await new Promise<void>((resolve) => setImmediate(resolve));
      // Per connection and outside a transaction only: set for this one, put back after it.
      const relaxed = options.durable === false && !this.scratch;
      if (relaxed) this.db.pragma('synchronous = NORMAL');
      try {
        return await this.runTransaction(fn);
      } finally {
        if (relaxed) this.db.pragma('synchronous = FULL');
      }
    });
  }

  private async runTransaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    if (this.scratch && !this.pushing) return this.runStaged(fn);
    this.db.exec('BEGIN IMMEDIATE');
    let ended: Error | undefined;
    const guard = (): void => {
      if (ended) throw ended;
    };
    const tx: SqlExecutor = {
      dialect: 'sqlite',
      query: async <R extends object>(sql: string, params: readonly SqlValue[] = []) => (guard(), this.all<R>(sql, params)),
      queryOne: async <R extends object>(sql: string, params: readonly SqlValue[] = []) => (guard(), this.get<R>(sql, params)),
      execute: async (sql: string, params: readonly SqlValue[] = []) => (guard(), this.run(sql, params)),
    };
    let stalled!: (error: Error) => void;
    const awaitedIo = new Promise<never>((_, reject) => (stalled = reject));
    // Runs only once the microtask queue is empty: fn still pending means it awaits other I/O.
    // Both an immediate and a timer: this runs in the event loop's check phase (transaction()
    // waits for setImmediate), so an immediate armed now fires in the next iteration, after its
    // timers, and a short timer awaited by fn (1 ms on a loaded machine) would resolve first;
    // a timer armed now fires before any timer fn arms after it.
    const stall = (): void => {
      if (ended) return;
      ended = new TransactionAwaitedIoError();
      try {
        if (this.db.inTransaction) this.db.exec('ROLLBACK');
      } finally {
        stalled(ended);
      }
    };
    const watch = setImmediate(stall);
    const watchTimer = setTimeout(stall, 0);
    const unwatch = (): void => {
      clearImmediate(watch);
      clearTimeout(watchTimer);
    };
    try {
      const result = await Promise.race([this.inTransaction.run(true, () => fn(tx)), awaitedIo]);
      unwatch();
      ended = new Error('This transaction has ended');
      this.db.exec('COMMIT');
      return result;
    } catch (error) {
      unwatch();
      ended ??= new Error('This transaction has ended');
      if (this.db.inTransaction) this.db.exec('ROLLBACK');
      throw error;
    }
  }

  /**
   * A staging database runs in one transaction from open to its push, each of ours a stretch of
   * it with no BEGIN, COMMIT or SAVEPOINT: a commit would write every page the batch touched to
   * its file (the cost staging avoids), and a savepoint journals each page it touches. Nothing
   * can be rolled back then: after one failure the staging area refuses every further
   * statement, and the rebuild that owns it starts again from nothing.
   */
  private async runStaged<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    if (this.broken) throw this.broken;
    const guard = (): void => {
      if (this.broken) throw this.broken;
    };
    const tx: SqlExecutor = {
      dialect: 'sqlite',
      query: async <R extends object>(sql: string, params: readonly SqlValue[] = []) => (guard(), this.all<R>(sql, params)),
      queryOne: async <R extends object>(sql: string, params: readonly SqlValue[] = []) => (guard(), this.get<R>(sql, params)),
      execute: async (sql: string, params: readonly SqlValue[] = []) => (guard(), this.run(sql, params)),
    };
    try {
      return await this.inTransaction.run(true, () => fn(tx));
    } catch (error) {
      this.broken = new Error(`This staging area is unusable after a failed transaction: ${(error as Error)?.message ?? String(error)}`);
      throw error;
    }
  }

  /**
   * A private scratch database for a rebuild's replay (see openScratch), pushed into this one at
   * its end. Files that rebuilds of earlier versions left beside this one (`<file>-staging-<id>`)
   * are deleted here when `live` does not name their id: a scratch database has no name, and
   * SQLite removes the temporary file behind it even when the process is killed.
   */
  async openStaging(id: string, live: readonly string[] = []): Promise<StagingArea | undefined> {
    if (this.scratch || this.filename === ':memory:' || this.filename === '') return undefined;
    // `<rebuild id>` or `<rebuild id>.<n>`: a rebuild replaying on several threads has one each.
    if (!/^[A-Za-z0-9-]{1,64}(\.[0-9]{1,3})?$/.test(id)) throw new Error(`Invalid staging id ${JSON.stringify(id)}`);
    const dir = path.dirname(path.resolve(this.filename));
    const prefix = `${path.basename(this.filename)}-staging-`;
    const alive = (name: string): boolean => live.some((owner) => name === owner || name.startsWith(`${owner}.`));
    for (const name of readdirSync(dir)) {
      if (name.startsWith(prefix) && !alive(name.slice(prefix.length))) rmSync(path.join(dir, name), { force: true });
    }
    return new SqliteStagingArea(this, { filename: this.filename, busyTimeoutMs: this.busyTimeoutMs });
  }

  /**
   * Opens a rebuild's staging database: SQLite's private temporary database (an empty file name), kept in this connection's page cache and spilled to a temporary file (SQLITE_TMPDIR,
   * else TMPDIR, else /var/tmp or /tmp) only past the cache's 1 GiB. No journal, no fsync, one
   * transaction from open to its push (see runStaged): nothing is written to a file until the
   * cache is full, where a named staging file had to write every page out before the read store
   * could attach it (a school year: 1.8 s and 2.7 s for the two threads' 523 and 829 MB).
   */
  static openScratch(): SqliteDatabase {
    const raw = new Sqlite('');
    try {
      raw.pragma(`page_size = ${READ_STORE_PAGE_SIZE}`);
      // better-sqlite3's defensive mode silently keeps the journal on (`delete`) otherwise.
      raw.unsafeMode(true);
      const mode = raw.pragma('journal_mode = OFF', { simple: true });
      raw.unsafeMode(false);
      if (mode !== 'off') throw new Error(`A staging database needs journal_mode=OFF, but it stays in ${String(mode)}`);
      raw.pragma('synchronous = OFF');
      raw.pragma('temp_store = MEMORY');
      // 1 GiB (measured on a 200-establishment year: 6 GiB gains 5 %, larger pages or mmap nothing).
      raw.pragma(`cache_size = -${1024 * 1024}`);
      raw.exec('BEGIN');
      return new SqliteDatabase(raw, '', true);
    } catch (error) {
      raw.close();
      throw error;
    }
  }

  /** Runs `fn` with this connection held: this process's statements on it wait until it settles. */
  async exclusively<T>(fn: () => Promise<T>): Promise<T> {
    return this.lock.run(fn);
  }

  /**
   * Copies a staging database's tables into the read store (see StagingArea.copyInto), from the
   * staging connection itself, which attaches the read store while it runs: the staged pages go
   * from its cache into the read store's WAL. Ends the staging database's one transaction
   * first (nothing is written while it stays within its cache); statements on this connection
   * are real transactions from then on, with the read store's busy timeout. `around` wraps each
   * table's transaction (the reading thread holds its own read-store connection there).
   */
  async pushInto(
    readStore: StagingHandOver['readStore'],
    tables: readonly string[],
    inEachTransaction: (tx: SqlExecutor) => Promise<void>,
    onProgress: (rowsCopied: number) => void,
    around: <T>(copy: () => Promise<T>) => Promise<T> = (copy) => copy(),
  ): Promise<number> {
    if (!this.scratch) throw new Error('Only a staging database is pushed into the read store');
    const alias = PUSHED_INTO;
    await this.lock.run(async () => {
      this.assertOpen();
      if (this.broken) throw this.broken;
      if (this.db.inTransaction) this.db.exec('COMMIT');
      this.pushing = true;
      this.db.pragma(`busy_timeout = ${Math.trunc(readStore.busyTimeoutMs)}`);
      this.db.prepare(`ATTACH DATABASE ? AS ${alias}`).run(readStore.filename);
      // As the read store's own copies (durable: false): its WAL is synced at checkpoints.
      this.db.pragma(`${alias}.synchronous = NORMAL`);
      this.db.unsafeMode(true);
    });
    try {
      return await this.copyTables(tables, inEachTransaction, onProgress, around);
    } finally {
      await this.lock.run(async () => {
        this.db.unsafeMode(false);
        this.db.exec(`DETACH DATABASE ${alias}`);
      });
    }
  }

  /**
   * Copies `tables` of this staging database into the same-named tables of the read store it has
   * attached (pushInto), each in a transaction of its own that `inEachTransaction` opens, with the
   * indexes they have here.
   */
  private async copyTables(
    tables: readonly string[],
    inEachTransaction: (tx: SqlExecutor) => Promise<void>,
    onProgress: (rowsCopied: number) => void,
    around: <T>(copy: () => Promise<T>) => Promise<T>,
  ): Promise<number> {
    const [from, to] = ['main', PUSHED_INTO];
    const stored = await this.query<{ name: string; sql: string | null }>(`SELECT name, sql FROM ${from}.sqlite_master WHERE type = 'table'`);
    const real: string[] = [];
    for (const table of tables) {
      assertIdentifier(table, 'table name');
      const entry = stored.find((row) => row.name === table);
      if (!entry) throw new Error(`Staged table ${table} does not exist`);
      // A virtual table (FTS5) keeps its rows in its own tables, named <table>_<suffix>.
      if (/^CREATE VIRTUAL TABLE/i.test(entry.sql ?? '')) {
        for (const row of stored) if (row.name.startsWith(`${table}_`) && !tables.includes(row.name)) real.push(row.name);
      } else real.push(table);
    }
    let copied = 0;
    for (const table of real) {
      // The read store's table gets the staged table's indexes (the query indexes were built
      // in the staging database, on the replay's threads), then one INSERT … SELECT * copies its
      // records and index entries as they are (SQLite's transfer optimization, which needs an
      // empty table with the same indexes): no row decoded, no index sorted again. 3-4x faster
      // than copying in key order by chunks and building the indexes after (ind_facts of 200
      // establishments: 3.2 s against 8.5-11.5 s). The read store's write lock is held for the
      // whole table: the read store has a file of its own, which the event log never waits on.
      const staged = await this.query<{ name: string; sql: string }>(
        `SELECT name, sql FROM ${from}.sqlite_master WHERE type = 'index' AND tbl_name = $1 AND sql IS NOT NULL`,
        [table],
      );
      const sql = `INSERT INTO ${to}.${table} SELECT * FROM ${from}.${table}`;
      copied += await around(() => this.transaction(async (tx) => {
        await inEachTransaction(tx);
        await tx.execute(`DELETE FROM ${to}.${table}`);
        const present = new Set(
          (await tx.query<{ name: string }>(`SELECT name FROM ${to}.sqlite_master WHERE type = 'index' AND tbl_name = $1`, [table])).map((row) => row.name),
        );
        for (const index of staged) if (!present.has(index.name)) await tx.execute(inSchema(index.sql, to));
        if (!(await transfers(tx, sql))) this.copiedRowByRow.add(table);
        return (await tx.execute(sql)).rowCount;
      }, { durable: false }));
      onProgress(copied);
    }
    return copied;
  }

  async close(): Promise<void> {
    await this.closeStaged(true);
  }

  /** Closes; a staging database's open transaction is committed when `keep`, else thrown away. */
  async closeStaged(keep: boolean): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.lock.run(() => {
      if (this.scratch && this.db.inTransaction) this.db.exec(keep && !this.broken ? 'COMMIT' : 'ROLLBACK');
      this.db.close();
    });
  }

  private all<T>(sql: string, params: readonly SqlValue[]): T[] {
    const [statement, binding] = this.prepare(sql, params);
    return (binding === undefined ? statement.all() : Array.isArray(binding) ? statement.all(...binding) : statement.all(binding)) as T[];
  }

  private get<T>(sql: string, params: readonly SqlValue[]): T | undefined {
    const [statement, binding] = this.prepare(sql, params);
    return (binding === undefined ? statement.get() : Array.isArray(binding) ? statement.get(...binding) : statement.get(binding)) as T | undefined;
  }

  private run(sql: string, params: readonly SqlValue[]): ExecuteResult {
    const [statement, binding] = this.prepare(sql, params);
    const info = binding === undefined ? statement.run() : Array.isArray(binding) ? statement.run(...binding) : statement.run(binding);
    return { rowCount: info.changes };
  }

  private prepare(sql: string, params: readonly SqlValue[]): [Sqlite.Statement, Binding | undefined] {
    this.assertOpen();
    let cached = this.statements.get(sql);
    if (cached) {
      // Most recently used last, so the oldest is evicted first.
      this.statements.delete(sql);
    } else {
      const translated = translatePlaceholders(sql);
      cached = { statement: this.db.prepare(translated.sql), parameterCount: translated.parameterCount, positional: translated.positional };
      if (this.statements.size >= STATEMENT_CACHE_SIZE) this.statements.delete(this.statements.keys().next().value!);
    }
    this.statements.set(sql, cached);
    if (params.length !== cached.parameterCount) {
      throw new Error(`Statement expects ${cached.parameterCount} parameters, got ${params.length}: ${sql}`);
    }
    if (params.length === 0) return [cached.statement, undefined];
    if (cached.positional) return [cached.statement, params.map(bindable)];
    const binding: Record<number, Bound> = {};
    params.forEach((value, index) => {
      binding[index + 1] = bindable(value);
    });
    return [cached.statement, binding];
  }

  private assertOutsideTransaction(): void {
    if (this.inTransaction.getStore()) {
      throw new Error('Inside a transaction, run statements through its handle, not the database');
    }
  }

  private assertOpen(): void {
    if (!this.db.open) throw new Error('The read store is closed');
  }
}

/** A read-store transaction on SQLite awaited something other than its own statements. */
export class TransactionAwaitedIoError extends Error {
  constructor() {
    super(
      'A SQLite read-store transaction must await only its own statements: it awaited other I/O (a timer, ' +
        'a network call, another database), which would hold the write lock on the file and stall every other ' +
        'connection for up to the busy timeout. It was rolled back; do that I/O before or after the transaction.',
    );
    this.name = 'TransactionAwaitedIoError';
  }
}

/**
 * Whether SQLite compiles `INSERT … SELECT *` as a transfer of records (OP_RowCell or OP_RowData
 * copy a stored record as it is), not row by row.
 */
async function transfers(tx: SqlExecutor, sql: string): Promise<boolean> {
  const plan = await tx.query<{ opcode: string }>(`EXPLAIN ${sql}`);
  return plan.some((step) => step.opcode === 'RowCell' || step.opcode === 'RowData');
}

/** A staged index's CREATE statement, aimed at the read store (schema `schema`) rather than the staging database. */
function inSchema(sql: string, schema: string): string {
  const aimed = sql.replace(/^(CREATE\s+(?:UNIQUE\s+)?INDEX\s+(?:IF\s+NOT\s+EXISTS\s+)?)/i, `$1${schema}.`);
  if (aimed === sql) throw new Error(`Unexpected index statement: ${sql}`);
  return aimed;
}

/** The schema a staging database attaches the read store as, while it pushes its tables in. */
const PUSHED_INTO = 'ruche_read';

class SqliteStagingArea implements StagingArea {
  private disposed = false;
  private scratch: SqliteDatabase | undefined;

  constructor(
    private readonly target: SqliteDatabase,
    private readonly readStore: StagingHandOver['readStore'],
  ) {}

  /** Opened when first used: an area handed over to another thread never is (that thread opens its own). */
  get db(): SqliteDatabase {
    if (this.disposed) throw new Error('This staging area is disposed');
    return (this.scratch ??= SqliteDatabase.openScratch());
  }

  async handOver(): Promise<StagingHandOver> {
    return { readStore: this.readStore };
  }

  async holdReadStoreWhile(copy: Promise<unknown>, onHeld?: () => void): Promise<void> {
    await this.target.exclusively(() => {
      onHeld?.();
      return copy.then(() => undefined, () => undefined);
    });
  }

  async copyInto(
    tables: readonly string[],
    inEachTransaction: (tx: SqlExecutor) => Promise<void>,
    onProgress: (rowsCopied: number) => void = () => undefined,
  ): Promise<number> {
    // This process's connection to the read store held while each table is copied: its
    // statements queue behind that table rather than wait on the push's write lock inside SQLite
    // (a busy wait on this thread), and run between tables.
    const copied = await this.db.pushInto(this.readStore, tables, inEachTransaction, onProgress, (copy) => this.target.exclusively(copy));
    for (const table of this.db.copiedRowByRow) this.target.copiedRowByRow.add(table);
    return copied;
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    await this.scratch?.closeStaged(false);
  }
}

/** better-sqlite3 binds every JS number as REAL; integers go in as INTEGER, as PostgreSQL would. */
function bindable(value: SqlValue): string | number | bigint | null {
  if (typeof value === 'number' && Number.isSafeInteger(value)) return BigInt(value);
  if (value === undefined) throw new Error('undefined is not a SQL value (use null)');
  return value;
}

/** Opens the SQLite read store on `filename` (normally the event log's file). */
export function openSqliteDatabase(options: SqliteDatabaseOptions): SqlDatabase {
  return SqliteDatabase.open(options);
}
