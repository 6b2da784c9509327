// The event log and the read store of a test backend's target, for the fixtures that run a
// runner or a rebuild in a process of their own (compiled libraries: `npm run build` first).
// target: { kind: 'sqlite', filename } | { kind: 'postgres', connectionString, schema }.
import { PostgresEventStore, SqliteEventStore } from '#ruche/eventstore';
import { openPostgresDatabase, openSqliteDatabase } from '#ruche/projections';

export async function openTarget(target, { pollIntervalMs = 20 } = {}) {
  const store =
    target.kind === 'sqlite'
      ? SqliteEventStore.open({ filename: target.filename, pollIntervalMs })
      : await PostgresEventStore.connect({ connectionString: target.connectionString, schema: target.schema, pollIntervalMs });
  const db =
    target.kind === 'sqlite'
      ? openSqliteDatabase({ filename: target.filename })
      : await openPostgresDatabase({ connectionString: target.connectionString, schema: target.schema });
  return { store, db };
}
