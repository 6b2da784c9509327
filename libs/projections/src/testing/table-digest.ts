import { createHash } from 'node:crypto';
import type { SqlExecutor } from '../sql-database.js';

/** SHA-256 of a table's rows in `orderBy` order: equal digests, equal contents. */
export async function tableDigest(db: SqlExecutor, table: string, orderBy: string): Promise<string> {
  const rows = await db.query(`SELECT * FROM ${table} ORDER BY ${orderBy}`);
  const hash = createHash('sha256');
  for (const row of rows) {
    const entries = Object.entries(row).sort(([a], [b]) => a.localeCompare(b));
    hash.update(JSON.stringify(entries)).update('\n');
  }
  return `${rows.length}:${hash.digest('hex')}`;
}
