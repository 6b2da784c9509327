import { AsyncLocalStorage } from 'node:async_hooks';
import { createHash } from 'node:crypto';
import pg from 'pg';
import type { ExecuteResult, SqlDatabase, SqlExecutor, SqlValue, TransactionOptions } from '../sql-database.js';
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

function bindable(value: SqlValue): string | number | null {
  if (value === undefined) throw new Error('undefined is not a SQL value (use null)');
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
  const values = bindAll(params);
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

/** The read store on PostgreSQL: a pool whose connections all use `schema` as their search_path. */
export class PostgresDatabase implements SqlDatabase {
  readonly dialect = 'postgres' as const;
  private readonly inTransaction = new AsyncLocalStorage<boolean>();

  private constructor(
    private readonly pool: pg.Pool,
    readonly schema: string,
  ) {}

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
      return new PostgresDatabase(pool, schema);
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
