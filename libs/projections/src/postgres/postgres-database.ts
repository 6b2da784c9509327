import { AsyncLocalStorage } from 'node:async_hooks';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type { BulkInsert, ExecuteResult, ReplayConnection, SqlDatabase, SqlExecutor, SqlValue, TransactionOptions } from '../sql-database.js';
import { assertIdentifier } from '../sql-database.js';

export interface PostgresDatabaseOptions {
  connectionString: string;
  /** Schema holding the read models; created when missing, and the search_path of every connection. */
  schema: string;
  /** Pool size. Default 10. */
  max?: number;
}

const INT8_OID = 20;
const NUMERIC_OID = 1700;
const toNumber = (value: string): number => Number(value);

/** BIGINT, COUNT(*), SUM(…) and NUMERIC come back as numbers, as they do from SQLite. */
const typeParsers = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === INT8_OID || oid === NUMERIC_OID) return toNumber;
    return format === 'binary' ? pg.types.getTypeParser(oid, 'binary') : pg.types.getTypeParser(oid, 'text');
  },
} as pg.CustomTypesConfig;

/**
 * PostgreSQL text cannot hold NUL, which the event log keeps as written (an event imported or
 * sent over a socket may carry one): a read model stores U+FFFD in its place rather than fail
 * its projection at that event for good. SQLite read models keep the NUL.
 */
function bindable(value: SqlValue): string | number | null {
  if (value === undefined) throw new Error('undefined is not a SQL value (use null)');
  if (typeof value === 'string') return value.includes('\u0000') ? value.replaceAll('\u0000', '\uFFFD') : value;
  return typeof value === 'bigint' ? value.toString() : value;
}

const bindAll = (params: readonly SqlValue[]): (string | number | null)[] => params.map(bindable);

/** Statement texts seen so far, by how often (bounded: emptied when full). */
const seen = new Map<string, number>();
const names = new Map<string, string>();
const SEEN_LIMIT = 4096;

/**
 * A statement with parameters that comes back (projections' multi-row writes and lookups, the
 * queries' handlers) runs as a named prepared statement: the server parses and plans it once per
 * connection instead of at every call, which costs more than the execution for a 512-row insert.
 * A text seen once goes unnamed, so that one-off texts do not pile up on the server.
 */
function statement(sql: string, params: readonly SqlValue[]): pg.QueryConfig {
  return named(sql, bindAll(params));
}

function named(sql: string, values: unknown[]): pg.QueryConfig {
  if (values.length === 0) return { text: sql, values };
  let name = names.get(sql);
  if (name === undefined) {
    const count = (seen.get(sql) ?? 0) + 1;
    if (seen.size >= SEEN_LIMIT) seen.clear();
    seen.set(sql, count);
    if (count < 2) return { text: sql, values };
    name = `ruche_${createHash('sha1').update(sql).digest('hex').slice(0, 24)}`;
    if (names.size >= SEEN_LIMIT) names.clear();
    names.set(sql, name);
  }
  return { name, text: sql, values };
}

/** Rows per insertMany statement: a batch's rows in one, bounded all the same. */
const BULK_ROWS = 10_000;

/**
 * insertMany on PostgreSQL: one statement with an array parameter per column,
 * `INSERT INTO t (a, b) SELECT * FROM unnest($1::text[], $2::bigint[]) <tail>`, instead of
 * multi-row VALUES of at most 900 parameters. Measured on 204,800 rows of nine columns in batches
 * of 2,048: 1.0 s against 2.1–2.6 s for prepared 64-row VALUES (the server binds nine values
 * instead of 576, and one round trip per batch instead of 32); in the indicators projection's
 * replay of 50 establishments, its three largest inserts 10.5 -> 7.5 s (index upkeep is the
 * rest). The arrays need the columns' types, read from the catalog once per table name (tables
 * do not change type under a name within a process: a projection's new tables come with a new
 * version and a new generation).
 */
