import type { EventStore, EventSubscription, RecordedEvent } from '#ruche/eventstore';
import { postgresService } from '#ruche/eventstore/testing';
import {
  isShadowTable,
  ProjectionRunner,
  RebuildAbortedError,
  RebuildInProgressError,
  type AppliedBatch,
  type ProjectionLogger,
  type RebuildProgress,
  type SqlDatabase,
  type SqlExecutor,
} from '#ruche/projections';
import { streamStatsProjection } from './testing/stream-stats.projection.js';
import { tableDigest } from './testing/table-digest.js';
import { appendEvents, killFixtures, postgresBackend, spawnFixture, sqliteBackend, type TestBackend } from './testing/test-backends.js';

const postgres = await postgresService();
const T = 60_000;

type Stats = ReturnType<typeof streamStatsProjection>;

/** The stream-stats projection with one index only queries use (`<prefix>_events…_by_type`). */
function withQueryIndex(prefix: string): Stats {
  const base = streamStatsProjection({ prefix });
  return {
    ...base,
    async createQueryIndexes(db: SqlExecutor, tables: Readonly<Record<string, string>>) {
      const events = tables[base.tableNames.events]!;
      await db.execute(`CREATE INDEX ${events}_by_type ON ${events} (type, position)`);
    },
  };
}

/** Collects what the runner logs, so that a test can assert a failure was not swallowed. */
function recordingLogger(): ProjectionLogger & { errors: string[] } {
  const errors: string[] = [];
  return { errors, log: () => undefined, warn: () => undefined, error: (message) => errors.push(message) };
}

async function digest(db: SqlDatabase, projection: Stats): Promise<string> {
  const streams = await tableDigest(db, projection.tableNames.streams, 'stream');
  const events = await tableDigest(db, projection.tableNames.events, 'position');
  return `${streams}/${events}`;
}

/** The read model is right: one row per event, and each stream counts exactly its events. */
async function expectExactlyOnce(db: SqlDatabase, store: EventStore, projection: Stats): Promise<void> {
  const head = await store.headPosition();
  const all = await store.readAll({ fromPosition: 0, maxCount: 1_000_000 });
  const rows = await db.query<{ stream: string; events: number; last_revision: number; last_position: number }>(
    `SELECT stream, events, last_revision, last_position FROM ${projection.tableNames.streams} ORDER BY stream`,
  );
  const expected = new Map<string, { events: number; last_revision: number; last_position: number }>();
  for (const event of all) {
    const entry = expected.get(event.streamName) ?? { events: 0, last_revision: -1, last_position: 0 };
    expected.set(event.streamName, { events: entry.events + 1, last_revision: event.revision, last_position: event.position });
  }
  expect(rows).toEqual([...expected.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([stream, e]) => ({ stream, ...e })));
  expect(await db.queryOne(`SELECT COUNT(*) AS n, MAX(position) AS last FROM ${projection.tableNames.events}`)).toEqual({
    n: all.length,
    last: all.length > 0 ? head : null,
  });
}

