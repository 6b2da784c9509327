import { AsyncLocalStorage } from 'node:async_hooks';
import Sqlite from 'better-sqlite3';
import type { ExecuteResult, SqlDatabase, SqlExecutor, SqlValue, TransactionOptions } from '../sql-database.js';
import { SerialLock } from '../serial-lock.js';
import { translatePlaceholders } from './sqlite-placeholders.js';

export interface SqliteDatabaseOptions {
  /** The database file, usually the event log's own: read models live beside the log. */
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

type Binding = Record<number, string | number | bigint | null>;

const STATEMENT_CACHE_SIZE = 256;

/**
 * The read store on SQLite, through its own better-sqlite3 connection (WAL, synchronous=FULL,
 * busy_timeout), so that several processes and the event log's connection share the file.
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
  private readonly statements = new Map<string, { statement: Sqlite.Statement; parameterCount: number }>();
  private closed = false;

  private constructor(private readonly db: Sqlite.Database) {}

  static open(options: SqliteDatabaseOptions): SqliteDatabase {
    const busyTimeoutMs = options.busyTimeoutMs ?? 5000;
    const db = new Sqlite(options.filename, { timeout: busyTimeoutMs });
    try {
      db.pragma(`busy_timeout = ${Math.trunc(busyTimeoutMs)}`);
      const mode = db.pragma('journal_mode = WAL', { simple: true });
      if (mode !== 'wal') throw new Error(`SQLite read store needs WAL mode, but ${options.filename} stays in ${String(mode)}`);
      db.pragma('synchronous = FULL');
      // Negative: a size in KiB rather than in pages.
      db.pragma(`cache_size = -${Math.trunc((options.cacheSizeMiB ?? 64) * 1024)}`);
      return new SqliteDatabase(db);
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
      const relaxed = options.durable === false;
      if (relaxed) this.db.pragma('synchronous = NORMAL');
      try {
        return await this.runTransaction(fn);
      } finally {
        if (relaxed) this.db.pragma('synchronous = FULL');
      }
    });
  }

  private async runTransaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    this.db.exec('BEGIN IMMEDIATE');
    let ended: Error | undefined;
    const guard = (): void => {
      if (ended) throw ended;
    };
    const tx: SqlExecutor = {
      query: async <R extends object>(sql: string, params: readonly SqlValue[] = []) => (guard(), this.all<R>(sql, params)),
      queryOne: async <R extends object>(sql: string, params: readonly SqlValue[] = []) => (guard(), this.get<R>(sql, params)),
      execute: async (sql: string, params: readonly SqlValue[] = []) => (guard(), this.run(sql, params)),
    };
    let stalled!: (error: Error) => void;
    const awaitedIo = new Promise<never>((_, reject) => (stalled = reject));
    // Runs only once the microtask queue is empty: fn still pending means it awaits other I/O.
    const watch = setImmediate(() => {
      ended = new TransactionAwaitedIoError();
      try {
        if (this.db.inTransaction) this.db.exec('ROLLBACK');
      } finally {
        stalled(ended);
      }
    });
    try {
      const result = await Promise.race([this.inTransaction.run(true, () => fn(tx)), awaitedIo]);
      clearImmediate(watch);
      ended = new Error('This transaction has ended');
      this.db.exec('COMMIT');
      return result;
    } catch (error) {
      clearImmediate(watch);
      ended ??= new Error('This transaction has ended');
      if (this.db.inTransaction) this.db.exec('ROLLBACK');
      throw error;
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.lock.run(() => this.db.close());
  }

  private all<T>(sql: string, params: readonly SqlValue[]): T[] {
    const [statement, binding] = this.prepare(sql, params);
    return (binding ? statement.all(binding) : statement.all()) as T[];
  }

  private get<T>(sql: string, params: readonly SqlValue[]): T | undefined {
    const [statement, binding] = this.prepare(sql, params);
    return (binding ? statement.get(binding) : statement.get()) as T | undefined;
  }

  private run(sql: string, params: readonly SqlValue[]): ExecuteResult {
    const [statement, binding] = this.prepare(sql, params);
    const info = binding ? statement.run(binding) : statement.run();
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
      cached = { statement: this.db.prepare(translated.sql), parameterCount: translated.parameterCount };
      if (this.statements.size >= STATEMENT_CACHE_SIZE) this.statements.delete(this.statements.keys().next().value!);
    }
    this.statements.set(sql, cached);
    if (params.length !== cached.parameterCount) {
      throw new Error(`Statement expects ${cached.parameterCount} parameters, got ${params.length}: ${sql}`);
    }
    if (params.length === 0) return [cached.statement, undefined];
    const binding: Binding = {};
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
