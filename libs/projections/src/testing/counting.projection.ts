import { insertRows } from '../multi-row.js';
import type { SqlExecutor } from '../sql-database.js';
import type { PhysicalTables, Projection } from '../projection.js';

export const APPLY_LOG_SUFFIX = '_apply_log';

/** A projection wrapped by `countingProjection`, with the name of the log table it added. */
export interface CountingProjection extends Projection {
  readonly inner: Projection;
  /** Logical (and live physical) name of its apply log: `<name>_apply_log`. */
  readonly applyLog: string;
}

/**
 * Wraps a projection so that every `apply` also inserts one row (projection name, position)
 * into an apply log, in the same transaction. The log has no key and the insert no
 * ON CONFLICT: applying an event twice leaves two rows, even when the wrapped projection's own
 * writes are idempotent (upserts, recounts) and its tables cannot tell.
 *
 * The log is one more table of the wrapped projection, so the runner creates it with the others
 * and a rebuild replays it into its shadow table and swaps it in with them. Same name and
 * version as the wrapped projection: use it on a read store where the unwrapped one never ran.
 */
export function countingProjection<Table extends string>(projection: Projection<Table>): CountingProjection {
  const applyLog = `${projection.name}${APPLY_LOG_SUFFIX}`;
  if ((projection.tables as readonly string[]).includes(applyLog)) {
    throw new Error(`Projection ${projection.name} already owns a table named ${applyLog}`);
  }
  const own = (physical: PhysicalTables): PhysicalTables<Table> =>
    Object.fromEntries(projection.tables.map((table) => [table, physical[table]!])) as unknown as PhysicalTables<Table>;
  return {
    name: projection.name,
    version: projection.version,
    ...(projection.replayWeight === undefined ? {} : { replayWeight: projection.replayWeight }),
    tables: [...projection.tables, applyLog],
    inner: projection as unknown as Projection,
    applyLog,
    async createTables(db, physical) {
      await projection.createTables(db, own(physical));
      await db.execute(`CREATE TABLE ${physical[applyLog]} (projection TEXT NOT NULL, position BIGINT NOT NULL)`);
    },
    ...(projection.createQueryIndexes
      ? { createQueryIndexes: (db: SqlExecutor, physical: PhysicalTables) => projection.createQueryIndexes!(db, own(physical)) }
      : {}),
    async apply(event, tx, physical) {
      await projection.apply(event, tx, own(physical));
      await tx.execute(`INSERT INTO ${physical[applyLog]} (projection, position) VALUES ($1, $2)`, [
        projection.name,
        event.position,
      ]);
    },
    // The runner hands batches to a projection that has applyBatch: the wrapper keeps that path.
    ...(projection.applyBatch
      ? {
          async applyBatch(events, tx, physical) {
            await projection.applyBatch!(events, tx, own(physical));
            const rows = events.map((event) => [projection.name, event.position]);
            await insertRows(tx, `INSERT INTO ${physical[applyLog]} (projection, position)`, 2, rows, '');
          },
        }
      : {}),
    // A rebuild's replay folds through the wrapped projection's fold: each batch logged as it comes.
    ...(projection.replayFold
      ? {
          replayFold: (maxRows?: number) => {
            const fold = projection.replayFold!(maxRows);
            return {
              async applyBatch(events, tx, physical) {
                await fold.applyBatch(events, tx, own(physical));
                const rows = events.map((event) => [projection.name, event.position]);
                await insertRows(tx, `INSERT INTO ${physical[applyLog]} (projection, position)`, 2, rows, '');
              },
              finish: (tx, physical) => fold.finish(tx, own(physical)),
            };
          },
        }
      : {}),
  };
}

/** What an apply log says against the positions of the event log. */
export interface ApplyLogAudit {
  /** Rows in the apply log. */
  rows: number;
  /** Positions of the event log with no row: how many, and the first few. */
  missing: { count: number; first: number[] };
  /** Positions with more than one row: how many, and the first few with their row counts. */
  doubled: { count: number; first: Array<{ position: number; rows: number }> };
  /** Rows for a position the event log does not hold, or under another projection's name. */
  foreign: number;
}

const SHOWN = 10;

/**
 * Compares a counting projection's live apply log with `positions`, every position of the
 * event log: it logs each event it is given, and the runner gives it every event.
 */
export async function auditApplyLog(
  db: SqlExecutor,
  projection: CountingProjection,
  positions: readonly number[],
): Promise<ApplyLogAudit> {
  const counts = await db.query<{ projection: string; position: number; times: number }>(
    `SELECT projection, position, COUNT(*) AS times FROM ${projection.applyLog} GROUP BY projection, position ORDER BY position`,
  );
  const expected = new Set(positions);
  const seen = new Set<number>();
  const audit: ApplyLogAudit = { rows: 0, missing: { count: 0, first: [] }, doubled: { count: 0, first: [] }, foreign: 0 };
  for (const row of counts) {
    audit.rows += row.times;
    if (row.projection !== projection.name || !expected.has(row.position)) {
      audit.foreign += row.times;
      continue;
    }
    seen.add(row.position);
    if (row.times > 1) {
      audit.doubled.count++;
      if (audit.doubled.first.length < SHOWN) audit.doubled.first.push({ position: row.position, rows: row.times });
    }
  }
  for (const position of positions) {
    if (seen.has(position)) continue;
    audit.missing.count++;
    if (audit.missing.first.length < SHOWN) audit.missing.first.push(position);
  }
  return audit;
}

/** The audit of a log holding each position exactly once. */
export function exactlyOnce(positions: readonly number[]): ApplyLogAudit {
  return { rows: positions.length, missing: { count: 0, first: [] }, doubled: { count: 0, first: [] }, foreign: 0 };
}
