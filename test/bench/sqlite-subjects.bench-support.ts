import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Sqlite from 'better-sqlite3';
import { v7 as uuidv7 } from 'uuid';
import { STREAM_DOES_NOT_EXIST } from '@event-driven-io/emmett';
import {
  getSQLiteEventStore,
  readMessagesBatch,
  sqliteConnection,
  type SQLiteEventStore,
} from '@event-driven-io/emmett-sqlite';
import { SqliteEventStore } from '#ruche/eventstore';
import { oursBenchStore, type BenchEvent, type BenchStore, type BenchSubject } from './bench-workload.js';

/** A fresh directory per measurement, removed with the store. */
function freshFile(prefix: string): { file: string; remove(): void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), `ruche-bench-${prefix}-`));
  return { file: path.join(dir, 'events.db'), remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export const oursSqlite: BenchSubject = {
  backend: 'sqlite',
  impl: 'ours',
  label: 'SqliteEventStore (better-sqlite3, WAL, synchronous=FULL, group commit)',
  async open(): Promise<BenchStore> {
    const { file, remove } = freshFile('ours');
    const store = SqliteEventStore.open({ filename: file });
    return oursBenchStore(store, remove);
  },
};

interface SqliteRow {
  position: number;
  stream_name: string;
  revision: number;
  event_id: string;
  type: string;
  data: string;
  metadata: string;
  created_at: number;
}

/**
 * The raw limit: plain better-sqlite3 inserts of the same rows into one table (position as rowid,
 * a unique (stream, revision) index), one transaction per append, in the same durability mode
 * as ours (WAL, synchronous=FULL). No expected-revision check, no stream table, no batching of
 * concurrent callers: each append is its own commit, as the driver gives it.
 */
export const rawSqlite: BenchSubject = {
  backend: 'sqlite',
  impl: 'raw',
  label: 'better-sqlite3 INSERTs, one transaction per append, WAL + synchronous=FULL',
  async open(): Promise<BenchStore> {
    const { file, remove } = freshFile('raw');
    const db = new Sqlite(file, { timeout: 5000 });
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.exec(`CREATE TABLE events (
      position INTEGER PRIMARY KEY, stream_name TEXT NOT NULL, revision INTEGER NOT NULL,
      event_id TEXT NOT NULL, type TEXT NOT NULL, data TEXT NOT NULL, metadata TEXT NOT NULL,
      created_at INTEGER NOT NULL, UNIQUE (stream_name, revision))`);
    const insert = db.prepare<[string, number, string, string, string, string, number]>(
      'INSERT INTO events (stream_name, revision, event_id, type, data, metadata, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
    );
    const insertAll = db.transaction((stream: string, first: number, events: readonly BenchEvent[]) => {
      const now = Date.now();
      events.forEach((event, i) =>
        insert.run(stream, first + i, uuidv7(), event.type, JSON.stringify(event.data), JSON.stringify(event.metadata), now),
      );
    });
    const page = db.prepare<[number, number], SqliteRow>(
      'SELECT position, stream_name, revision, event_id, type, data, metadata, created_at FROM events WHERE position > ? ORDER BY position LIMIT ?',
    );
    // The same mapping an adapter does: parsed payloads, a Date.
    const readPage = (after: number, limit: number) =>
      page.all(after, limit).map((row) => ({
        id: row.event_id,
        type: row.type,
        data: JSON.parse(row.data) as unknown,
        metadata: JSON.parse(row.metadata) as unknown,
        streamName: row.stream_name,
        revision: row.revision,
        position: row.position,
        createdAt: new Date(row.created_at),
      }));
    return {
      async append(stream, lastRevision, events) {
        insertAll(stream, lastRevision + 1, events);
      },
      async readAll(pageSize, onPage) {
        let position = 0;
        let read = 0;
        for (;;) {
          const rows = readPage(position, pageSize);
          if (rows.length === 0) return read;
          read += rows.length;
          position = rows[rows.length - 1].position;
          if (!onPage(read)) return read;
          // Yield like an async driver would, so progress and timers run.
          await new Promise<void>((resolve) => setImmediate(resolve));
        }
      },
      async catchUp(total, pageSize, onProgress) {
        let position = 0;
        let seen = 0;
        while (seen < total) {
          const rows = readPage(position, pageSize);
          if (rows.length === 0) break;
          for (const row of rows) {
            position = row.position;
            seen++;
            if (seen >= total) break;
          }
          if (!onProgress(seen)) break;
          await new Promise<void>((resolve) => setImmediate(resolve));
        }
        return seen;
      },
      commits: () => undefined,
      retries: () => 0,
      async close() {
        db.close();
        remove();
      },
    };
  },
};

/** Emmett-sqlite does not export its processor type; it is what its consumer accepts. */
type SQLiteProcessor = NonNullable<NonNullable<Parameters<SQLiteEventStore['consumer']>[0]>['processors']>[number];

interface EmmettReply {
  type: 'ReplyPosted';
  data: BenchEvent['data'];
  metadata: BenchEvent['metadata'];
}

function isBusy(error: unknown): boolean {
  const { code, message } = error as { code?: unknown; message?: unknown };
  // Emmett's withTransaction answers a failed BEGIN with a ROLLBACK that fails in turn, and
  // rethrows that error instead of SQLITE_BUSY.
  return code === 'SQLITE_BUSY' || (typeof message === 'string' && message.includes('no transaction is active'));
}

/**
 * Emmett sets WAL with a `PRAGMA journal_mode = WAL` it does not wait for, on every new
 * connection: racing its own first statements, it can fail (SQLITE_BUSY, uncaught) and leave a
 * new file in rollback-journal mode. WAL is persistent, so setting it once on the fresh file
 * gives Emmett the mode it asks for, the same as ours and raw.
 */
function createWalFile(file: string): void {
  const db = new Sqlite(file);
  try {
    db.pragma('journal_mode = WAL');
  } finally {
    db.close();
  }
}

function journalModeOf(file: string): string {
  const db = new Sqlite(file, { readonly: true, fileMustExist: true });
  try {
    return String(db.pragma('journal_mode', { simple: true }));
  } finally {
    db.close();
  }
}

/**
 * Emmett's SQLite store as its docs set it up: `getSQLiteEventStore({ fileName })`. It opens a
 * node-sqlite3 connection per operation, in WAL mode with the library's default synchronous=FULL
 * (checked in the report). Concurrent appends on one file end in SQLITE_BUSY almost every time
 * (see `emmettSqliteConcurrent`), so here appends are serialized by a promise chain, as an
 * application using it has to.
 */
export const emmettSqlite: BenchSubject = emmettSqliteSubject(true);

/** Emmett's SQLite store with truly concurrent appends, retried on SQLITE_BUSY: only probed. */
export const emmettSqliteConcurrent: BenchSubject = emmettSqliteSubject(false);

function emmettSqliteSubject(serialize: boolean): BenchSubject {
  return {
    backend: 'sqlite',
    impl: 'emmett',
    label: serialize
      ? '@event-driven-io/emmett-sqlite getSQLiteEventStore({ fileName }) (node-sqlite3, WAL, synchronous=FULL), appends serialized in-process'
      : '@event-driven-io/emmett-sqlite getSQLiteEventStore({ fileName }), concurrent appends retried on SQLITE_BUSY',
    async open(): Promise<BenchStore> {
      const { file, remove } = freshFile('emmett');
      createWalFile(file);
      const store = getSQLiteEventStore({ fileName: file });
      // Opened on first read, once the store has created the file: two connections racing to
      // set WAL mode on a new file make one fail with an uncaught SQLITE_BUSY.
      let reader: ReturnType<typeof sqliteConnection> | undefined;
      let retries = 0;
      let tail: Promise<unknown> = Promise.resolve();

      const appendOnce = async (stream: string, lastRevision: number, events: readonly BenchEvent[]): Promise<void> => {
        const expectedStreamVersion = lastRevision < 0 ? STREAM_DOES_NOT_EXIST : BigInt(lastRevision + 1);
        const messages: EmmettReply[] = events.map((event) => ({ type: event.type, data: event.data, metadata: event.metadata }));
        for (let attempt = 1; ; attempt++) {
          try {
            await store.appendToStream<EmmettReply>(stream, messages, { expectedStreamVersion });
            return;
          } catch (error) {
            if (!isBusy(error) || attempt >= 1000) throw error;
            retries++;
            await new Promise<void>((resolve) => setTimeout(resolve, Math.min(attempt, 10)));
          }
        }
      };

      return {
        append(stream, lastRevision, events) {
          if (!serialize) return appendOnce(stream, lastRevision, events);
          const next = tail.then(() => appendOnce(stream, lastRevision, events));
          tail = next.catch(() => undefined);
          return next;
        },
        async readAll(pageSize, onPage) {
          let after = 0n;
          let read = 0;
          for (;;) {
            reader ??= sqliteConnection({ fileName: file });
            const batch = await readMessagesBatch<EmmettReply>(reader, { after, batchSize: pageSize });
            if (batch.messages.length === 0) return read;
            read += batch.messages.length;
            after = batch.currentGlobalPosition;
            if (!onPage(read)) return read;
          }
        },
        async catchUp(total, pageSize, onProgress) {
          let seen = 0;
          if (total === 0) return 0;
          // A processor without a checkpoint, like our subscription: it only counts what it gets.
          const processor: SQLiteProcessor = {
            id: 'bench-catch-up',
            isActive: true,
            start: async () => 'BEGINNING',
            handle: async ({ messages }) => {
              seen += messages.length;
              const goOn = onProgress(seen);
              if (seen >= total || !goOn) {
                processor.isActive = false;
                return { type: 'STOP', reason: 'caught up' };
              }
            },
          };
          // The fastest pulling Emmett allows: pages of `pageSize`, no pause between full pages.
          const consumer = store.consumer({
            processors: [processor],
            pulling: { batchSize: pageSize, pullingFrequencyInMs: 0 },
          });
          await consumer.start();
          // close() also waits for the connections the consumer opened per batch to close.
          await consumer.close();
          return seen;
        },
        commits: () => undefined,
        retries: () => retries,
        async close() {
          reader?.close();
          // Emmett closes its per-operation connections without waiting: give them time before
          // the file goes, or a late statement fails with SQLITE_IOERR and nobody catches it.
          await new Promise<void>((resolve) => setTimeout(resolve, 500));
          const mode = journalModeOf(file);
          remove();
          if (mode !== 'wal') throw new Error(`Emmett's SQLite file ended in journal_mode=${mode}, not wal`);
        },
      };
    },
  };
}

/** PRAGMAs of a connection as Emmett opens it (after its store created the file), for the report. */
export async function emmettSqliteDurability(): Promise<string> {
  const { file, remove } = freshFile('pragma');
  createWalFile(file);
  await getSQLiteEventStore({ fileName: file }).appendToStream('probe-1', [{ type: 'Probe', data: {} }]);
  const connection = sqliteConnection({ fileName: file });
  try {
    const journal = await connection.querySingle<{ journal_mode: string }>('PRAGMA journal_mode');
    const sync = await connection.querySingle<{ synchronous: number }>('PRAGMA synchronous');
    const names = ['OFF', 'NORMAL', 'FULL', 'EXTRA'];
    return `journal_mode=${journal?.journal_mode ?? '?'} (set on the new file before Emmett opens it), synchronous=${names[sync?.synchronous ?? -1] ?? '?'}`;
  } finally {
    connection.close();
    await new Promise<void>((resolve) => setTimeout(resolve, 500));
    remove();
  }
}
