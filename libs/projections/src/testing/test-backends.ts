import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import pg from 'pg';
import { PostgresEventStore, SqliteEventStore, type EventStore } from '#ruche/eventstore';
import { testDatabaseUrl, uniqueSchema } from '#ruche/eventstore/testing';
import { openPostgresDatabase, openSqliteDatabase, type SqlDatabase } from '../index.js';

/** Where a test's event log and read store live; the child fixture gets the same `target`. */
export type BackendTarget =
  | { kind: 'sqlite'; filename: string }
  | { kind: 'postgres'; connectionString: string; schema: string };

export interface TestBackend {
  label: string;
  target: BackendTarget;
  openStore(): Promise<EventStore>;
  openDb(): Promise<SqlDatabase>;
  /** Removes the temp directory or drops the schema. */
  dispose(): Promise<void>;
}

export function sqliteBackend(): TestBackend {
  const dir = mkdtempSync(join(tmpdir(), 'ruche-projections-'));
  const filename = join(dir, 'ruche.db');
  return {
    label: 'SQLite',
    target: { kind: 'sqlite', filename },
    openStore: async () => SqliteEventStore.open({ filename, pollIntervalMs: 50 }),
    openDb: async () => openSqliteDatabase({ filename }),
    dispose: async () => rmSync(dir, { recursive: true, force: true }),
  };
}

export function postgresBackend(prefix: string): TestBackend {
  const schema = uniqueSchema(prefix);
  const connectionString = testDatabaseUrl;
  return {
    label: 'PostgreSQL',
    target: { kind: 'postgres', connectionString, schema },
    openStore: () => PostgresEventStore.connect({ connectionString, schema, pollIntervalMs: 200 }),
    openDb: () => openPostgresDatabase({ connectionString, schema }),
    dispose: async () => {
      const client = new pg.Client({ connectionString });
      await client.connect();
      try {
        await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      } finally {
        await client.end();
      }
    },
  };
}

/** Appends `count` events spread over `streams` streams, `concurrency` appends in flight. */
export async function appendEvents(
  store: EventStore,
  options: { count: number; streams: number; prefix?: string; type?: string; concurrency?: number },
): Promise<number> {
  const { count, streams, prefix = 'item', type = 'Tick', concurrency = 32 } = options;
  let next = 0;
  let last = 0;
  const worker = async (): Promise<void> => {
    while (next < count) {
      const index = next++;
      const result = await store.appendToStream(`${prefix}-${index % streams}`, [{ type, data: { index } }]);
      last = Math.max(last, result.position);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  return last;
}

export const runnerFixture = new URL('./runner-child.fixture.mjs', import.meta.url).pathname;

/** A child process running the fixture, with its stdout as lines. */
export interface FixtureProcess {
  child: ChildProcess;
  /** Resolves with the first line `predicate` accepts; rejects if the child exits first. */
  waitForLine(predicate: (line: string) => boolean, timeoutMs?: number): Promise<string>;
  /** Calls `listener` with every line from now on. */
  onLine(listener: (line: string) => void): void;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stderr(): string;
}

const running = new Set<ChildProcess>();

/** Kills the fixture processes still running (a failed test must not leave them behind). */
export function killFixtures(): void {
  for (const child of running) child.kill('SIGKILL');
}

export function spawnFixture(args: object): FixtureProcess {
  const child = spawn(process.execPath, [runnerFixture, JSON.stringify(args)], { stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  child.on('exit', () => running.delete(child));
  const lines: string[] = [];
  const watchers = new Set<(line: string) => void>();
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  createInterface({ input: child.stdout! }).on('line', (line) => {
    lines.push(line);
    for (const watch of [...watchers]) watch(line);
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  return {
    child,
    exited,
    stderr: () => stderr,
    onLine: (listener) => void watchers.add(listener),
    waitForLine(predicate, timeoutMs = 60_000) {
      const found = lines.find(predicate);
      if (found !== undefined) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => finish(new Error(`No matching line from the fixture within ${timeoutMs} ms`)), timeoutMs);
        const finish = (error: Error | undefined, line?: string): void => {
          clearTimeout(timer);
          watchers.delete(watch);
          if (error) reject(error);
          else resolve(line!);
        };
        const watch = (line: string): void => {
          if (predicate(line)) finish(undefined, line);
        };
        watchers.add(watch);
        void exited.then(({ code, signal }) =>
          finish(new Error(`Fixture exited (code ${code}, signal ${signal}) before the line came:\n${stderr}`)),
        );
      });
    },
  };
}