async function insertMany(
  client: pg.PoolClient,
  types: Map<string, Map<string, string>>,
  insert: BulkInsert,
): Promise<{ rowCount: number; rows: object[] }> {
  // COPY takes text as the columns' own input: no types to look up.
  if (insert.tail.trim() === '') return { rowCount: await copyRows(client, insert), rows: [] };
  let columnTypes = types.get(insert.table);
  if (columnTypes === undefined) {
    const { rows } = await client.query<{ name: string; type: string }>(
      `SELECT attname AS name, format_type(atttypid, atttypmod) AS type FROM pg_attribute
       WHERE attrelid = to_regclass($1) AND attnum > 0 AND NOT attisdropped`,
      [insert.table],
    );
    if (rows.length === 0) throw new Error(`insertMany: no table ${insert.table}`);
    columnTypes = new Map(rows.map((row) => [row.name, row.type]));
    types.set(insert.table, columnTypes);
  }
  const casts = insert.columns.map((column, index) => {
    const type = columnTypes.get(column);
    if (type === undefined) throw new Error(`insertMany: ${insert.table} has no column ${column}`);
    return `$${index + 1}::${type}[]`;
  });
  const sql = `INSERT INTO ${insert.table} (${insert.columns.join(', ')}) SELECT * FROM unnest(${casts.join(', ')}) ${insert.tail}`;
  let rowCount = 0;
  const returned: object[] = [];
  for (let from = 0; from < insert.rows.length; from += BULK_ROWS) {
    const rows = insert.rows.slice(from, from + BULK_ROWS);
    const arrays = insert.columns.map((_, column) => rows.map((row) => bindable(row[column]!)));
    const result = await client.query(named(sql, arrays));
    rowCount += result.rowCount ?? 0;
    for (const row of result.rows) returned.push(row);
  }
  return { rowCount, rows: returned };
}

/**
 * A plain insert (no ON CONFLICT, no RETURNING) on PostgreSQL: COPY FROM STDIN in text format,
 * in the caller's transaction. 1,649,976 rows of ind_facts (nine columns) by 20,000: 10.4–10.6 s
 * and 7.3 s of Node's CPU, against 25.3–27.5 s and 15.5–16.8 s through unnest (array literals
 * escaped by pg, then parsed by the server). A failure (a duplicate key) fails the COPY and
 * the transaction, as the INSERT would have.
 */
async function copyRows(client: pg.PoolClient, insert: BulkInsert): Promise<number> {
  let rowCount = 0;
  for (let from = 0; from < insert.rows.length; from += BULK_ROWS) {
    // One string per chunk, built by concatenation: no array of lines, no join.
    let text = '';
    for (let index = from; index < Math.min(from + BULK_ROWS, insert.rows.length); index++) {
      const row = insert.rows[index]!;
      let line = copyText(row[0] as SqlValue);
      for (let column = 1; column < row.length; column++) line += `\t${copyText(row[column] as SqlValue)}`;
      text += `${line}\n`;
    }
    const stream = client.query(copyFrom(`COPY ${insert.table} (${insert.columns.join(', ')}) FROM STDIN`));
    await pipeline(Readable.from([text]), stream);
    rowCount += stream.rowCount;
  }
  return rowCount;
}

/**
 * A value in COPY's text format: NULL as \N; backslash, newline, carriage return and tab escaped,
 * NUL stored as U+FFFD (as `bindable` does). Most values (keys, times, numbers) have none of them:
 * one test and the string goes as it is. Encoding the 1,650,000 rows of a year's ind_facts: about
 * half the time of mapping each value through `bindable` and a replace with a callback.
 */
function copyText(value: SqlValue): string {
  if (typeof value === 'string') return COPY_SPECIAL.test(value) ? value.replace(COPY_SPECIALS, escapeForCopy) : value;
  const bound = bindable(value);
  return bound === null ? '\\N' : `${bound}`;
}
const COPY_SPECIAL = /[\\\n\r\t\u0000]/;
const COPY_SPECIALS = /[\\\n\r\t\u0000]/g;
const COPY_ESCAPES: Record<string, string> = { '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t', '\u0000': '\uFFFD' };
const escapeForCopy = (special: string): string => COPY_ESCAPES[special]!;

/**
 * selectAny on PostgreSQL: the keys as one array parameter, typed after them (text, or bigint
 * when all are integers). IN lists of up to 512 placeholders were planned afresh for each of
 * their lengths: reading the users of a notifications replay took 1.4 ms a query.
 */
function anyOf(select: string, column: string, keys: readonly SqlValue[]): pg.QueryConfig {
  const integers = keys.every((key) => typeof key === 'bigint' || (typeof key === 'number' && Number.isSafeInteger(key)));
  if (!integers && !keys.every((key) => typeof key === 'string')) throw new Error(`selectAny: keys of ${column} must be all strings or all integers`);
  return named(`${select} WHERE ${column} = ANY($1::${integers ? 'bigint' : 'text'}[])`, [keys.map(bindable)]);
}

/** The read store on PostgreSQL: a pool whose connections all use `schema` as their search_path. */
export class PostgresDatabase implements SqlDatabase {
  readonly dialect = 'postgres' as const;
  private readonly inTransaction = new AsyncLocalStorage<boolean>();
  /** Column types by table, for insertMany. */
  private readonly columnTypes = new Map<string, Map<string, string>>();

