import fs from 'node:fs';
import Sqlite from 'better-sqlite3';
import {
  PostgresEventStore,
  SqliteEventStore,
  withUpcasters,
  type EventStore,
  type Upcaster,
} from '#ruche/eventstore';
import { openPostgresDatabase, openSqliteDatabase, type SqlDatabase } from '#ruche/projections';
import type { RucheConfig } from '../config/configuration.js';

/** Opens the event log the configuration names. */
export async function openEventStore(config: RucheConfig, upcasters: readonly Upcaster[] = []): Promise<EventStore> {
  let store: EventStore;
  switch (config.eventStore) {
    case 'kurrentdb': {
      // Loaded only here: the gRPC client costs ~0.3 s of start-up to every deployment without it.
      const { KurrentDbEventStore } = await import('#ruche/eventstore/kurrentdb');
      store = await KurrentDbEventStore.connect({ connectionString: config.kurrentDbUrl! });
      break;
    }
    case 'postgres':
      store = await PostgresEventStore.connect({ connectionString: config.databaseUrl!, schema: config.databaseSchema });
      break;
    case 'sqlite':
      fs.mkdirSync(config.dataDir, { recursive: true });
      store = SqliteEventStore.open({ filename: config.sqliteFile });
      break;
  }
  return withUpcasters(store, upcasters);
}

/** Opens the SQL database of the read models (and sessions): PostgreSQL, or the SQLite file. */
export async function openReadDatabase(config: RucheConfig): Promise<SqlDatabase> {
  if (config.readStore === 'postgres') {
    return openPostgresDatabase({ connectionString: config.databaseUrl!, schema: config.databaseSchema });
  }
  fs.mkdirSync(config.dataDir, { recursive: true });
  return openSqliteDatabase({ filename: sqliteReadFile(config) });
}

/**
 * The SQLite file of the read models: ruche-read.sqlite, unless the event log's file already
 * holds them (data directories from before the two files, 2026-12): moving them would sign
 * everyone out and drop the audit, so they stay where they are.
 */
export function sqliteReadFile(config: Pick<RucheConfig, 'sqliteFile' | 'sqliteReadFile'>): string {
  if (fs.existsSync(config.sqliteReadFile) || !fs.existsSync(config.sqliteFile)) return config.sqliteReadFile;
  const log = new Sqlite(config.sqliteFile, { readonly: true, fileMustExist: true });
  try {
    const legacy = log.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'projection_checkpoints'`).get();
    return legacy ? config.sqliteFile : config.sqliteReadFile;
  } finally {
    log.close();
  }
}
