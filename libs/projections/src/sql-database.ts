/**
 * The read-store port: the SQL database that read models live in, and that queries read.
 * Two adapters: SQLite (its own connection to the event log's file) and PostgreSQL (a pool,
 * pinned to one schema).
 *
 * SQL is written once, in a portable subset that both engines run the same way:
 * - placeholders are `$1`, `$2`, … (the SQLite adapter turns them into `?1`, `?2`, …); a
 *   placeholder may appear several times; values are strings, numbers, bigints or null
 *   (booleans: store 0/1 in an INTEGER; dates: ISO-8601 strings in a TEXT);
 * - column types TEXT, INTEGER, BIGINT (and REAL); no SERIAL/IDENTITY, no JSONB, no arrays, no
 *   BOOLEAN; keys are natural (ids, names, positions);
 * - `INSERT … ON CONFLICT (cols) DO UPDATE SET x = excluded.x` / `DO NOTHING`, `RETURNING`,
 *   `COALESCE`, `CASE`, `MIN/MAX/SUM/COUNT`, `LIMIT/OFFSET`, plain joins and subqueries;
 * - no JSON functions, no `ILIKE`, no string functions beyond `LOWER/UPPER/LENGTH/SUBSTR`,
 *   no `||` on numbers, no boolean-valued select expressions (use `CASE WHEN … THEN 1 ELSE 0 END`);
 * - identifiers in lower-case snake_case, unquoted (PostgreSQL folds case, SQLite does not);
 *   index names must contain their table's physical name (see Projection);
 * - one statement per call: `execute` does not run scripts.
 * Both adapters return BIGINT, COUNT(*) and NUMERIC results as JS numbers (PostgreSQL would
 * otherwise return strings); positions and counts stay far below 2^53.
 */
export type SqlValue = string | number | bigint | null;

export interface ExecuteResult {
  /** Rows inserted, updated or deleted by the statement. */
  rowCount: number;
}

/** What can run statements: the database itself, or a transaction in progress. */
export interface SqlExecutor {
  /** Whose SQL it speaks: the few statements that differ (clusteredByKey) branch on it. */
  readonly dialect: SqlDialect;
  /** Every row the statement returns. */
  query<T extends object = Record<string, unknown>>(sql: string, params?: readonly SqlValue[]): Promise<T[]>;
  /** The first row, or undefined when there is none. */
  queryOne<T extends object = Record<string, unknown>>(sql: string, params?: readonly SqlValue[]): Promise<T | undefined>;
  /** A statement run for its effect (DDL, INSERT, UPDATE, DELETE). */
  execute(sql: string, params?: readonly SqlValue[]): Promise<ExecuteResult>;
  /**
   * Optional: the engine's own way of inserting many rows in one statement, used by insertRows
   * (multi-row.ts) when present. Answers the number of rows inserted or updated.
   */
  insertMany?(insert: BulkInsert): Promise<number>;
  /** Optional: insertMany for a tail that ends with RETURNING, answering the rows returned (insertReturning). */
  insertManyReturning?<T extends object>(insert: BulkInsert): Promise<T[]>;
  /**
   * Optional: `<select> WHERE <column> = ANY(<keys as one array>)`, used by selectIn (multi-row.ts)
   * when present: one statement text for any number of keys, instead of IN lists by chunk.
   */
  selectAny?<T extends object>(select: string, column: string, keys: readonly SqlValue[]): Promise<T[]>;
}

/** `INSERT INTO <table> (<columns>) <rows> <tail>`: the tail is an ON CONFLICT clause or ''. */
export interface BulkInsert {
  table: string;
  columns: readonly string[];
  rows: readonly (readonly SqlValue[])[];
  tail: string;
}

export type SqlDialect = 'sqlite' | 'postgres';

/**
 * What ends the CREATE TABLE of a table whose rows are found by their primary key: on SQLite,
 * WITHOUT ROWID, the rows stored in the key's own B-tree, where a rowid table keeps a second one
 * for the key (70 and 83 MB of a school year's read marks and people by day, 900,000 rows each,
 * for a replay to write, a rebuild to copy and a swap to drop; their other indexes grow a little,
 * carrying the key instead of a rowid); nothing on PostgreSQL, whose tables are heaps beside
 * their key's index either way.
 */
export function clusteredByKey(db: SqlExecutor): string {
  return db.dialect === 'sqlite' ? ' WITHOUT ROWID' : '';
}

