import type Sqlite from 'better-sqlite3';

type Database = Sqlite.Database;

/**
 * The event log's tables, prefixed `es_` so that read models can live in the same file.
 *
 * `position` is the rowid: SQLite has one writer at a time, so positions are handed out and
 * committed in the same order, and a reader can never see a later position before an earlier
 * one. AUTOINCREMENT keeps a position from ever being handed out twice, even if the tail of the
 * log were deleted by hand (a subscriber checkpointed past it would otherwise skip new events).
 */
const SCHEMA = `
CREATE TABLE IF NOT EXISTS es_events (
  position    INTEGER PRIMARY KEY AUTOINCREMENT,
  stream_name TEXT    NOT NULL,
  revision    INTEGER NOT NULL CHECK (revision >= 0),
  event_id    TEXT    NOT NULL,
  type        TEXT    NOT NULL,
  data        TEXT    NOT NULL,
  metadata    TEXT    NOT NULL,
  created_at  INTEGER NOT NULL,
  UNIQUE (stream_name, revision),
  UNIQUE (stream_name, event_id)
) STRICT;

CREATE TABLE IF NOT EXISTS es_streams (
  stream_name TEXT    PRIMARY KEY,
  revision    INTEGER NOT NULL,
  position    INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
`;

export interface SqliteConnectionOptions {
  busyTimeoutMs: number;
}

/**
 * Durability first: WAL with synchronous=FULL fsyncs the WAL at every commit, so an acknowledged
 * append survives a crash of the process and of the machine. busy_timeout lets several
 * processes (API, CLI, read models) share the file, waiting for the write lock instead of failing.
 */
export function configureConnection(db: Database, options: SqliteConnectionOptions): void {
  db.pragma(`busy_timeout = ${Math.trunc(options.busyTimeoutMs)}`);
  const mode = db.pragma('journal_mode = WAL', { simple: true });
  if (mode !== 'wal') {
    throw new Error(`SQLite event store needs WAL mode, but ${db.name} stays in ${String(mode)} mode`);
  }
  db.pragma('synchronous = FULL');
}

/** Creates the tables if they are missing; safe to run from several processes at once. */
export function ensureSchema(db: Database): void {
  db.transaction(() => db.exec(SCHEMA)).immediate();
}
