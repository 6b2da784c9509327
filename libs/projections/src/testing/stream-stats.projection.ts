import type { RecordedEvent } from '#ruche/eventstore';
import type { Projection } from '../projection.js';

export interface StreamStatsOptions {
  name?: string;
  version?: number;
  /** Prefix of its two tables: `<prefix>_streams` and `<prefix>_events`. */
  prefix?: string;
  /** Makes apply throw on the events it matches (a projection with a bug). */
  failOn?: (event: RecordedEvent) => boolean;
}

/**
 * A small projection for tests: one row per stream (events counted, last revision and
 * position) and one row per event applied, whose primary key on the position makes a second
 * application of the same event fail loudly.
 */
export function streamStatsProjection(options: StreamStatsOptions = {}): Projection & {
  tableNames: { streams: string; events: string };
} {
  const prefix = options.prefix ?? 'stats';
  const tableNames = { streams: `${prefix}_streams`, events: `${prefix}_events` };
  const physical = (tables: Readonly<Record<string, string>>) => ({
    streams: tables[tableNames.streams]!,
    events: tables[tableNames.events]!,
  });
  return {
    name: options.name ?? prefix,
    version: options.version ?? 1,
    tables: [tableNames.streams, tableNames.events],
    tableNames,
    async createTables(db, tables) {
      const t = physical(tables);
      await db.execute(
        `CREATE TABLE ${t.streams} (stream TEXT PRIMARY KEY, events INTEGER NOT NULL,
           last_revision INTEGER NOT NULL, last_position BIGINT NOT NULL)`,
      );
      await db.execute(
        `CREATE TABLE ${t.events} (position BIGINT PRIMARY KEY, stream TEXT NOT NULL,
           revision INTEGER NOT NULL, type TEXT NOT NULL)`,
      );
      await db.execute(`CREATE INDEX ${t.events}_by_stream ON ${t.events} (stream, revision)`);
    },
    async apply(event, tx, tables) {
      const t = physical(tables);
      if (options.failOn?.(event)) throw new Error(`cannot project ${event.type}`);
      await tx.execute(`INSERT INTO ${t.events} (position, stream, revision, type) VALUES ($1, $2, $3, $4)`, [
        event.position,
        event.streamName,
        event.revision,
        event.type,
      ]);
      await tx.execute(
        `INSERT INTO ${t.streams} (stream, events, last_revision, last_position) VALUES ($1, 1, $2, $3)
         ON CONFLICT (stream) DO UPDATE SET events = ${t.streams}.events + 1,
           last_revision = excluded.last_revision, last_position = excluded.last_position`,
        [event.streamName, event.revision, event.position],
      );
    },
  };
}