function runnerSuite(label: string, describeIt: jest.Describe, makeBackend: () => TestBackend): void {
  describeIt(`ProjectionRunner on ${label}`, () => {
    let backend: TestBackend;
    let store: EventStore;
    let db: SqlDatabase;
    const runners: ProjectionRunner[] = [];

    const newRunner = (projections: Stats[], options: { batchSize?: number; rebuildBatchSize?: number; stagedRebuildBatchSize?: number; logger?: ProjectionLogger } = {}): ProjectionRunner => {
      const runner = new ProjectionRunner({ store, db, projections, logger: recordingLogger(), recheckIntervalMs: 100, ...options });
      runners.push(runner);
      return runner;
    };

    // A log of its own for each test: a rebuild replays the whole log, and on one shared log the
    // later tests' rebuilds replayed every earlier test's events too.
    beforeEach(async () => {
      backend = makeBackend();
      store = await backend.openStore();
      db = await backend.openDb();
    }, T);
    afterEach(async () => {
      await Promise.all(runners.splice(0).map((runner) => runner.stop()));
      killFixtures();
      await db?.close();
      await store?.close();
      await backend?.dispose();
    }, T);

    it('projects history and live events, and waitForPosition resolves when they are applied', async () => {
      const projection = streamStatsProjection({ prefix: 'basic' });
      await appendEvents(store, { count: 1200, streams: 7, prefix: 'basic' });
      const runner = newRunner([projection]);
      await runner.start();
      const history = await store.headPosition();
      expect(await runner.waitForPosition(history, 20_000)).toBe(true);

      const { position } = await store.appendToStream('basic-live', [{ type: 'Tick', data: {} }]);
      expect(await runner.waitForPosition(position, 10_000)).toBe(true);
      // Read-your-writes: once waitForPosition says yes, the query sees the event.
      expect(await db.queryOne(`SELECT stream FROM ${projection.tableNames.events} WHERE position = $1`, [position])).toEqual({
        stream: 'basic-live',
      });
      await expectExactlyOnce(db, store, projection);

      const status = await runner.status();
      expect(status.head).toBe(position);
      expect(status.projections).toEqual([
        expect.objectContaining({ name: 'basic', state: 'running', feed: 'running', position, lag: 0, storedVersion: 1 }),
      ]);
    }, T);

    it('pausedWhile: a bulk write lands with the projections not fed, which catch up after (also when it throws); a runner not started stays stopped', async () => {
      const projection = streamStatsProjection({ prefix: 'paused' });
      const runner = newRunner([projection]);
      await runner.start();
      const before = await appendEvents(store, { count: 50, streams: 2, prefix: 'paused' });
      expect(await runner.waitForPosition(before, 20_000)).toBe(true);
      const written = await runner.pausedWhile(async () => {
        // One append at a time, as the demo's school year is written.
        let last = 0;
        for (let i = 0; i < 200; i++) last = (await store.appendToStream(`paused-bulk-${i % 5}`, [{ type: 'Tick', data: {} }])).position;
        expect((await runner.status()).projections.map((p) => [p.feed, p.position])).toEqual([['stopped', before]]);
        return last;
      });
      expect(await runner.waitForPosition(written, 20_000)).toBe(true);
      await expectExactlyOnce(db, store, projection);

      // A write that fails: the projections are fed again all the same.
      await expect(runner.pausedWhile(() => Promise.reject(new Error('cut short')))).rejects.toThrow('cut short');
      const { position } = await store.appendToStream('paused-after', [{ type: 'Tick', data: {} }]);
      expect(await runner.waitForPosition(position, 10_000)).toBe(true);
      await expectExactlyOnce(db, store, projection);

      const idle = newRunner([streamStatsProjection({ prefix: 'idle' })]);
      expect(await idle.pausedWhile(async () => 'written')).toBe('written');
      expect((await idle.status()).projections.map((p) => p.feed)).toEqual(['stopped']);
    }, T);

    it('reads the log once for all its projections, and a projection far behind reads by itself', async () => {
      const prefixes = ['shared_a', 'shared_b', 'shared_c', 'shared_d'];
      const early = prefixes.slice(0, 3).map((prefix) => streamStatsProjection({ prefix }));
      const before = await store.headPosition();
      await appendEvents(store, { count: 3000, streams: 9, prefix: 'shared' });
      const history = await store.headPosition();
      // The window holds 20 batches of 50: a projection 3,000+ events behind is outside it.
      const counted = countingStore(store);
      // A window as large as the log: however the three are scheduled, none falls out of it.
      const runner = new ProjectionRunner({ store: counted.store, db, projections: early, batchSize: 50, logWindow: 100_000, logger: recordingLogger() });
      runners.push(runner);
      await runner.start();
      expect(await runner.waitForPosition(history, 20_000)).toBe(true);
      expect(runner.logStats.subscriptions).toBe(1);
      // Read once: the events of the log up to the head, not once per projection.
      expect(counted.eventsRead()).toBeGreaterThanOrEqual(history - before);
      expect(counted.eventsRead()).toBeLessThanOrEqual(history);
      for (const projection of early) await expectExactlyOnce(db, store, projection);

      // A fourth projection joins at 0 while the others are live: it catches up on its own
      // pages, the others keep applying new events meanwhile, and all end exactly once.
      await runner.stop();
      const late = streamStatsProjection({ prefix: prefixes[3] });
      // A window of 1,000 events: the new one, 3,000+ behind, is outside it.
      const second = new ProjectionRunner({ store, db, projections: [...early, late], batchSize: 50, logWindow: 1000, logger: recordingLogger() });
      runners.push(second);
      await second.start();
      const live = await appendEvents(store, { count: 200, streams: 3, prefix: 'shared_live' });
      expect(await second.waitForPosition(live, 20_000)).toBe(true);
      expect(second.logStats.privatePages).toBeGreaterThan(0);
      expect(second.logStats.subscriptions).toBeLessThanOrEqual(2);
      for (const projection of [...early, late]) await expectExactlyOnce(db, store, projection);
    }, T);

    it('waitForPosition answers false at the timeout when the position is not reached', async () => {
      const runner = newRunner([streamStatsProjection({ prefix: 'timeout' })]);
      await runner.start();
      const beyond = (await store.headPosition()) + 1000;
      const started = Date.now();
      expect(await runner.waitForPosition(beyond, 300)).toBe(false);
      expect(Date.now() - started).toBeGreaterThanOrEqual(290);
      expect(await runner.waitForPosition(0, 0)).toBe(true);
    }, T);

    it('calls onBatchApplied once per event, in order, after the read models include it', async () => {
      const projection = streamStatsProjection({ prefix: 'notify' });
      const other = streamStatsProjection({ prefix: 'notify_other' });
      const runner = newRunner([projection, other], { batchSize: 50 });
      await runner.start();
      const start = await store.headPosition();
      expect(await runner.waitForPosition(start, 20_000)).toBe(true);

      const received: RecordedEvent[] = [];
      const checks: Promise<unknown>[] = [];
      const unsubscribe = runner.onBatchApplied((batch: AppliedBatch) => {
        expect(batch.position).toBe(batch.events[batch.events.length - 1]!.position);
        received.push(...batch.events);
        for (const event of batch.events) {
          for (const p of [projection, other]) {
            checks.push(db.queryOne(`SELECT position FROM ${p.tableNames.events} WHERE position = $1`, [event.position]));
          }
        }
      });
      const last = await appendEvents(store, { count: 300, streams: 5, prefix: 'notify' });
      await waitUntil(() => received.length > 0 && received[received.length - 1]!.position >= last);
      unsubscribe();

      const positions = received.map((event) => event.position);
      const expected = (await store.readAll({ fromPosition: start, maxCount: 10_000 })).map((event) => event.position);
      expect(positions).toEqual(expected);
      expect((await Promise.all(checks)).every((row) => row !== undefined)).toBe(true);
    }, T);

    it('marks a projection whose apply throws as failed, logs it, and lets the others go on', async () => {
      let broken = true;
      const failing = streamStatsProjection({ prefix: 'fragile', failOn: (e) => broken && e.type === 'Poison' });
      const healthy = streamStatsProjection({ prefix: 'sturdy' });
      const logger = recordingLogger();
      const runner = newRunner([failing, healthy], { logger });
      await runner.start();

      await appendEvents(store, { count: 40, streams: 3, prefix: 'fragile' });
      const before = await store.headPosition();
      const { position: poison } = await store.appendToStream('fragile-x', [{ type: 'Poison', data: {} }]);
      const head = await appendEvents(store, { count: 40, streams: 3, prefix: 'fragile' });

      expect(await runner.waitForPosition(head, 20_000, { projections: ['sturdy'] })).toBe(true);
      await waitUntil(async () => (await runner.status()).projections.find((p) => p.name === 'fragile')?.state === 'failed');
      const status = (await runner.status()).projections.find((p) => p.name === 'fragile')!;
      expect(status).toMatchObject({ state: 'failed', feed: 'failed', position: before, failedPosition: poison, lag: head - before });
      expect(status.error).toContain('Poison');
      expect(logger.errors.some((message) => message.includes(`fragile failed at position ${poison}`))).toBe(true);
      // Its read model stops right before the event that threw.
      expect(await db.queryOne(`SELECT MAX(position) AS last FROM ${failing.tableNames.events}`)).toEqual({ last: before });
      expect(await runner.waitForPosition(head, 200)).toBe(false);

      broken = false;
      expect(await runner.retry('fragile')).toBe(true);
      expect(await runner.waitForPosition(head, 20_000)).toBe(true);
      await expectExactlyOnce(db, store, failing);
      await expectExactlyOnce(db, store, healthy);
    }, T);

    it('rebuilds deterministically: a rebuild gives the same tables, twice', async () => {
      const projection = streamStatsProjection({ prefix: 'determinism' });
      await appendEvents(store, { count: 500, streams: 11, prefix: 'determinism' });
      const runner = newRunner([projection], { batchSize: 64 });
      await runner.start();
      expect(await runner.waitForPosition(await store.headPosition(), 20_000)).toBe(true);
      await runner.stop();

      const live = await digest(db, projection);
      const first = await runner.rebuild('determinism');
      const once = await digest(db, projection);
      const second = await runner.rebuild('determinism');
      const twice = await digest(db, projection);
      expect(once).toBe(live);
      expect(twice).toBe(once);
      expect(second.generation).toBe(first.generation + 1);
      expect(second.events).toBe(first.events);
      await expectExactlyOnce(db, store, projection);
      // No shadow table is left behind; the live table has its index, named for the last swap's generation.
      const names = await tableNames(db, backend);
      expect(names.filter(isShadowTable)).toEqual([]);
      expect(names).toEqual(expect.arrayContaining([`determinism_events__r${second.generation}_by_stream`]));
      expect(names.filter((name) => name.endsWith('_by_stream') && name.startsWith('determinism_events'))).toHaveLength(1);
    }, T);

    if (label === 'PostgreSQL') {
      it('vacuums and analyzes every table it swaps in', async () => {
        const projection = streamStatsProjection({ prefix: 'vacuumed' });
        await appendEvents(store, { count: 3_000, streams: 300, prefix: 'vacuumed' });
        // Batches of 100: each stream's row is replaced in later transactions than the one that wrote it.
        const runner = newRunner([projection], { stagedRebuildBatchSize: 100, rebuildBatchSize: 100 });
        await runner.rebuild('vacuumed');
        const stats = await db.query<{ relname: string; vacuum_count: number; analyze_count: number }>(
          `SELECT relname, vacuum_count, analyze_count FROM pg_stat_user_tables WHERE schemaname = current_schema()`,
        );
        // Swapped in under their live names (the tables made before the rebuild were dropped).
        // Whether every page ends up all-visible depends on snapshots other tests' connections
        // hold meanwhile (int files run side by side), so the vacuum itself is what is asserted.
        for (const table of [projection.tableNames.streams, projection.tableNames.events]) {
          const row = stats.find((candidate) => candidate.relname === table)!;
          expect({ table, vacuumed: Number(row.vacuum_count), analyzed: Number(row.analyze_count) > 0 }).toEqual({ table, vacuumed: 1, analyzed: true });
        }
        await expectExactlyOnce(db, store, projection);
      }, T);
    }

    it('rebuilds several projections in one pass over the log, and none when one of them fails', async () => {
      const together = ['many_a', 'many_b', 'many_c'].map((prefix) => streamStatsProjection({ prefix }));
      await appendEvents(store, { count: 1500, streams: 7, prefix: 'many' });
      const counted = countingStore(store);
      const runner = new ProjectionRunner({ store: counted.store, db, projections: together, batchSize: 100, logger: recordingLogger() });
      runners.push(runner);
      await runner.start();
      const head = await store.headPosition();
      expect(await runner.waitForPosition(head, 20_000)).toBe(true);
      const live = await Promise.all(together.map((projection) => digest(db, projection)));

      const readBefore = counted.eventsRead();
      const results = await runner.rebuildMany();
      // One read of the log for the three (plus what the swaps read: nothing new here).
      expect(counted.eventsRead() - readBefore).toBeLessThanOrEqual(head + 100);
      expect(results.map((result) => [result.name, result.position])).toEqual(together.map((p) => [p.name, head]));
      expect(await Promise.all(together.map((projection) => digest(db, projection)))).toEqual(live);
      for (const projection of together) await expectExactlyOnce(db, store, projection);

      // The same three with one that throws on an event: nothing is swapped, no claim is left.
      const poisoned = (await store.readAll({ fromPosition: 0, maxCount: head }))[Math.floor(head / 2)]!;
      const broken = streamStatsProjection({ prefix: 'many_c', failOn: (event) => event.position === poisoned.position });
      const second = newRunner([together[0]!, together[1]!, broken], { batchSize: 100 });
      const generations = (await second.status()).projections.map((p) => p.generation);
      await expect(second.rebuildMany()).rejects.toThrow(/many_c/);
      const after = await second.status();
      expect(after.projections.map((p) => p.generation)).toEqual(generations);
      expect(after.projections.every((p) => p.rebuild === undefined)).toBe(true);
      expect(await Promise.all(together.map((projection) => digest(db, projection)))).toEqual(live);
      expect((await tableNames(db, backend)).filter(isShadowTable)).toEqual([]);
    }, T);

    it("replays a rebuild from 0 through the projection's fold, finishes it once before anything else is applied, and swaps nothing when its finish fails", async () => {
      await appendEvents(store, { count: 1200, streams: 5, prefix: 'fold' });
      const base = streamStatsProjection({ prefix: 'folded' });
      const calls = { folded: [] as number[], finished: 0, appliedAfter: 0, failFinish: false };
      // A fold that keeps every event in memory and applies them all at finish.
      const folding: Stats = {
        ...base,
        async apply(event, tx, tables) {
          if (calls.finished > 0) calls.appliedAfter++;
          await base.apply(event, tx, tables);
        },
        replayFold: () => {
          const held: RecordedEvent[] = [];
          return {
            async applyBatch(events) {
              calls.folded.push(...events.map((event) => event.position));
              held.push(...events);
            },
            async finish(tx, tables) {
              calls.finished++;
              if (calls.failFinish) throw new Error('the fold cannot write');
              for (const event of held) await base.apply(event, tx, tables);
            },
          };
        },
      };
      const runner = newRunner([folding], { batchSize: 100, stagedRebuildBatchSize: 250 });
      await runner.start();
      const head = await store.headPosition();
      expect(await runner.waitForPosition(head, 20_000)).toBe(true);
      const live = await digest(db, folding);
      calls.finished = 0;

      await runner.rebuild(folding.name);
      // Every event of the replay went through the fold, once and in order, and it was finished once.
      expect(calls.folded).toEqual(Array.from({ length: head }, (_, i) => i + 1));
      expect(calls.finished).toBe(1);
      expect(await digest(db, folding)).toEqual(live);
      await expectExactlyOnce(db, store, folding);

      // Appends during the live feed go through apply (the fold is the replay's only).
      await appendEvents(store, { count: 30, streams: 2, prefix: 'after' });
      expect(await runner.waitForPosition(await store.headPosition(), 20_000)).toBe(true);
      expect(calls.appliedAfter).toBeGreaterThanOrEqual(30);
      await expectExactlyOnce(db, store, folding);

      // A fold whose finish throws: the rebuild fails, names the projection, swaps nothing.
      const before = await digest(db, folding);
      const generation = (await runner.status()).projections[0]!.generation;
      calls.failFinish = true;
      await expect(runner.rebuild(folding.name)).rejects.toThrow(/folded.*the fold cannot write/s);
      const after = await runner.status();
      expect(after.projections[0]!.generation).toBe(generation);
      expect(after.projections[0]!.rebuild).toBeUndefined();
      expect(await digest(db, folding)).toEqual(before);
      expect((await tableNames(db, backend)).filter(isShadowTable)).toEqual([]);
    }, T);

    it('rebuilds while appends go on and queries keep reading the old tables', async () => {
      const projection = streamStatsProjection({ prefix: 'busy' });
      await appendEvents(store, { count: 2000, streams: 9, prefix: 'busy' });
      const runner = newRunner([projection], { batchSize: 100, rebuildBatchSize: 100, stagedRebuildBatchSize: 100 });
      await runner.start();
      expect(await runner.waitForPosition(await store.headPosition(), 20_000)).toBe(true);
      const applied = async (): Promise<number> =>
        (await db.queryOne<{ n: number }>(`SELECT COUNT(*) AS n FROM ${projection.tableNames.events}`))!.n;
      const atStart = await applied();

      // Appends and queries are made from the rebuild's progress callback: they happen while it runs.
      const phases: RebuildProgress['phase'][] = [];
      const seen: Promise<number>[] = [];
      const appends: Promise<number>[] = [];
      const result = await runner.rebuild('busy', {
        onProgress: (progress) => {
          phases.push(progress.phase);
          if (progress.phase !== 'replay') return;
          appends.push(appendEvents(store, { count: 10, streams: 9, prefix: 'busy', concurrency: 2 }));
          seen.push(applied());
        },
      });
      const appended = (await Promise.all(appends)).length * 10;

      expect(appended).toBeGreaterThan(0);
      expect(phases[0]).toBe('replay');
      expect(phases.slice(-2)).toEqual(['swap', 'done']);
      expect(result.events).toBeGreaterThanOrEqual(atStart);
      // Every query during the rebuild read the old, complete tables: never less than at the start.
      expect(seen.length).toBeGreaterThan(10);
      expect(Math.min(...(await Promise.all(seen)))).toBeGreaterThanOrEqual(atStart);

      expect(await runner.waitForPosition(await store.headPosition(), 20_000)).toBe(true);
      await expectExactlyOnce(db, store, projection);
      const afterLive = await digest(db, projection);
      await runner.stop();
      await runner.rebuild('busy');
      expect(await digest(db, projection)).toBe(afterLive);
    }, T);

    it('swaps in a rebuild made by another process while this runner feeds the projection', async () => {
      const projection = streamStatsProjection({ prefix: 'remote' });
      await appendEvents(store, { count: 1500, streams: 6, prefix: 'remote' });
      const runner = newRunner([projection], { batchSize: 100 });
      await runner.start();
      expect(await runner.waitForPosition(await store.headPosition(), 20_000)).toBe(true);
      const generation = (await runner.status()).projections[0]!.generation!;

      const cli = spawnFixture({ target: backend.target, mode: 'rebuild', batchSize: 100, projection: { prefix: 'remote' } });
      const appends: Promise<number>[] = [];
      cli.onLine((line) => {
        if (line.startsWith('progress replay')) appends.push(appendEvents(store, { count: 10, streams: 6, prefix: 'remote', concurrency: 2 }));
      });
      const line = await cli.waitForLine((l) => l.startsWith('rebuilt '));
      const rebuilt = JSON.parse(line.slice('rebuilt '.length)) as { generation: number };
      expect(await cli.exited).toEqual({ code: 0, signal: null });
      await Promise.all(appends);
      expect(appends.length).toBeGreaterThan(5);

      expect(rebuilt.generation).toBe(generation + 1);
      const { position } = await store.appendToStream('remote-after', [{ type: 'Tick', data: {} }]);
      expect(await runner.waitForPosition(position, 20_000)).toBe(true);
      await expectExactlyOnce(db, store, projection);
      expect((await runner.status()).projections[0]).toMatchObject({ generation: generation + 1, state: 'running', lag: 0 });
    }, T);

    it('refuses a second rebuild of a projection while one holds the claim', async () => {
      const projection = streamStatsProjection({ prefix: 'claimed' });
      await appendEvents(store, { count: 200, streams: 3, prefix: 'claimed' });
      // Replayed in many small batches, and the second asked for once the first has replayed one:
      // both started at once, PostgreSQL's first rebuild (one batch of 20,000 by default) could
      // finish before the second took its turn, which then rebuilt too (seen once in CI).
      const runner = newRunner([projection], { batchSize: 20, rebuildBatchSize: 20, stagedRebuildBatchSize: 20 });
      let second: Promise<unknown> | undefined;
      const first = runner.rebuild('claimed', {
        onProgress: (progress) => {
          if (progress.phase !== 'replay' || progress.position === 0 || second) return;
          second = runner.rebuild('claimed');
          second.catch(() => undefined); // settled below, once the first is
        },
      });
      await first.catch(() => undefined);
      expect(second).toBeDefined();
      const outcomes = await Promise.allSettled([first, second]);
      expect(outcomes.map((o) => o.status).sort()).toEqual(['fulfilled', 'rejected']);
      const refused = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected')!;
      expect(refused.reason).toBeInstanceOf(RebuildInProgressError);
      await expectExactlyOnce(db, store, projection);
      const status = (await runner.status()).projections[0]!;
      expect(status.state).toBe('running');
      expect(status.rebuild).toBeUndefined();
    }, T);

    it('takes over the claim of a rebuild whose process died, not of one alive', async () => {
      const projection = streamStatsProjection({ prefix: 'orphan' });
      await appendEvents(store, { count: 50, streams: 2, prefix: 'orphan' });
      const runner = newRunner([projection]);
      await runner.rebuild('orphan');
      const claimBy = (heartbeat: Date) =>
        db.execute(`UPDATE projection_checkpoints SET rebuild_owner = 'elsewhere', rebuild_heartbeat = $1 WHERE name = $2`, [
          heartbeat.toISOString(),
          'orphan',
        ]);

      await claimBy(new Date());
      expect((await runner.status()).projections[0]!.state).toBe('rebuilding');
      await expect(runner.rebuild('orphan')).rejects.toBeInstanceOf(RebuildInProgressError);

      await runner.rebuild('orphan', { force: true });
      expect((await runner.status()).projections[0]!.rebuild).toBeUndefined();

      await claimBy(new Date(Date.now() - 10 * 60_000));
      expect((await runner.status()).projections[0]!.state).toBe('running');
      await runner.rebuild('orphan');
      expect((await runner.status()).projections[0]!.rebuild).toBeUndefined();
      await expectExactlyOnce(db, store, projection);
    }, T);

    it('leaves the live tables as they were when a rebuild is aborted, and releases its claim', async () => {
      const projection = streamStatsProjection({ prefix: 'aborted' });
      await appendEvents(store, { count: 300, streams: 3, prefix: 'aborted' });
      const runner = newRunner([projection], { batchSize: 20 });
      await runner.start();
      expect(await runner.waitForPosition(await store.headPosition(), 20_000)).toBe(true);
      const before = await digest(db, projection);

      const controller = new AbortController();
      const aborted = runner.rebuild('aborted', {
        signal: controller.signal,
        onProgress: (progress) => {
          if (progress.position > 0) controller.abort();
        },
      });
      await expect(aborted).rejects.toBeInstanceOf(RebuildAbortedError);
      expect(await digest(db, projection)).toBe(before);
      expect((await runner.status()).projections[0]!.rebuild).toBeUndefined();
      expect((await tableNames(db, backend)).filter(isShadowTable)).toEqual([]);
      await runner.rebuild('aborted');
      expect(await digest(db, projection)).toBe(before);
    }, T);

    it('builds the indexes only queries use after the replay, not during it, and keeps them through rebuilds', async () => {
      const projection = withQueryIndex('queried');
      await appendEvents(store, { count: 300, streams: 4, prefix: 'queried' });
      const runner = newRunner([projection], { rebuildBatchSize: 50, stagedRebuildBatchSize: 50 });
      await runner.start();
      expect(await runner.waitForPosition(await store.headPosition(), 20_000)).toBe(true);
      const queryIndexes = async (): Promise<string[]> => (await tableNames(db, backend)).filter((name) => /^queried_events.*_by_type$/.test(name));
      // The read store has it from the start.
      expect(await queryIndexes()).toEqual(['queried_events_by_type']);
      await runner.stop();

      const result = await runner.rebuild('queried');
      // After the swap, one index of that kind, named for the generation that built it.
      expect(await queryIndexes()).toEqual([`queried_events__r${result.generation}_by_type`]);
      const digestBefore = await digest(db, projection);
      await runner.rebuild('queried', { staging: false });
      expect(await digest(db, projection)).toBe(digestBefore);
      expect(await queryIndexes()).toEqual([`queried_events__r${result.generation + 1}_by_type`]);
    }, T);

    // PostgreSQL only: SQLite's planner keeps no statistics unless asked (ANALYZE), and none is.
    const onPostgres = label === 'PostgreSQL' ? it : undefined;
    onPostgres?.('leaves PostgreSQL statistics of every replayed row on the tables it swaps in', async () => {
      const projection = streamStatsProjection({ prefix: 'counted' });
      // 6,000 events: the statistics taken as the shadow grows stop at 4,000.
      await appendEvents(store, { count: 6000, streams: 5, prefix: 'counted', concurrency: 64 });
      const runner = newRunner([projection], { rebuildBatchSize: 500, stagedRebuildBatchSize: 500 });
      await runner.rebuild('counted');
      const estimate = await db.queryOne<{ reltuples: number }>(`SELECT reltuples::bigint AS reltuples FROM pg_class WHERE oid = to_regclass($1)`, [
        projection.tableNames.events,
      ]);
      expect(estimate).toEqual({ reltuples: 6000 });
    }, T);

    it('drops the shadow tables a rebuild left under the names used before generations, and the tables a swap set aside', async () => {
      const projection = streamStatsProjection({ prefix: 'legacy' });
      await appendEvents(store, { count: 20, streams: 2, prefix: 'legacy' });
      const runner = newRunner([projection]);
      await runner.start();
      await runner.stop();
      for (const table of projection.tables) await db.execute(`CREATE TABLE ${table}__rebuild (leftover INTEGER)`);
      const first = await runner.rebuild('legacy');
      expect((await tableNames(db, backend)).filter((name) => name.startsWith('legacy_') && name.includes('__rebuild'))).toEqual([]);
      // The swap set the live tables aside and dropped them after it: none left.
      expect((await tableNames(db, backend)).filter((name) => /__o[0-9]+$/.test(name))).toEqual([]);
      // Tables a swap set aside and whose process died before dropping them go at the next claim.
      for (const table of projection.tables) await db.execute(`CREATE TABLE ${table}__o${first.generation - 1} (leftover INTEGER)`);
      await runner.rebuild('legacy');
      expect((await tableNames(db, backend)).filter((name) => /__o[0-9]+$/.test(name))).toEqual([]);
      await expectExactlyOnce(db, store, projection);
    }, T);

    it('replays without the query indexes: none on the shadow tables while the replay runs', async () => {
      const projection = withQueryIndex('unindexed');
      await appendEvents(store, { count: 200, streams: 4, prefix: 'unindexed' });
      const runner = newRunner([projection], { rebuildBatchSize: 50, stagedRebuildBatchSize: 50 });
      const looks: Promise<string[]>[] = [];
      const phases: string[] = [];
      await runner.rebuild('unindexed', {
        staging: false,
        onProgress: (progress) => {
          phases.push(progress.phase);
          if (progress.phase === 'replay' && progress.position > 0) looks.push(tableNames(db, backend));
        },
      });
      expect(phases).toContain('index');
      expect(phases.indexOf('index')).toBeGreaterThan(phases.lastIndexOf('replay'));
      const seen = await Promise.all(looks);
      expect(seen.length).toBeGreaterThan(2);
      // The shadow's events table was there all along, its query index was not.
      for (const names of seen) {
        expect(names.some((name) => /^unindexed_events__r[0-9]+$/.test(name))).toBe(true);
        expect(names.filter((name) => /^unindexed_events__r[0-9]+_by_type$/.test(name))).toEqual([]);
      }
    }, T);

    it('rebuilds on start a projection whose version changed', async () => {
      const v1 = streamStatsProjection({ prefix: 'versioned', version: 1 });
      await appendEvents(store, { count: 300, streams: 4, prefix: 'versioned' });
      const first = newRunner([v1]);
      await first.start();
      expect(await first.waitForPosition(await store.headPosition(), 20_000)).toBe(true);
      await first.stop();
      await db.execute(`DELETE FROM ${v1.tableNames.streams}`); // what v1 built is now wrong

      const v2 = streamStatsProjection({ prefix: 'versioned', version: 2 });
      const second = newRunner([v2]);
      await second.start();
      expect(await second.waitForPosition(await store.headPosition(), 20_000)).toBe(true);
      expect((await second.status()).projections[0]).toMatchObject({ state: 'running', storedVersion: 2, version: 2 });
      await expectExactlyOnce(db, store, v2);
    }, T);
  });
}

