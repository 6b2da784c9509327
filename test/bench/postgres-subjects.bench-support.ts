import pg from 'pg';
import { v7 as uuidv7 } from 'uuid';
import { STREAM_DOES_NOT_EXIST, reactor } from '@event-driven-io/emmett';
import { getPostgreSQLEventStore, readMessagesBatch } from '@event-driven-io/emmett-postgresql';
import { dumbo } from '@event-driven-io/dumbo';
import { PostgresEventStore } from '#ruche/eventstore';
import { oursBenchStore, stallGuard, type BenchEvent, type BenchStore, type BenchSubject } from './bench-workload.js';

/** A fresh schema per measurement, dropped with the store. */
async function freshSchema(url: string, prefix: string): Promise<{ schema: string; drop(): Promise<void> }> {
  const schema = `bench_${prefix}_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 6)}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  try {
    await admin.query(`CREATE SCHEMA "${schema}"`);
  } finally {
    await admin.end();
  }
  return {
    schema,
    async drop() {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      } finally {
        await client.end();
      }
    },
  };
}

/** Emmett's tables are unqualified: its connections get the fresh schema as search_path. */
function withSearchPath(url: string, schema: string): string {
  const parsed = new URL(url);
  parsed.searchParams.set('options', `-c search_path=${schema}`);
  return parsed.toString();
}

export function oursPostgres(url: string, callers: number): BenchSubject {
  return {
    backend: 'postgres',
    impl: 'ours',
    label: 'PostgresEventStore (pg pool, group commit)',
    async open(): Promise<BenchStore> {
      const { schema, drop } = await freshSchema(url, 'ours');
      const store = await PostgresEventStore.connect({ connectionString: url, schema, poolSize: Math.max(10, callers + 2) });
      return oursBenchStore(store, drop);
    },
  };
}

interface PgRow {
  position: string;
  stream_name: string;
  revision: string;
  event_id: string;
  type: string;
  data: unknown;
  metadata: unknown;
  created_at: Date;
}

/**
 * The raw limit: plain `pg` INSERTs of the same rows into one table (identity position, json
 * payloads, a unique (stream, revision) index), one autocommit statement per append (a batch is
 * one multi-row INSERT), on a pool as large as the number of callers. Default synchronous_commit.
 */
export function rawPostgres(url: string, callers: number): BenchSubject {
  return {
    backend: 'postgres',
    impl: 'raw',
    label: 'pg INSERTs, one autocommit statement per append, pool = callers',
    async open(): Promise<BenchStore> {
      const { schema, drop } = await freshSchema(url, 'raw');
      const table = `"${schema}".events`;
      const pool = new pg.Pool({ connectionString: url, max: callers });
      pool.on('error', () => undefined);
      await pool.query(`CREATE TABLE ${table} (
        position bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, stream_name text NOT NULL,
        revision bigint NOT NULL, event_id uuid NOT NULL, type text NOT NULL, data json NOT NULL,
        metadata json NOT NULL, created_at timestamptz NOT NULL, UNIQUE (stream_name, revision))`);
      const insertOne = `INSERT INTO ${table} (stream_name, revision, event_id, type, data, metadata, created_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7)`;
      const insertMany = `INSERT INTO ${table} (stream_name, revision, event_id, type, data, metadata, created_at)
        SELECT * FROM unnest($1::text[], $2::bigint[], $3::uuid[], $4::text[], $5::json[], $6::json[], $7::timestamptz[])`;
      const readPage = async (after: number, limit: number) => {
        const { rows } = await pool.query<PgRow>(
          `SELECT position, stream_name, revision, event_id, type, data, metadata, created_at
             FROM ${table} WHERE position > $1 ORDER BY position LIMIT $2`,
          [after, limit],
        );
        return rows.map((row) => ({
          id: row.event_id,
          type: row.type,
          data: row.data,
          metadata: row.metadata,
          streamName: row.stream_name,
          revision: Number(row.revision),
          position: Number(row.position),
          createdAt: row.created_at,
        }));
      };
      return {
        async append(stream, lastRevision, events: readonly BenchEvent[]) {
          const now = new Date();
          if (events.length === 1) {
            const [event] = events;
            await pool.query(insertOne, [
              stream,
              lastRevision + 1,
              uuidv7(),
              event.type,
              JSON.stringify(event.data),
              JSON.stringify(event.metadata),
              now,
            ]);
            return;
          }
          await pool.query(insertMany, [
            events.map(() => stream),
            events.map((_, i) => lastRevision + 1 + i),
            events.map(() => uuidv7()),
            events.map((event) => event.type),
            events.map((event) => JSON.stringify(event.data)),
            events.map((event) => JSON.stringify(event.metadata)),
            events.map(() => now),
          ]);
        },
        async readAll(pageSize, onPage) {
          let position = 0;
          let read = 0;
          for (;;) {
            const rows = await readPage(position, pageSize);
            if (rows.length === 0) return read;
            read += rows.length;
            position = rows[rows.length - 1].position;
            if (!onPage(read)) return read;
          }
        },
        async catchUp(total, pageSize, onProgress) {
          let position = 0;
          let seen = 0;
          while (seen < total) {
            const rows = await readPage(position, pageSize);
            if (rows.length === 0) break;
            for (const row of rows) {
              position = row.position;
              seen++;
              if (seen >= total) break;
            }
            if (!onProgress(seen)) break;
          }
          return seen;
        },
        commits: () => undefined,
        retries: () => 0,
        async close() {
          await pool.end();
          await drop();
        },
      };
    },
  };
}

interface EmmettReply {
  type: 'ReplyPosted';
  data: BenchEvent['data'];
  metadata: BenchEvent['metadata'];
}

/**
 * Emmett's PostgreSQL store as its docs set it up: `getPostgreSQLEventStore(connectionString)`
 * (a pooled dumbo connection, `emt_append_to_stream` per append), in a fresh schema.
 */
export function emmettPostgres(url: string): BenchSubject {
  return {
    backend: 'postgres',
    impl: 'emmett',
    label: '@event-driven-io/emmett-postgresql getPostgreSQLEventStore(connectionString)',
    async open(): Promise<BenchStore> {
      const { schema, drop } = await freshSchema(url, 'emmett');
      const schemaUrl = withSearchPath(url, schema);
      const store = getPostgreSQLEventStore(schemaUrl);
      const readerPool = dumbo({ connectionString: schemaUrl });
      return {
        // readMessagesBatch orders a page by transaction id but starts the next one after the
        // last global position: with concurrent writers, pages overlap or leave events out.
        async storedEvents() {
          const client = new pg.Client({ connectionString: schemaUrl });
          await client.connect();
          try {
            const { rows } = await client.query<{ n: string }>('SELECT count(*) AS n FROM emt_messages');
            return Number(rows[0].n);
          } finally {
            await client.end();
          }
        },
        async append(stream, lastRevision, events) {
          const expectedStreamVersion = lastRevision < 0 ? STREAM_DOES_NOT_EXIST : BigInt(lastRevision + 1);
          const messages: EmmettReply[] = events.map((event) => ({ type: event.type, data: event.data, metadata: event.metadata }));
          await store.appendToStream<EmmettReply>(stream, messages, { expectedStreamVersion });
        },
        async readAll(pageSize, onPage) {
          let after = 0n;
          let read = 0;
          for (;;) {
            const batch = await readMessagesBatch<EmmettReply>(readerPool.execute, { after, batchSize: pageSize });
            if (batch.messages.length === 0) return read;
            read += batch.messages.length;
            after = batch.currentGlobalPosition;
            if (!onPage(read)) return read;
          }
        },
        async catchUp(total, pageSize, onProgress) {
          let seen = 0;
          let stopped = false;
          if (total === 0) return 0;
          // Emmett's own reactor, without a checkpointer (like our subscription): it only counts.
          const processor = reactor<EmmettReply>({
            processorId: 'bench-catch-up',
            eachMessage: async () => {
              seen++;
              if (seen % 1000 === 0 && !onProgress(seen)) stopped = true;
            },
            stopAfter: () => seen >= total || stopped,
          });
          // The fastest pulling Emmett allows: pages of `pageSize`, no pause between full pages.
          const consumer = store.consumer<EmmettReply>({
            processors: [processor],
            pulling: { batchSize: pageSize, pullingFrequencyInMs: 0 },
          });
          const guard = stallGuard('Emmett PostgreSQL catch-up', 60_000, () => seen);
          try {
            await Promise.race([consumer.start(), guard.promise]);
          } finally {
            guard.stop();
            // stop(), not close(): close() would also end the store's own pool, which it shares.
            await consumer.stop();
          }
          return seen;
        },
        commits: () => undefined,
        retries: () => 0,
        async close() {
          await readerPool.close();
          await store.close();
          await drop();
        },
      };
    },
  };
}

/** The server's durability settings, for the report. */
export async function postgresDurability(url: string): Promise<string> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ name: string; setting: string }>(
      `SELECT name, setting FROM pg_settings
        WHERE name IN ('synchronous_commit', 'fsync', 'wal_sync_method', 'commit_delay', 'server_version')
        ORDER BY name`,
    );
    return rows.map((row) => `${row.name}=${row.setting}`).join(', ');
  } finally {
    await client.end();
  }
}
