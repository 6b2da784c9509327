import { createTablesOnce, type SqlDatabase, type SqlExecutor } from './sql-database.js';
import { createProjectionTables, liveTables, type Projection } from './projection.js';

export type CheckpointStatus = 'running' | 'failed';

/** One row of `projection_checkpoints`: where a projection stands, shared by every process. */
export interface CheckpointRow {
  name: string;
  /** Position of the last event its live tables include. */
  position: number;
  /** Version of the code that built its live tables. */
  version: number;
  status: CheckpointStatus;
  updated_at: string;
  /** Bumped by every rebuild swap: a runner holding an older generation must reload. */
  generation: number;
  error: string | null;
  failed_position: number | null;
  /** Token of the rebuild in progress, if any, with its progress and last sign of life. */
  rebuild_owner: string | null;
  rebuild_position: number | null;
  rebuild_head: number | null;
  rebuild_heartbeat: string | null;
}

const DDL = `CREATE TABLE IF NOT EXISTS projection_checkpoints (
  name TEXT PRIMARY KEY,
  position BIGINT NOT NULL,
  version INTEGER NOT NULL,
  status TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  generation INTEGER NOT NULL,
  error TEXT,
  failed_position BIGINT,
  rebuild_owner TEXT,
  rebuild_position BIGINT,
  rebuild_head BIGINT,
  rebuild_heartbeat TEXT
)`;

/** Creates the checkpoint table if needed; safe when several processes start at once. */
export async function ensureCheckpointTable(db: SqlDatabase): Promise<void> {
  await createTablesOnce(db, [DDL]);
}

export async function loadCheckpoint(db: SqlExecutor, name: string): Promise<CheckpointRow | undefined> {
  return db.queryOne<CheckpointRow>('SELECT * FROM projection_checkpoints WHERE name = $1', [name]);
}

export async function loadCheckpoints(db: SqlExecutor): Promise<CheckpointRow[]> {
  return db.query<CheckpointRow>('SELECT * FROM projection_checkpoints ORDER BY name');
}

/**
 * First sight of a projection: its row (at position 0) and its live tables, in one transaction.
 * Tables left without a row (a checkpoint deleted by hand) are dropped first: nothing vouches
 * for their content. Returns whether this call created it.
 */
export async function initializeProjection(db: SqlDatabase, projection: Projection, now: string): Promise<boolean> {
  return db.transaction(async (tx) => {
    const inserted = await tx.execute(
      `INSERT INTO projection_checkpoints (name, position, version, status, updated_at, generation)
       VALUES ($1, 0, $2, 'running', $3, 1) ON CONFLICT (name) DO NOTHING`,
      [projection.name, projection.version, now],
    );
    if (inserted.rowCount === 0) return false;
    const live = liveTables(projection);
    for (const table of projection.tables) await tx.execute(`DROP TABLE IF EXISTS ${live[table]}`);
    await createProjectionTables(projection, tx, live);
    return true;
  });
}

/**
 * Moves a live checkpoint from `from` to `to`, only if it is still where this runner left it
 * (same generation, same position, running, same version). It is the first statement of a
 * batch's transaction: on PostgreSQL it locks the row, so concurrent runners and rebuild swaps
 * are serialised on it; on SQLite the transaction already holds the file's write lock.
 */
export async function advanceCheckpoint(
  tx: SqlExecutor,
  args: { name: string; generation: number; version: number; from: number; to: number; now: string },
): Promise<boolean> {
  const result = await tx.execute(
    `UPDATE projection_checkpoints SET position = $1, updated_at = $2
     WHERE name = $3 AND generation = $4 AND position = $5 AND version = $6 AND status = 'running'`,
    [args.to, args.now, args.name, args.generation, args.from, args.version],
  );
  return result.rowCount === 1;
}

export async function markFailed(
  tx: SqlExecutor,
  args: { name: string; generation: number; from: number; to: number; failedPosition: number; error: string; now: string },
): Promise<boolean> {
  const result = await tx.execute(
    `UPDATE projection_checkpoints
     SET position = $1, status = 'failed', error = $2, failed_position = $3, updated_at = $4
     WHERE name = $5 AND generation = $6 AND position = $7 AND status = 'running'`,
    [args.to, args.error, args.failedPosition, args.now, args.name, args.generation, args.from],
  );
  return result.rowCount === 1;
}

/** Lets a failed projection go on from its checkpoint (after a fix of its code or its data). */
export async function clearFailure(db: SqlDatabase, name: string, now: string): Promise<boolean> {
  const result = await db.execute(
    `UPDATE projection_checkpoints SET status = 'running', error = NULL, failed_position = NULL, updated_at = $1
     WHERE name = $2 AND status = 'failed'`,
    [now, name],
  );
  return result.rowCount === 1;
}