  private constructor(
    private readonly pool: pg.Pool,
    readonly schema: string,
    private readonly connectionString: string,
  ) {}

  replayConnection(): ReplayConnection {
    return { dialect: 'postgres', connectionString: this.connectionString, schema: this.schema };
  }

  static async open(options: PostgresDatabaseOptions): Promise<PostgresDatabase> {
    const schema = assertIdentifier(options.schema, 'schema');
    const pool = new pg.Pool({
      connectionString: options.connectionString,
      max: options.max ?? 10,
      types: typeParsers,
      // Every connection of the pool starts with the schema as its search_path, set by the
      // server at connection time (a query queued in 'connect' would race the first statement).
      options: `-c search_path=${schema}`,
    });
    // An idle client losing its connection emits 'error' on the pool; unhandled, it would end the process.
    pool.on('error', (error) => console.warn(`[read store] idle PostgreSQL connection failed: ${error.message}`));
    try {
      await pool.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`).catch((error: { code?: string }) => {
        // Two processes creating the schema at once: the loser sees a duplicate.
        if (error.code !== '23505' && error.code !== '42P06') throw error;
      });
      return new PostgresDatabase(pool, schema, options.connectionString);
    } catch (error) {
      await pool.end();
      throw error;
    }
  }

  async query<T extends object>(sql: string, params: readonly SqlValue[] = []): Promise<T[]> {
    this.assertOutsideTransaction();
    return (await this.pool.query(statement(sql, params))).rows as T[];
  }

  async queryOne<T extends object>(sql: string, params: readonly SqlValue[] = []): Promise<T | undefined> {
    return (await this.query<T>(sql, params))[0];
  }

  async execute(sql: string, params: readonly SqlValue[] = []): Promise<ExecuteResult> {
    this.assertOutsideTransaction();
    return { rowCount: (await this.pool.query(statement(sql, params))).rowCount ?? 0 };
  }

  async transaction<T>(fn: (tx: SqlExecutor) => Promise<T>, options: TransactionOptions = {}): Promise<T> {
    this.assertOutsideTransaction();
    const client = await this.pool.connect();
    let active = true;
    const guard = (): void => {
      if (!active) throw new Error('This transaction has ended');
    };
    const tx: SqlExecutor = {
      dialect: 'postgres',
      async query<R extends object>(sql: string, params: readonly SqlValue[] = []): Promise<R[]> {
        guard();
        return (await client.query(statement(sql, params))).rows as R[];
      },
      async queryOne<R extends object>(sql: string, params: readonly SqlValue[] = []): Promise<R | undefined> {
        return (await tx.query<R>(sql, params))[0];
      },
      async execute(sql: string, params: readonly SqlValue[] = []): Promise<ExecuteResult> {
        guard();
        return { rowCount: (await client.query(statement(sql, params))).rowCount ?? 0 };
      },
      insertMany: async (insert: BulkInsert): Promise<number> => {
        guard();
        return (await insertMany(client, this.columnTypes, insert)).rowCount;
      },
      insertManyReturning: async <R extends object>(insert: BulkInsert): Promise<R[]> => {
        guard();
        return (await insertMany(client, this.columnTypes, insert)).rows as R[];
      },
      selectAny: async <R extends object>(select: string, column: string, keys: readonly SqlValue[]): Promise<R[]> => {
        guard();
        return (await client.query(anyOf(select, column, keys))).rows as R[];
      },
    };
    let broken: Error | undefined;
    try {
      await client.query('BEGIN');
      // This transaction only: the WAL flush is not waited for at COMMIT.
      if (options.durable === false) await client.query('SET LOCAL synchronous_commit = off');
      const result = await this.inTransaction.run(true, () => fn(tx));
      active = false;
      await client.query('COMMIT');
      return result;
    } catch (error) {
      active = false;
      await client.query('ROLLBACK').catch((rollbackError: Error) => {
        broken = rollbackError;
      });
      throw error;
    } finally {
      // A client whose rollback failed is in an unknown state: destroy it rather than reuse it.
      client.release(broken);
    }
  }

  async close(): Promise<void> {
    await this.pool.end();
  }

  private assertOutsideTransaction(): void {
    if (this.inTransaction.getStore()) {
      throw new Error('Inside a transaction, run statements through its handle, not the database');
    }
  }
}

/** Connects to PostgreSQL, creating `schema` if needed; read models and checkpoints live there. */
export function openPostgresDatabase(options: PostgresDatabaseOptions): Promise<SqlDatabase> {
  return PostgresDatabase.open(options);
}
