import type { SqlExecutor, SqlValue } from '#ruche/projections';

/*
 * Multi-row statements for the forum projections' applyBatch. Chunk sizes are powers of two,
 * so that a handful of distinct statement texts cover any row count (prepared statements are
 * cached by text) and no statement binds more than SQLite's 999 parameters.
 */

const MAX_PARAMETERS = 999;
const SIZES = [256, 128, 64, 32, 16, 8, 4, 2, 1];

/** Consecutive slices of `rows`, each of a size in SIZES with at most MAX_PARAMETERS values. */
function* chunks<T>(rows: readonly T[], width: number): Generator<readonly T[]> {
  let from = 0;
  for (const size of SIZES) {
    if (size * width > MAX_PARAMETERS) continue;
    while (rows.length - from >= size) {
      yield rows.slice(from, from + size);
      from += size;
    }
  }
}

const placeholderCache = new Map<string, string>();

/** `($1, $2, …), (…)` for `rows` rows of `width` values. */
function tuples(rows: number, width: number): string {
  const key = `${rows}x${width}`;
  let text = placeholderCache.get(key);
  if (text === undefined) {
    const out: string[] = [];
    for (let r = 0; r < rows; r++) out.push(`(${Array.from({ length: width }, (_, i) => `$${r * width + i + 1}`).join(', ')})`);
    text = out.join(', ');
    placeholderCache.set(key, text);
  }
  return text;
}

/** `<head> VALUES (…), (…) <tail>` for rows of `width` values, in chunks. */
export async function insertRows(tx: SqlExecutor, head: string, width: number, rows: readonly (readonly SqlValue[])[], tail: string): Promise<void> {
  for (const chunk of chunks(rows, width)) {
    const params: SqlValue[] = [];
    for (const row of chunk) {
      if (row.length !== width) throw new Error(`Row of ${row.length} values for ${width} columns`);
      for (const value of row) params.push(value);
    }
    await tx.execute(`${head} VALUES ${tuples(chunk.length, width)} ${tail}`, params);
  }
}

/**
 * The rows of `select … WHERE <column> IN (…)` for every key, a chunk of keys at a time. The
 * last chunk is padded to a chunk size with its last key repeated (IN ignores duplicates), so
 * the statement texts stay few.
 */
export async function selectIn<T extends object>(tx: SqlExecutor, select: string, column: string, keys: readonly string[]): Promise<T[]> {
  const out: T[] = [];
  const max = 512;
  for (let from = 0; from < keys.length; from += max) {
    const chunk = keys.slice(from, from + max);
    let size = 1;
    while (size < chunk.length) size *= 2;
    const params: SqlValue[] = [...chunk];
    while (params.length < size) params.push(chunk[chunk.length - 1]!);
    const list = params.map((_, i) => `$${i + 1}`).join(', ');
    for (const row of await tx.query<T>(`${select} WHERE ${column} IN (${list})`, params)) out.push(row);
  }
  return out;
}