async function tableNames(db: SqlDatabase, backend: TestBackend): Promise<string[]> {
  if (backend.target.kind === 'sqlite') {
    return (await db.query<{ name: string }>(`SELECT name FROM sqlite_master ORDER BY name`)).map((r) => r.name);
  }
  return (
    await db.query<{ name: string }>(`SELECT relname AS name FROM pg_class WHERE relnamespace = current_schema()::regnamespace`)
  ).map((r) => r.name);
}

/** The same store, counting the events its reads hand out (readAll pages and subscriptions). */
function countingStore(store: EventStore): { store: EventStore; eventsRead: () => number } {
  let read = 0;
  const counted = new Proxy(store, {
    get(target, property, receiver) {
      if (property === 'readAll') {
        return async (...args: Parameters<EventStore['readAll']>) => {
          const events = await target.readAll(...args);
          read += events.length;
          return events;
        };
      }
      if (property === 'subscribeToAll') {
        return (...args: Parameters<EventStore['subscribeToAll']>) => {
          const subscription = target.subscribeToAll(...args);
          const iterate = subscription[Symbol.asyncIterator].bind(subscription);
          const wrapped: EventSubscription = {
            close: () => subscription.close(),
            [Symbol.asyncIterator]: () => {
              const iterator = iterate();
              return {
                async next() {
                  const result = await iterator.next();
                  if (!result.done) read++;
                  return result;
                },
                return: iterator.return?.bind(iterator),
              };
            },
          };
          return wrapped;
        };
      }
      const value = Reflect.get(target, property, receiver) as unknown;
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
  return { store: counted, eventsRead: () => read };
}

/** Polls a condition (for states only reached through another process or loop), with a timeout. */
async function waitUntil(condition: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('Condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

runnerSuite('SQLite', describe, sqliteBackend);
runnerSuite('PostgreSQL', postgres.describe, () => postgresBackend('proj_runner'));
