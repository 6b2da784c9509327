import { createHash } from 'node:crypto';
import type pg from 'pg';

const SCHEMA_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;
const APPEND_FUNCTION = 'es_append_fast';

/** Quoted names of the store's objects in one PostgreSQL schema. */
export interface EventStoreTables {
  schema: string;
  events: string;
  streams: string;
  migrations: string;
  /** The one-round-trip append function (see appendFunctionSql). */
  appendFunction: string;
  /** NOTIFY channel (an identifier: at most 63 bytes). */
  channel: string;
  /** Key of the advisory lock every append takes, as the server computes it. */
  appendLockKey: string;
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
    appendFunction: `${quoted}.${APPEND_FUNCTION}`,
    channel: `es_${schema}`.slice(0, 63),
    appendLockKey: `hashtextextended('ruche.es.append.${schema}', 0)`,
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
 * Bump with any change to the function; the marker also carries a hash of its text, so an
 * edit is installed even without a bump. Processes still running the previous code call the
 * function by name: a change of what it takes or returns needs a new signature too.
 */
export const APPEND_FUNCTION_VERSION = 2;
const MARKER = /^ruche-es append function v(\d+)\b/;

/** Expected revisions as the append function takes them: an exact revision is itself (>= 0). */
export const EXPECTED_CODES = { any: -1, no_stream: -2, stream_exists: -3 } as const;

/**
 * The fast path of an append group, in one autocommit statement: it takes the append lock the
 * transaction path takes, and writes the whole group only if every append can simply be
 * written: its expectation holds (appends to one stream chain, in group order) and none of
 * the ids to check is stored in its stream. Otherwise it writes nothing and returns NULL, and
 * the adapter decides the group on the transaction path (retries, conflicts).
 *
 * Arguments: per append, its stream, expected revision (EXPECTED_CODES or >= 0) and event
 * count; per event, in group order, id, type, data and metadata (JSON text); the
 * (stream, id) pairs to look for. Returns the head before the group, then each append's last
 * revision; positions follow the head, in group order, without gaps.
 *
 * Under READ COMMITTED each statement of a volatile function takes a new snapshot, so the
 * reads after the lock see every commit made before it was granted; under another isolation
 * level they would not, hence the NULL there too.
 */
export function appendFunctionSql(t: EventStoreTables): string {
  // STRICT: a NULL argument returns NULL (the transaction path) without running the body.
  // Generic plans: custom ones would be planned again on every call, for nothing. A generic
  // plan is made at a session's first call and kept until the tables' statistics change: made
  // on empty tables, it scans them whole, and without ANALYZE (autovacuum off, or not run yet)
  // it stayed so, every append reading the whole log (a fill of 1.7 M events slowed to 1,000
  // events/s). Every lookup here has its index: sequential scans are off for the function.
  // Malformed arguments raise (nothing written): the single-append branch checks them in
  // simple expressions, the group branch within its queries, to spare statements.
  return `CREATE FUNCTION ${t.appendFunction}(
    p_streams text[], p_expected bigint[], p_counts integer[],
    p_ids uuid[], p_types text[], p_data text[], p_metadata text[],
    p_check_streams text[], p_check_ids uuid[]
  ) RETURNS bigint[] LANGUAGE plpgsql VOLATILE STRICT SET plan_cache_mode = force_generic_plan SET enable_seqscan = off AS $es$
DECLARE
  v_appends integer := cardinality(p_streams);
  v_events integer := cardinality(p_ids);
  v_head bigint;
  v_before bigint;
  v_found boolean;
  v_valid boolean;
  v_total bigint;
  v_revisions bigint[];
BEGIN
  IF NOT coalesce(
       v_appends > 0 AND cardinality(p_expected) = v_appends AND cardinality(p_counts) = v_appends
       AND cardinality(p_types) = v_events AND cardinality(p_data) = v_events AND cardinality(p_metadata) = v_events
       AND cardinality(p_check_ids) = cardinality(p_check_streams),
       false) THEN
    RAISE EXCEPTION 'es_append_fast: inconsistent arguments' USING ERRCODE = '22023';
  END IF;
  IF current_setting('transaction_isolation') <> 'read committed' THEN
    RETURN NULL;
  END IF;
  PERFORM pg_advisory_xact_lock(${t.appendLockKey});

  IF v_appends = 1 THEN
    IF NOT coalesce(p_counts[1] = v_events AND p_expected[1] >= -3 AND p_streams[1] IS NOT NULL, false) THEN
      RAISE EXCEPTION 'es_append_fast: inconsistent arguments' USING ERRCODE = '22023';
    END IF;
    SELECT coalesce((SELECT s.revision FROM ${t.streams} s WHERE s.stream_name = p_streams[1]), -1),
           (SELECT coalesce(max(position), 0) FROM ${t.events}),
           EXISTS (SELECT FROM unnest(p_check_streams, p_check_ids) AS k (stream_name, event_id)
                     JOIN ${t.events} e ON e.stream_name = k.stream_name AND e.event_id = k.event_id)
      INTO v_before, v_head, v_found;
    IF v_found OR NOT (CASE p_expected[1]
                         WHEN -1 THEN true
                         WHEN -2 THEN v_before = -1
                         WHEN -3 THEN v_before >= 0
                         ELSE v_before = p_expected[1]
                       END) THEN
      RETURN NULL;
    END IF;
    INSERT INTO ${t.events} (position, stream_name, revision, event_id, type, data, metadata, created_at)
    SELECT v_head + e.k, p_streams[1], v_before + e.k, e.event_id, e.type, e.data::json, e.metadata::json, clock_timestamp()
      FROM unnest(p_ids, p_types, p_data, p_metadata) WITH ORDINALITY AS e (event_id, type, data, metadata, k);
    INSERT INTO ${t.streams} AS s (stream_name, category, revision, position, created_at, updated_at)
    VALUES (p_streams[1], split_part(p_streams[1], '-', 1), v_before + v_events, v_head + v_events,
            clock_timestamp(), clock_timestamp())
    ON CONFLICT (stream_name) DO UPDATE
      SET revision = excluded.revision, position = excluded.position, updated_at = excluded.updated_at;
    v_revisions := ARRAY[v_before + v_events];
  ELSE
    -- Each append against its stream's revision plus what the earlier appends of the group add.
    SELECT bool_and(coalesce(a.n >= 1 AND a.expected >= -3 AND a.stream_name IS NOT NULL, false)),
           sum(a.n),
           CASE
             WHEN bool_and(CASE a.expected
                             WHEN -1 THEN true
                             WHEN -2 THEN a.before = -1
                             WHEN -3 THEN a.before >= 0
                             ELSE a.before = a.expected
                           END)
                  AND NOT EXISTS (
                    SELECT FROM unnest(p_check_streams, p_check_ids) AS k (stream_name, event_id)
                      JOIN ${t.events} e ON e.stream_name = k.stream_name AND e.event_id = k.event_id)
             THEN array_agg(a.before + a.n ORDER BY a.ord)
           END,
           (SELECT coalesce(max(position), 0) FROM ${t.events})
      INTO v_valid, v_total, v_revisions, v_head
      FROM (
        SELECT u.ord, u.stream_name, u.expected, u.n,
               coalesce(s.revision, -1) + coalesce(sum(u.n) OVER (
                 PARTITION BY u.stream_name ORDER BY u.ord ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS before
          FROM unnest(p_streams, p_expected, p_counts) WITH ORDINALITY AS u (stream_name, expected, n, ord)
          LEFT JOIN ${t.streams} s ON s.stream_name = u.stream_name
      ) a;
    IF NOT coalesce(v_valid AND v_total = v_events, false) THEN
      RAISE EXCEPTION 'es_append_fast: inconsistent arguments' USING ERRCODE = '22023';
    END IF;
    IF v_revisions IS NULL THEN
      RETURN NULL;
    END IF;
    -- Append j holds the events start_j + 1 .. start_j + n_j of the group, in order.
    WITH a AS (
      SELECT u.stream_name, u.last_revision - u.n AS before, u.n, sum(u.n) OVER (ORDER BY u.ord) - u.n AS start
        FROM unnest(p_streams, v_revisions, p_counts) WITH ORDINALITY AS u (stream_name, last_revision, n, ord)
    ), written AS (
      INSERT INTO ${t.events} (position, stream_name, revision, event_id, type, data, metadata, created_at)
      SELECT v_head + a.start + g.i, a.stream_name, a.before + g.i, e.event_id, e.type, e.data::json, e.metadata::json,
             clock_timestamp()
        FROM a
        CROSS JOIN LATERAL generate_series(1, a.n) AS g (i)
        JOIN unnest(p_ids, p_types, p_data, p_metadata) WITH ORDINALITY AS e (event_id, type, data, metadata, k)
          ON e.k = a.start + g.i
    )
    INSERT INTO ${t.streams} AS s (stream_name, category, revision, position, created_at, updated_at)
    SELECT a.stream_name, split_part(a.stream_name, '-', 1), max(a.before + a.n), v_head + max(a.start + a.n),
           clock_timestamp(), clock_timestamp()
      FROM a GROUP BY a.stream_name
    ON CONFLICT (stream_name) DO UPDATE
      SET revision = excluded.revision, position = excluded.position, updated_at = excluded.updated_at;
  END IF;
  PERFORM pg_notify('${t.channel}', (v_head + v_events)::text);
  RETURN v_head || v_revisions;
END
$es$`;
}

/** What COMMENT ON FUNCTION holds: the version, and a hash that changes with the text. */
function appendFunctionMarker(sql: string): string {
  const hash = createHash('sha256').update(sql).digest('hex').slice(0, 16);
  return `ruche-es append function v${APPEND_FUNCTION_VERSION} ${hash}`;
}

/**
 * Installs the append function unless this very version is there. Versions left by older
 * deployments (any signature) are dropped first; a newer one is left alone, and this process
 * does without the fast path rather than call a function whose contract it does not know.
 * Runs under the migration lock, in its transaction: other processes see the old function
 * or the new one, never none.
 */
async function installAppendFunction(client: pg.ClientBase, tables: EventStoreTables): Promise<boolean> {
  const sql = appendFunctionSql(tables);
  const marker = appendFunctionMarker(sql);
  const { rows } = await client.query<{ signature: string; marker: string | null }>(
    `SELECT p.oid::regprocedure::text AS signature, obj_description(p.oid, 'pg_proc') AS marker
       FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
      WHERE n.nspname = $1 AND p.proname = $2`,
    [tables.schema, APPEND_FUNCTION],
  );
  if (rows.length === 1 && rows[0].marker === marker) return true;
  const newer = rows.some((row) => Number(MARKER.exec(row.marker ?? '')?.[1] ?? 0) > APPEND_FUNCTION_VERSION);
  if (newer) return false;
  for (const row of rows) await client.query(`DROP FUNCTION ${row.signature}`);
  await client.query(sql);
  await client.query(`COMMENT ON FUNCTION ${tables.appendFunction} IS '${marker}'`);
  return true;
}

/** What the migration left in place for the adapter. */
export interface MigratedEventStore {
  /** The append function of this version is installed (see installAppendFunction). */
  appendFunction: boolean;
}

/**
 * Creates the schema and brings its tables up to date. Safe when several processes start at
 * once: they queue on an advisory lock scoped to the schema, and each step runs once.
 */
export async function migrateEventStore(pool: pg.Pool, tables: EventStoreTables): Promise<MigratedEventStore> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await migrateOnce(pool, tables);
    } catch (error) {
      // Someone creating the same schema without our lock (a read model, say) can still race
      // CREATE ... IF NOT EXISTS; a second pass sees the object and moves on.
      const code = (error as { code?: string }).code;
      if (attempt < 3 && (code === '23505' || code === '42P06' || code === '42P07' || code === '42710')) continue;
      throw error;
    }
  }
}

async function migrateOnce(pool: pg.Pool, tables: EventStoreTables): Promise<MigratedEventStore> {
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
    // Not a numbered step: the function is code, replaced whenever the adapter's text changes.
    const appendFunction = await installAppendFunction(client, tables);
    await client.query('COMMIT');
    return { appendFunction };
  } catch (error) {
    await client.query('ROLLBACK').catch(() => (broken = true));
    throw error;
  } finally {
    client.release(broken);
  }
}
