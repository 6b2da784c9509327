import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { EventStore } from '#ruche/eventstore';
import { postgresService } from '#ruche/eventstore/testing';
import { identityProjections } from '#ruche/identity/nest';
import { ProjectionRunner, type SqlDatabase } from '#ruche/projections';
import { spacesProjections } from '#ruche/spaces/nest';
import { syntheticHistory } from '../../seeds/synthetic-history.js';
import { auditApplyLog, countingProjection, exactlyOnce, type ApplyLogAudit } from '../../libs/projections/src/testing/counting.projection.js';
import { postgresBackend, sqliteBackend, type TestBackend } from '../../libs/projections/src/testing/test-backends.js';
import { tableDigest } from '../../libs/projections/src/testing/table-digest.js';

/**
 * The app's read models (users, spaces, members, join requests, activity) under crashes and
 * rebuilds: SIGKILL the runner at random points while ~10,000 events are projected, restart it.
 * Every projection's writes are idempotent, so equal tables cannot show an event applied twice:
 * each projection is wrapped by countingProjection, whose apply log (no key, no ON CONFLICT)
 * must then hold exactly one row per event position. The tables must also equal a rebuild from
 * position 0, and rebuilding again changes nothing.
 */
const projections = [...identityProjections, ...spacesProjections].map((projection) => countingProjection(projection));
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

async function applyLogAudits(db: SqlDatabase, positions: readonly number[]): Promise<Record<string, ApplyLogAudit>> {
  const out: Record<string, ApplyLogAudit> = {};
  for (const projection of projections) out[projection.name] = await auditApplyLog(db, projection, positions);
  return out;
}

function everyPositionOnce(positions: readonly number[]): Record<string, ApplyLogAudit> {
  return Object.fromEntries(projections.map((projection) => [projection.name, exactlyOnce(positions)]));
}

async function logPositions(store: EventStore): Promise<number[]> {
  const positions: number[] = [];
  for (;;) {
    const page = await store.readAll({ fromPosition: positions[positions.length - 1] ?? 0, maxCount: 2000 });
    if (page.length === 0) return positions;
    for (const event of page) positions.push(event.position);
  }
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

const children = new Set<ChildProcess>();

interface RunnerChild {
  child: ChildProcess;
  lastApplied: () => number;
  /** Milliseconds between its last two "applied" lines: about one batch of every projection. */
  batchInterval: () => number;
  exited: Promise<void>;
  /** Resolves once it says it applied `killAt`. */
  passed: Promise<void>;
}

/** Starts the child runner (`batchSize` events at most per transaction); resolves once it printed `started`. */
function startRunner(backend: TestBackend, options: { killAt?: number; batchSize?: number } = {}): Promise<RunnerChild> {
  const { killAt = Number.POSITIVE_INFINITY, batchSize = 200 } = options;
  const child = spawn(process.execPath, [fixture, JSON.stringify(backend.target)], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, BATCH_SIZE: String(batchSize) },
  });
  children.add(child);
  child.once('exit', () => children.delete(child));
  let last = 0;
  let lastLineAt = 0;
  let interval = 0;
  let markPassed: () => void = () => undefined;
  const passed = new Promise<void>((resolve) => (markPassed = resolve));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    lines.on('line', (line) => {
      if (line === 'started') resolve({ child, lastApplied: () => last, batchInterval: () => interval, exited, passed });
      const match = /^applied (\d+)$/.exec(line);
      if (match) {
        last = Number(match[1]);
        const now = performance.now();
        if (lastLineAt > 0) interval = now - lastLineAt;
        lastLineAt = now;
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

const quiet = { log: () => undefined, warn: () => undefined, error: () => undefined };

describe.each(backends)('read models under crashes and rebuilds (%s)', (_label, makeBackend) => {
  let backend: TestBackend;
  let store: EventStore;
  let db: SqlDatabase;
  let positions: number[] = [];
  let head = 0;
  let crashedAndCaughtUp = false;

  beforeAll(async () => {
    backend = makeBackend();
    store = await backend.openStore();
    db = await backend.openDb();
    const count = await writeHistory(store);
    positions = await logPositions(store);
    head = await store.headPosition();
    expect(count).toBeGreaterThanOrEqual(10_000);
    expect(positions.length).toBe(count);
  }, 180_000);

  afterAll(async () => {
    for (const child of children) child.kill('SIGKILL');
    await db?.close();
    await store?.close();
    await backend?.dispose();
  });

  it('applies every event exactly once across 10 SIGKILLs: one apply-log row per projection and position', async () => {
    const kills: Array<{ at: number; batchSize: number }> = [];
    let reached = 0;
    let batchInterval = 0;
    for (let round = 0; round < 10 && reached < head; round++) {
      // Kill it mid-flight, once it passed a random position ahead of where the last one got.
      const target = reached + 1 + Math.floor(Math.random() * ((head - reached) / (11 - round)));
      // From 5 to 200 events per transaction: small batches, like the live feed's single events,
      // make the moments between a batch's writes and the next batch a larger share of the run.
      const batchSize = Math.round(5 * 40 ** Math.random());
      const runner = await startRunner(backend, { killAt: target, batchSize });
      await Promise.race([runner.passed, runner.exited]);
      // An "applied" line comes right after a commit: killing at once would always land at the
      // start of the next batch. A random delay of up to one batch spreads the kills over the
      // whole cycle, the moments between two transactions included.
      batchInterval = runner.batchInterval() || batchInterval;
      await new Promise((resolve) => setTimeout(resolve, Math.random() * batchInterval));
      runner.child.kill('SIGKILL');
      await runner.exited;
      reached = runner.lastApplied();
      kills.push({ at: reached, batchSize });
    }
    const finalStart = Date.now();
    const final = await startRunner(backend);
    const checker = new ProjectionRunner({ store, db, projections, logger: quiet });
    await waitUntil(
      async () => (await checker.status()).projections.every((p) => p.position >= head),
      120_000,
      'the restarted runner to catch up',
    );
    console.log(
      `kills at ${kills.map((k) => `${k.at} (batch ${k.batchSize})`).join(', ')} of ${head}; final catch-up ${Date.now() - finalStart} ms`,
    );
    final.child.kill('SIGTERM');
    await final.exited;
    crashedAndCaughtUp = true;
    // At least some kills landed mid-projection, not all before the first batch or after the last.
    expect(kills.filter(({ at }) => at > 0 && at < head).length).toBeGreaterThanOrEqual(5);
    expect(await applyLogAudits(db, positions)).toEqual(everyPositionOnce(positions));
  }, 300_000);

  it('leaves tables equal to a rebuild from position 0, which applies every event once too', async () => {
    expect(crashedAndCaughtUp).toBe(true);
    const checker = new ProjectionRunner({ store, db, projections, logger: quiet });
    const afterCrashes = await digests(db);
    for (const projection of projections) await checker.rebuild(projection.name);
    const rebuilt = await digests(db);
    expect(rebuilt).toEqual(afterCrashes);
    expect(Number(afterCrashes.space_activity!.split(':')[0])).toBeGreaterThan(9_000);
    expect(await applyLogAudits(db, positions)).toEqual(everyPositionOnce(positions));
  }, 120_000);

  it('rebuilds deterministically: rebuilding every projection again gives identical tables', async () => {
    const checker = new ProjectionRunner({ store, db, projections, logger: quiet });
    const before = await digests(db);
    for (const projection of projections) await checker.rebuild(projection.name);
    expect(await digests(db)).toEqual(before);
    expect(await applyLogAudits(db, positions)).toEqual(everyPositionOnce(positions));
  }, 120_000);
});
