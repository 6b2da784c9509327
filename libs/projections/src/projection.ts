import type { RecordedEvent } from '#ruche/eventstore';
import { assertIdentifier, type SqlDialect, type SqlExecutor } from './sql-database.js';

/** Logical table name → the physical table to use now (itself, or its rebuild shadow). */
export type PhysicalTables<Table extends string = string> = Readonly<Record<Table, string>>;

/**
 * A read model built from the event log. It owns its tables and writes them only from `apply`,
 * one event at a time, inside the runner's transaction (which also moves its checkpoint).
 *
 * Tables are always addressed through `physical`: a rebuild runs `createTables` and `apply` on
 * shadow tables (`<table>__r<generation>`), then swaps them in by renaming the tables. Index names
 * must contain the table's physical name (`${t.topics}_by_space`), so that shadow and live
 * indexes never collide; an index keeps the name it was created with (SQLite cannot rename one),
 * and the generation in it keeps the next rebuild's shadow clear of it.
 * `apply` must be deterministic (no clock, no randomness, no I/O but `tx`): replaying the log
 * gives the same tables.
 */
export interface Projection<Table extends string = string> {
  /** Stable name, the key of its checkpoint (lower-case snake_case). */
  readonly name: string;
  /** Bump it whenever `createTables` or `apply` changes: the runner then rebuilds it on start. */
  readonly version: number;
  /** Logical names of the tables it owns (lower-case snake_case). */
  readonly tables: readonly Table[];
  /** Creates its tables (and the indexes `apply` reads through) under their physical names. */
  createTables(db: SqlExecutor, physical: PhysicalTables<Table>): Promise<void>;
  /**
   * Optional: creates the indexes that only queries read through, never `apply`. The read store
   * always has them; a rebuild's staged replay goes without them (each one is a B-tree insert
   * per row), and they are built once over the copied rows. An index `apply` does read through,
   * put here, makes the replay slow, not wrong.
   */
  createQueryIndexes?(db: SqlExecutor, physical: PhysicalTables<Table>): Promise<void>;
  /** Writes the read model for one event; events it does not care about are ignored. */
  apply(event: RecordedEvent, tx: SqlExecutor, physical: PhysicalTables<Table>): Promise<void>;
  /**
   * Optional: writes the read model for several consecutive events at once (counters summed,
   * multi-row upserts), leaving the tables exactly as `apply` one event at a time would. The
   * runner and rebuilds use it for batches; when it throws, the runner applies the batch again
   * one event at a time to find the event at fault.
   */
  applyBatch?(events: readonly RecordedEvent[], tx: SqlExecutor, physical: PhysicalTables<Table>): Promise<void>;
  /**
   * What replaying it costs, per read store, to share projections out between a rebuild's
   * threads or connections (replay-threads.ts): seconds to replay a school year of 200
   * establishments on a 2-core machine (`npm run bench:indicators`). Default 2, a light one's.
   */
  readonly replayWeight?: Partial<Record<SqlDialect, number>>;
  /**
   * Optional: event types that `apply` and `applyBatch` leave alone, whatever their data. A
   * rebuild posts a replay thread only the events one of its projections reads: the frequent
   * types a projection ignores (consultations, reactions) are most of a school year's events,
   * and posting them to a thread that does nothing with them cost the reading thread seconds.
   * Listing a type the projection does write for makes its rebuilt tables wrong: the
   * projections' int test replays a log with and without them and compares the tables.
   */
  readonly ignores?: readonly string[];
  /**
   * Optional: a fold for one replay from position 0 into tables that only this replay reads and
   * writes (a rebuild's staging or shadow tables, before the swap), empty when it starts (a fold
   * may insert its first rows without upserts). Unlike `applyBatch`, which
   * writes its rows back at the end of each batch, a fold may keep them in memory from one batch
   * to the next, and write each one once, at `finish` (or when it holds too many): the rows a
   * school year rewrites batch after batch (counters, read marks, people) are then written once,
   * and never read back. A fresh fold for each replay; after `finish`, the tables must be
   * exactly those `applyBatch` leaves (the projections' int test replays both ways). `maxRows`:
   * rows it may hold before it writes them early (default REPLAY_FOLD_MAX_ROWS).
   */
  replayFold?(maxRows?: number): ReplayFold<Table>;
}

/**
 * Rows a replay fold keeps in memory before it writes them early (about 150–250 bytes each): a
 * school year of 200 establishments holds up to ~950,000 in one fold, a larger académie's
 * replay then writes its rows a few times over rather than run out of memory.
 */
export const REPLAY_FOLD_MAX_ROWS = 1_500_000;

/** A replay's fold (Projection.replayFold): batches in log order, then `finish` once. */
export interface ReplayFold<Table extends string = string> {
  /** Folds a batch in; may write some rows now (those written once anyway) and keep the rest. */
  applyBatch(events: readonly RecordedEvent[], tx: SqlExecutor, physical: PhysicalTables<Table>): Promise<void>;
  /** Writes whatever it kept; nothing is applied through it afterwards. */
  finish(tx: SqlExecutor, physical: PhysicalTables<Table>): Promise<void>;
}

/** Shadow tables are named `<table>__r<generation>`, the generation their swap will give the checkpoint. */
export const SHADOW_INFIX = '__r';

/** Creates a projection's tables with every index, queries' included: the read store's shape. */
export async function createProjectionTables<Table extends string>(
  projection: Projection<Table>,
  db: SqlExecutor,
  physical: PhysicalTables<Table>,
): Promise<void> {
  await projection.createTables(db, physical);
  await projection.createQueryIndexes?.(db, physical);
}
/** Room left in a table's name for its shadow's suffix: generations up to 10^8. */
const SHADOW_SUFFIX_LENGTH = SHADOW_INFIX.length + 8;

export function isShadowTable(name: string): boolean {
  return /__r[0-9]+$/.test(name);
}

export function liveTables<Table extends string>(projection: Projection<Table>): PhysicalTables<Table> {
  return Object.fromEntries(projection.tables.map((t) => [t, t])) as unknown as Record<Table, string>;
}

export function shadowTables<Table extends string>(projection: Projection<Table>, generation: number): PhysicalTables<Table> {
  if (!Number.isSafeInteger(generation) || generation < 1 || generation >= 1e8) throw new Error(`Invalid shadow generation ${generation}`);
  return Object.fromEntries(projection.tables.map((t) => [t, `${t}${SHADOW_INFIX}${generation}`])) as unknown as Record<Table, string>;
}

export function assertValidProjection(projection: Projection): void {
  assertIdentifier(projection.name, 'projection name');
  if (!Number.isSafeInteger(projection.version) || projection.version < 1) {
    throw new Error(`Projection ${projection.name}: version must be an integer >= 1`);
  }
  if (projection.tables.length === 0) throw new Error(`Projection ${projection.name} owns no table`);
  for (const table of projection.tables) {
    assertIdentifier(table, 'table name');
    if (table.length + SHADOW_SUFFIX_LENGTH > 63) throw new Error(`Table name ${table} is too long for its shadow`);
    if (isShadowTable(table)) throw new Error(`Table name ${table} must not end in ${SHADOW_INFIX}<digits>`);
    if (table === 'projection_checkpoints') throw new Error('projection_checkpoints belongs to the runner');
  }
}
