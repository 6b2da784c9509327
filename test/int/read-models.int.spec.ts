import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { EventStore } from '#ruche/eventstore';
import { postgresService } from '#ruche/eventstore/testing';
import { identityProjections } from '#ruche/identity';
import { ProjectionRunner, type SqlDatabase } from '#ruche/projections';
import { spacesProjections } from '#ruche/spaces';
import { syntheticHistory } from '../../seeds/synthetic-history.js';
import { postgresBackend, sqliteBackend, type TestBackend } from '../../libs/projections/src/testing/test-backends.js';
import { tableDigest } from '../../libs/projections/src/testing/table-digest.js';

/**
 * The app's read models (users, spaces, members, join requests, activity) under crashes and
 * rebuilds: SIGKILL the runner at random points while ~10,000 events are projected, restart it,
 * and the tables must equal a rebuild from position 0; rebuilding again changes nothing.
 */
const projections = [...identityProjections, ...spacesProjections];
const TABLES: Array<[string, string]> = [
  ['users', 'id'],
  ['spaces', 'id'],
  ['space_members', 'space_id, user_id'],
  ['space_join_requests', 'space_id, user_id'],
  ['space_activity', 'position'],
];
const fixture = new URL('./support/app-projections-runner.fixture.mjs', import.meta.url).pathname;
const pg = await postgresService();
const backends: Array<[string, () => TestBackend]> = [['SQLite', sqliteBackend]];
if (pg.available) backends.push(['PostgreSQL', () => postgresBackend('readmodels')]);

async function digests(db: SqlDatabase): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const [table, orderBy] of TABLES) out[table] = await tableDigest(db, table, orderBy);
  return out;
}

async function writeHistory(store: EventStore): Promise<number> {
  let count = 0;
  const pending: Array<Promise<unknown>> = [];
  for (const append of syntheticHistory({ users: 300, spaces: 200, eventsPerSpace: 50, seed: 'exactly-once' })) {
    count += append.events.length;
    pending.push(store.appendToStream(append.streamName, append.events, { expectedRevision: 'no_stream' }));
    if (pending.length >= 32) await Promise.all(pending.splice(0));
  }
  await Promise.all(pending);
  return count;
}

/** Starts the child runner; resolves with it once it printed `started`. */
function startRunner(
  backend: TestBackend,
  killAt = Number.POSITIVE_INFINITY,
): Promise<{ child: ChildProcess; lastApplied: () => number; exited: Promise<void>; passed: Promise<void> }> {
  const child = spawn(process.execPath, [fixture, JSON.stringify(backend.target)], { stdio: ['ignore', 'pipe', 'inherit'] });
  let last = 0;
  let markPassed: () => void = () => undefined;
  const passed = new Promise<void>((resolve) => (markPassed = resolve));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    lines.on('line', (line) => {
      if (line === 'started') resolve({ child, lastApplied: () => last, exited, passed });
      const match = /^applied (\d+)$/.exec(line);
      if (match) {
        last = Number(match[1]);
        if (last >= killAt) markPassed();
      }
    });
    child.once('exit', (code, signal) => signal !== 'SIGKILL' && reject(new Error(`runner exited early (${code})`)));
  });
}

async function waitUntil(condition: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe.each(backends)('read models under crashes and rebuilds (%s)', (_label, makeBackend) => {
  let backend: TestBackend;
  let store: EventStore;
  let db: SqlDatabase;
  let head = 0;

  beforeAll(async () => {
    backend = makeBackend();
    store = await backend.openStore();
    db = await backend.openDb();
    const count = await writeHistory(store);
    head = await store.headPosition();
    expect(count).toBeGreaterThanOrEqual(10_000);
  }, 180_000);

  afterAll(async () => {
    await db?.close();
    await store?.close();
    await backend?.dispose();
  });

  it('applies every event exactly once across 10 SIGKILLs: the tables equal a rebuild from position 0', async () => {
    const kills: number[] = [];
    let reached = 0;
    for (let round = 0; round < 10; round++) {
      // Kill it mid-flight, once it passed a random position ahead of where the last one got.
      const target = reached + 1 + Math.floor(Math.random() * ((head - reached) / (11 - round)));
      const runner = await startRunner(backend, target);
      await Promise.race([runner.passed, runner.exited]);
      runner.child.kill('SIGKILL');
      await runner.exited;
      reached = runner.lastApplied();
      kills.push(reached);
    }
    const finalStart = Date.now();
    const final = await startRunner(backend);
    const checker = new ProjectionRunner({ store, db, projections, logger: { log: () => undefined, warn: () => undefined, error: () => undefined } });
    await waitUntil(
      async () => (await checker.status()).projections.every((p) => p.position >= head),
      120_000,
      'the restarted runner to catch up',
    );
    console.log(`kills at ${kills.join(', ')} of ${head}; final catch-up ${Date.now() - finalStart} ms`);
    final.child.kill('SIGTERM');
    await final.exited;
    // At least some kills landed mid-projection, not all before the first batch or after the last.
    expect(kills.filter((position) => position > 0 && position < head).length).toBeGreaterThanOrEqual(5);

    const afterCrashes = await digests(db);
    for (const projection of projections) await checker.rebuild(projection.name);
    const rebuilt = await digests(db);
    expect(rebuilt).toEqual(afterCrashes);
    expect(Number(afterCrashes.space_activity!.split(':')[0])).toBeGreaterThan(9_000);
  }, 300_000);

  it('rebuilds deterministically: rebuilding every projection again gives identical tables', async () => {
    const checker = new ProjectionRunner({ store, db, projections, logger: { log: () => undefined, warn: () => undefined, error: () => undefined } });
    const before = await digests(db);
    for (const projection of projections) await checker.rebuild(projection.name);
    expect(await digests(db)).toEqual(before);
  }, 120_000);
});
