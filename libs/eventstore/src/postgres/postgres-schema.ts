import type pg from 'pg';

const SCHEMA_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

/** Quoted names of the store's objects in one PostgreSQL schema. */
export interface EventStoreTables {
  schema: string;
  events: string;
  streams: string;
  migrations: string;
  /** NOTIFY channel (an identifier: at most 63 bytes). */
  channel: string;
}

export function eventStoreTables(schema: string): EventStoreTables {
  if (!SCHEMA_NAME.test(schema)) {
    throw new Error(`Invalid PostgreSQL schema name ${JSON.stringify(schema)}: letters, digits and _ only, at most 63`);
  }
  const quoted = `"${schema}"`;
  return {
    schema,
    events: `${quoted}.es_events`,
    streams: `${quoted}.es_streams`,
    migrations: `${quoted}.es_migrations`,
    channel: `es_${schema}`.slice(0, 63),
  };
}

/**
 * Ordered and append-only: a deployed step is never edited, a change is a new step.
 * Event data and metadata are `json`, not `jsonb`: the log keeps exactly what was written
 * (key order, `\u0000`, lone surrogates that jsonb rejects).
 */
const MIGRATIONS: ReadonlyArray<(t: EventStoreTables) => string> = [
  (t) => `
    CREATE TABLE IF NOT EXISTS ${t.streams} (
      stream_name text PRIMARY KEY,
      category text NOT NULL,
      revision bigint NOT NULL CHECK (revision >= 0),
      position bigint NOT NULL CHECK (position > 0),
      created_at timestamptz NOT NULL,
      updated_at timestamptz NOT NULL
    );
    CREATE TABLE IF NOT EXISTS ${t.events} (
      position bigint PRIMARY KEY CHECK (position > 0),
      stream_name text NOT NULL,
      revision bigint NOT NULL CHECK (revision >= 0),
      event_id uuid NOT NULL,
      type text NOT NULL,
      data json NOT NULL,
      metadata json NOT NULL,
      created_at timestamptz NOT NULL,
      CONSTRAINT es_events_stream_revision_key UNIQUE (stream_name, revision),
      CONSTRAINT es_events_stream_event_id_key UNIQUE (stream_name, event_id)
    );
    CREATE INDEX IF NOT EXISTS es_streams_category_idx ON ${t.streams} (category);
  `,
];

/**
 * Creates the schema and brings its tables up to date. Safe when several processes start at
 * once: they queue on an advisory lock scoped to the schema, and each step runs once.
 */
export async function migrateEventStore(pool: pg.Pool, tables: EventStoreTables): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await migrateOnce(pool, tables);
      return;
    } catch (error) {
      // Someone creating the same schema without our lock (a read model, say) can still race
      // CREATE ... IF NOT EXISTS; a second pass sees the object and moves on.
      const code = (error as { code?: string }).code;
      if (attempt < 3 && (code === '23505' || code === '42P06' || code === '42P07')) continue;
      throw error;
    }
  }
}

async function migrateOnce(pool: pg.Pool, tables: EventStoreTables): Promise<void> {
  const client = await pool.connect();
  let broken = false;
  try {
    await client.query('BEGIN');
    await client.query(`SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, [`ruche.es.migrate.${tables.schema}`]);
    await client.query(`CREATE SCHEMA IF NOT EXISTS "${tables.schema}"`);
    await client.query(
      `CREATE TABLE IF NOT EXISTS ${tables.migrations} (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`,
    );
    const { rows } = await client.query<{ version: number }>(
      `SELECT coalesce(max(version), 0) AS version FROM ${tables.migrations}`,
    );
    for (let version = rows[0].version + 1; version <= MIGRATIONS.length; version++) {
      await client.query(MIGRATIONS[version - 1](tables));
      await client.query(`INSERT INTO ${tables.migrations} (version) VALUES ($1)`, [version]);
    }
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => (broken = true));
    throw error;
  } finally {
    client.release(broken);
  }
}