export interface SqlDatabase extends SqlExecutor {
  /**
   * Runs `fn` in one transaction: committed when it resolves, rolled back when it throws.
   * Use only `tx` inside `fn` (the database itself would wait for the transaction to end), and
   * await nothing but `tx`'s calls: on SQLite the transaction holds the file's write lock, and
   * no other statement of this connection runs until it ends.
   */
  transaction<T>(fn: (tx: SqlExecutor) => Promise<T>, options?: TransactionOptions): Promise<T>;
  /**
   * Optional: a private scratch database for a rebuild's replay, copied into this one at the end
   * (see StagingArea). Answers undefined where the adapter has none to offer (an in-memory
   * database). SQLite offers one; PostgreSQL does not (its replay writes the shadow tables).
   * `live`: ids of the other rebuilds still running; what dead ones left behind is cleaned up.
   */
  openStaging?(id: string, live?: readonly string[]): Promise<StagingArea | undefined>;
  /**
   * Optional: how a rebuild's replay thread opens a connection of its own to this database, to
   * replay its share of the projections into their shadow tables (PostgreSQL; SQLite's replay
   * threads write staging databases of their own instead).
   */
  replayConnection?(): ReplayConnection;
  close(): Promise<void>;
}

/**
 * Where a rebuild replays the log before its tables join the read store. On SQLite, writing a
 * school year into the read store itself costs a commit (WAL pages, then their checkpoint) per
 * batch, with random-key B-trees that rewrite most of their pages each time; a scratch database
 * of its own (private, in memory up to its cache, no journal, one writer) takes the same
 * statements at memory speed; its query indexes are built there too, and its tables are then
 * copied in whole, with their indexes, a table per transaction.
 * Nothing in it is durable: a crash loses it, and the rebuild starts again from position 0.
 */
/** Staging handed to another thread: the read store that thread pushes its own staging into. */
export interface StagingHandOver {
  readStore: { filename: string; busyTimeoutMs: number };
}

export interface StagingArea {
  /** Where the replay writes: same dialect, same SQL; only for the rebuild that opened it. */
  readonly db: SqlDatabase;
  /**
   * Optional: answers the read store, for a replay thread that stages in a database of its own
   * (SQLite: SqliteDatabase.openScratch) instead of `db`, which is then never opened, and copies
   * it in itself (SqliteDatabase.pushInto); copyInto is then not called. Areas whose rebuild
   * cannot replay on other threads do not have it.
   */
  handOver?(): Promise<StagingHandOver>;
  /**
   * With handOver: holds this process's connection to the read store until `copy` (the other
   * thread copying its tables in) settles, so that this process's own reads and writes queue
   * behind it, as they would behind copyInto, rather than wait on the other thread's write lock
   * inside SQLite (a busy wait that blocks the event loop, and fails after the busy timeout).
   * `onHeld` is called once it holds it: the other thread waits for that before it copies.
   */
  holdReadStoreWhile?(copy: Promise<unknown>, onHeld?: () => void): Promise<void>;
  /**
   * Copies the rows of `tables` (with a virtual table's own storage) into the
   * same-named tables of the read store, which must exist, with the indexes they have in the
   * staging area, a table per transaction; `inEachTransaction` runs first in each (the rebuild checks its claim there).
   */
  copyInto(
    tables: readonly string[],
    inEachTransaction: (tx: SqlExecutor) => Promise<void>,
    onProgress?: (rowsCopied: number) => void,
  ): Promise<number>;
  /** Closes it (if still open) and deletes it. */
  dispose(): Promise<void>;
}

export interface TransactionOptions {
  /**
   * false: the commit returns before it reaches the disk (SQLite synchronous=NORMAL in WAL mode,
   * PostgreSQL synchronous_commit=off). A crash or power cut may then undo the last such
   * transactions, whole and in order, never corrupt or split one. Only for writes that can be
   * made again: a projection's batch with its checkpoint (undone together, the runner applies
   * the events again), a rebuild's shadow tables. Default true.
   */
  durable?: boolean;
}

/** How another thread connects to the same read store (see SqlDatabase.replayConnection). */
export interface ReplayConnection {
  dialect: 'postgres';
  connectionString: string;
  schema: string;
}

/** Lower-case snake_case identifier, safe to splice into SQL without quoting. */
const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;

export function assertIdentifier(name: string, what = 'identifier'): string {
  if (!IDENTIFIER.test(name)) {
    throw new Error(`Invalid SQL ${what} ${JSON.stringify(name)}: use lower-case snake_case (at most 63 characters)`);
  }
  return name;
}

/** With the schema's name after it, the key of the advisory lock createTablesOnce takes. */
export const SCHEMA_DDL_LOCK = 'ruche.ddl.';

/**
 * Runs `CREATE … IF NOT EXISTS` statements so that processes starting together on one database
 * all succeed. PostgreSQL's IF NOT EXISTS is not safe against a concurrent creator: the loser
 * fails with 23505, 42P07 or 42710 depending on timing (a CI run failed on "type already
 * exists"). There the statements run in one transaction holding a lock scoped to the schema,
 * so each creator after the first sees the objects. SQLite's write lock already serialises them.
 */
export async function createTablesOnce(db: SqlDatabase, statements: readonly string[]): Promise<void> {
  await db.transaction(async (tx) => {
    if (db.dialect === 'postgres') {
      await tx.queryOne(`SELECT pg_advisory_xact_lock(hashtextextended($1 || current_schema(), 0)) AS locked`, [SCHEMA_DDL_LOCK]);
    }
    for (const sql of statements) await tx.execute(sql);
  });
}
