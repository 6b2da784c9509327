import fs from 'node:fs';
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
  return openSqliteDatabase({ filename: config.sqliteFile });
}
