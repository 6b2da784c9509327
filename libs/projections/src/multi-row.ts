import type { BulkInsert, SqlExecutor, SqlValue } from './sql-database.js';

/*
 * Multi-row statements for projections that write a batch at a time (applyBatch). Chunk sizes
 * are powers of two, so that a handful of statement texts cover any row count (prepared
 * statements are cached by text), and no statement binds more than MAX_PARAMETERS values
 * (SQLite's historical limit is 999).
 */

const MAX_PARAMETERS = 900;
const SIZES = [512, 256, 128, 64, 32, 16, 8, 4, 2, 1];

/** Consecutive slices of `rows`, each of a size in SIZES, with at most MAX_PARAMETERS values for rows of `width`. */
export function* chunks<T>(rows: readonly T[], width: number): Generator<readonly T[]> {
  let from = 0;
  for (const size of SIZES) {
    if (size * width > MAX_PARAMETERS && size > 1) continue;
    while (rows.length - from >= size) {
      yield rows.slice(from, from + size);
      from += size;
    }
  }
}

/**
 * Strings in code-unit order, for sorting rows before a multi-row insert: rows in key order each
 * land beside the one before in the table's key B-tree.
 */
export const inKeyOrder = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** `$<offset+1>, …` for `count` placeholders. */
export function placeholders(count: number, offset = 0): string[] {
  return Array.from({ length: count }, (_, i) => `$${offset + i + 1}`);
}

/** Statement texts by head, row count and tail: a few per table, built once. */
const statements = new Map<string, string>();

const plainTuple = (params: string[]): string => params.join(', ');
/** `INSERT INTO <table> (<columns>)`: what an adapter's insertMany can take over. */
const INSERT_HEAD = /^INSERT INTO ([a-z_][a-z0-9_]*) \(([a-z0-9_,\s]+)\)$/;

/**
 * `<head> VALUES (…), (…) <tail>` for rows of `width` values, in chunks; `tuple` writes one row's
 * values from its placeholders (plain by default; e.g. `to_tsvector(…)` around one). Answers the
 * number of rows the statements changed. Where the executor has insertMany (PostgreSQL) and the
 * tuple is plain, the rows go through it instead.
 */
export async function insertRows(
  tx: SqlExecutor,
  head: string,
  width: number,
  rows: readonly (readonly SqlValue[])[],
  tail: string,
  tuple: (params: string[]) => string = plainTuple,
): Promise<number> {
  const bulk = tx.insertMany && tuple === plainTuple ? bulkInsert(head, width, rows, tail) : undefined;
  if (bulk) return rows.length === 0 ? 0 : tx.insertMany!(bulk);
  let changed = 0;
  for (const [sql, params] of valuesStatements(head, width, rows, tail, tuple)) changed += (await tx.execute(sql, params)).rowCount;
  return changed;
}

/**
 * insertRows for a tail that ends with RETURNING: the rows the statements return (an upsert's
 * inserted and updated rows, not those its DO UPDATE … WHERE left alone), through the adapter's
 * insertManyReturning where it has one (PostgreSQL), else VALUES in chunks.
 */
export async function insertReturning<T extends object>(
  tx: SqlExecutor,
  head: string,
  width: number,
  rows: readonly (readonly SqlValue[])[],
  tail: string,
): Promise<T[]> {
  const bulk = tx.insertManyReturning ? bulkInsert(head, width, rows, tail) : undefined;
  if (bulk) return rows.length === 0 ? [] : tx.insertManyReturning!<T>(bulk);
  const out: T[] = [];
  for (const [sql, params] of valuesStatements(head, width, rows, tail, plainTuple)) for (const row of await tx.query<T>(sql, params)) out.push(row);
  return out;
}

/** The insert as an adapter's insertMany takes it, when `head` names its table and `width` columns. */
function bulkInsert(head: string, width: number, rows: readonly (readonly SqlValue[])[], tail: string): BulkInsert | undefined {
  const target = INSERT_HEAD.exec(head.trim());
  const columns = target ? target[2]!.split(',').map((column) => column.trim()) : [];
  if (!target || columns.length !== width) return undefined;
  for (const row of rows) if (row.length !== width) throw new Error(`Row of ${row.length} values for ${width} columns`);
  return { table: target[1]!, columns, rows, tail };
}

/** `<head> VALUES (…), (…) <tail>` statements and their parameters, a chunk of rows each. */
function* valuesStatements(
  head: string,
  width: number,
  rows: readonly (readonly SqlValue[])[],
  tail: string,
  tuple: (params: string[]) => string,
): Generator<[string, SqlValue[]]> {
  for (const chunk of chunks(rows, width)) {
    const params: SqlValue[] = [];
    for (const row of chunk) {
      if (row.length !== width) throw new Error(`Row of ${row.length} values for ${width} columns`);
      for (const value of row) params.push(value);
    }
    const key = `${head}\u0000${chunk.length}\u0000${tail}\u0000${tuple.toString()}`;
    let sql = statements.get(key);
    if (sql === undefined) {
      const tuples = chunk.map((_, r) => `(${tuple(placeholders(width, r * width))})`);
      sql = `${head} VALUES ${tuples.join(', ')} ${tail}`;
      if (statements.size >= 512) statements.clear();
      statements.set(key, sql);
    }
    yield [sql, params];
  }
}

/** The rows of `<select> WHERE <column> IN (…)` for every distinct key, a chunk of keys at a time. */
export async function selectIn<T extends object>(tx: SqlExecutor, select: string, column: string, keys: Iterable<SqlValue>): Promise<T[]> {
  const distinct = [...new Set(keys)];
  if (distinct.length === 0) return [];
  if (tx.selectAny) return tx.selectAny<T>(select, column, distinct);
  const out: T[] = [];
  for (const chunk of chunks(distinct, 1)) {
    for (const row of await tx.query<T>(`${select} WHERE ${column} IN (${placeholders(chunk.length).join(', ')})`, chunk)) out.push(row);
  }
  return out;
}
