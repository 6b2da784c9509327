/**
 * Indicators on a generated school year (issue #8): `npm run bench:indicators`.
 *
 * For each store (SQLite file, PostgreSQL schema), on a year of BENCH_ESTABLISHMENTS
 * establishments written by the real deciders (libs/indicators/src/testing/synthetic-year.ts,
 * about 11,000 events per establishment; the issue's size is 200, about 2,000,000 events):
 * - the catch-up read rate of that store over the whole log (the limit of any rebuild);
 * - the rebuild of all the app's projections together from position 0 through the real
 *   ProjectionRunner (rebuildMany: one read of the log, each batch applied to every shadow in one
 *   transaction with the rebuild checkpoints), in events/s;
 * - the indicators projection's applyBatch alone over pages of 1,000 outside the runner;
 * - p50/p95 of the académie query grouped by establishment over the school year, and of one
 *   space's daily series (the span and the one before it), through the real query handlers.
 * Targets on a 2-core machine: rebuild ≥ 50,000 events/s on SQLite and ≥ 20,000 on PostgreSQL;
 * académie p95 ≤ 50 ms; a space's series p95 ≤ 10 ms.
 *
 * Environment: BENCH_ESTABLISHMENTS (default 20), BENCH_BACKENDS (sqlite,postgres),
 * BENCH_PG_ESTABLISHMENTS (default: the same), BENCH_SAMPLES (query samples, default 100),
 * BENCH_WARMUP (runs of each query before its samples, default 100),
 * BENCH_RUNNER=0 (skip the runner's rebuild; the applyBatch replay then builds the tables the
 * queries read), BENCH_THREADS (a SQLite rebuild's replay threads, default as the app's
 * REBUILD_THREADS: the cores, at most 4; PostgreSQL rebuilds use the runner's 3 connections, each
 * on a thread of its own unless BENCH_THREADS=1),
 * BENCH_SERIAL=1 (also rebuild on one thread and one connection first, for the ratio),
 * BENCH_DATABASE_URL (else TEST_DATABASE_URL, else postgres://postgres@127.0.0.1:5432/test),
 * BENCH_SQLITE_FILE (keep the SQLite year in this file, its read models in `<file>-read`, and reuse it when it already holds events:
 * the year of 200 establishments takes minutes to write); BENCH_PG_SCHEMA the same for PostgreSQL
 * (a schema kept after the run, reused when it holds events); BENCH_REPLAY_BATCH (events per
 * batch of a rebuild's replay, staged on SQLite and on PostgreSQL: the runner's
 * stagedRebuildBatchSize) and BENCH_REBUILD_BATCH (its rebuildBatchSize: batches written on
 * SQLite's read store itself, and the catch-up before the swaps), the runner's defaults
 * otherwise; BENCH_ONLY=name,… rebuilds those projections only (profiling; on a kept store whose
 * tables exist, for the queries).
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { CommandRunner, systemClock, type Clock } from '#ruche/platform';
import { PostgresEventStore, SqliteEventStore, type EventStore } from '#ruche/eventstore';
import { createProjectionTables, openPostgresDatabase, openSqliteDatabase, ProjectionRunner, type SqlDatabase } from '#ruche/projections';
import { SpaceAccess, spacesProjection } from '#ruche/spaces/nest';
import {
  AcademyIndicatorsHandler,
  AcademyIndicatorsQuery,
  FiguresReader,
  indicatorsProjection,
  type IndicatorTable,
  SpaceIndicatorsHandler,
  SpaceIndicatorsQuery,
} from '#ruche/indicators/nest';
import { IndicatorAccess } from '../../libs/indicators/src/nest/indicator-access.js';
import { appProjections, appReplayThreads } from '../../apps/api/src/app-projections.js';
import { syntheticYear } from '../../libs/indicators/src/testing/synthetic-year.js';

type Backend = 'sqlite' | 'postgres';

const log = (message: string): void => void process.stderr.write(`${message}\n`);
const int = (name: string, fallback: number): number => {
  const raw = process.env[name];
  if (!raw) return fallback;
  const value = Number(raw.replace(/[_,]/g, ''));
  if (!Number.isSafeInteger(value) || value < 1) throw new Error(`${name} must be a positive integer`);
  return value;
};
const ESTABLISHMENTS = int('BENCH_ESTABLISHMENTS', 20);
const PG_ESTABLISHMENTS = int('BENCH_PG_ESTABLISHMENTS', ESTABLISHMENTS);
const SAMPLES = int('BENCH_SAMPLES', 100);
/** BENCH_RUNNER=0 skips the rebuild through the runner. */
const WITH_RUNNER = process.env.BENCH_RUNNER !== '0';
const THREADS = int('BENCH_THREADS', Math.min(4, os.availableParallelism()));
const WITH_SERIAL = process.env.BENCH_SERIAL === '1';
/** BENCH_PROFILE=1 also rebuilds each projection alone and prints its time. */
const WITH_PROFILE = process.env.BENCH_PROFILE === '1';
const BACKENDS = (process.env.BENCH_BACKENDS ?? 'sqlite,postgres').split(',').map((b) => b.trim()) as Backend[];
const REBUILD_BATCH = process.env.BENCH_REBUILD_BATCH ? int('BENCH_REBUILD_BATCH', 2000) : undefined;
const REPLAY_BATCH = process.env.BENCH_REPLAY_BATCH ? int('BENCH_REPLAY_BATCH', 10_000) : undefined;
/** The batch sizes asked for, as runner options. */
const batchOptions = {
  ...(REBUILD_BATCH ? { rebuildBatchSize: REBUILD_BATCH } : {}),
  ...(REPLAY_BATCH ? { stagedRebuildBatchSize: REPLAY_BATCH } : {}),
};
const ONLY = process.env.BENCH_ONLY ? process.env.BENCH_ONLY.split(',').map((name) => name.trim()) : undefined;
const KEPT_SQLITE_FILE = process.env.BENCH_SQLITE_FILE;
const KEPT_PG_SCHEMA = process.env.BENCH_PG_SCHEMA;
const POSTGRES_URL = process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const TARGETS = { sqlite: 50_000, postgres: 20_000, academyP95: 50, seriesP95: 10 };
/** The year's queries run as of 1 July, its whole span closed. */
const AFTER_THE_YEAR: Clock = { now: () => new Date('2027-07-01T08:00:00.000Z') };
const quiet = { log: () => undefined, warn: (m: string) => log(`  warn: ${m}`), error: (m: string) => log(`  error: ${m}`) };

interface Result {
  backend: Backend;
  establishments: number;
  events: number;
  fillSeconds: number;
  catchUpRate: number;
  rebuildRate: number;
  rebuildSeconds: number;
  /** Threads or connections the rebuild replayed on side by side. */
  rebuildParallelism: number;
  /** The same rebuild on one thread and one connection (BENCH_SERIAL=1). */
  serialRate: number;
  /** The same projection's applyBatch over pages of the log, one transaction (and checkpoint row) per page. */
  batchRate: number;
  academy: { p50: number; p95: number };
  series: { p50: number; p95: number };
  seriesMonth: { p50: number; p95: number };
}

interface Subject {
  store: EventStore;
  db: SqlDatabase;
  /** The log was written by an earlier run (BENCH_SQLITE_FILE). */
  reused?: boolean;
  dispose(): Promise<void>;
}

async function open(backend: Backend): Promise<Subject> {
  if (backend === 'sqlite' && KEPT_SQLITE_FILE) {
    const filename = path.resolve(KEPT_SQLITE_FILE);
    const reused = existsSync(filename);
    const store = SqliteEventStore.open({ filename });
    // The read models in a file of their own, as the app keeps them (ruche-read.sqlite).
    const db = openSqliteDatabase({ filename: `${filename}-read` });
    return { store, db, reused, dispose: async () => (await db.close(), await store.close()) };
  }
  if (backend === 'sqlite') {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'ruche-bench-indicators-'));
    const filename = path.join(dir, 'ruche.sqlite');
    const store = SqliteEventStore.open({ filename });
    const db = openSqliteDatabase({ filename: path.join(dir, 'ruche-read.sqlite') });
    return { store, db, dispose: async () => (await db.close(), await store.close(), rmSync(dir, { recursive: true, force: true })) };
  }
  const schema = KEPT_PG_SCHEMA ?? `bench_ind_${process.pid}_${Date.now().toString(36)}`;
  const store = await PostgresEventStore.connect({ connectionString: POSTGRES_URL, schema });
  const db = await openPostgresDatabase({ connectionString: POSTGRES_URL, schema });
  if (KEPT_PG_SCHEMA) {
    const reused = (await store.headPosition()) > 0;
    return { store, db, reused, dispose: async () => (await db.close(), await store.close()) };
  }
  return {
    store,
    db,
    dispose: async () => {
      await db.close();
      await store.close();
      const client = new pg.Client({ connectionString: POSTGRES_URL });
      await client.connect();
      await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await client.end();
    },
  };
}

/**
 * Writes the year. Appends are grouped per stream within windows of WINDOW events (so the log
 * stays chronological to within a window, and the fill does not take longer than the rest),
 * WRITERS appends in flight, each stream's appends in order.
 */
async function fill(store: EventStore, establishments: number): Promise<number> {
  const WINDOW = 5_000;
  const WRITERS = 8;
  let count = 0;
  let buffered = 0;
  let buffers = new Map<string, Parameters<EventStore['appendToStream']>[1][number][]>();
  const flush = async (): Promise<void> => {
    const pending = [...buffers];
    buffers = new Map();
    buffered = 0;
    let next = 0;
    const writer = async (): Promise<void> => {
      while (next < pending.length) {
        const [stream, events] = pending[next++]!;
        for (let i = 0; i < events.length; i += 200) await store.appendToStream(stream, events.slice(i, i + 200), { expectedRevision: 'any' });
      }
    };
    await Promise.all(Array.from({ length: WRITERS }, writer));
  };
  let lastReport = performance.now();
  for (const append of syntheticYear({ establishments, seed: 'bench-indicators' })) {
    const list = buffers.get(append.streamName) ?? [];
    list.push(...append.events);
    buffers.set(append.streamName, list);
    buffered += append.events.length;
    count += append.events.length;
    if (buffered >= WINDOW) await flush();
    if (performance.now() - lastReport > 5000) {
      lastReport = performance.now();
      log(`  … ${count.toLocaleString('en')} events written`);
    }
  }
  await flush();
  return count;
}

async function catchUpRate(store: EventStore, head: number): Promise<number> {
  const started = performance.now();
  let seen = 0;
  const subscription = store.subscribeToAll({ fromPosition: 0 });
  for await (const event of subscription) {
    seen++;
    if (event.position >= head) break;
  }
  await subscription.close();
  return seen / ((performance.now() - started) / 1000);
}

/**
 * What a runner that hands whole batches to a projection reaches: the log read in pages of
 * 1,000 (readAll), each page applied by applyBatch to fresh tables in one transaction that also
 * moves a checkpoint row, as the runner's do.
 */
async function batchReplay(subject: Subject, head: number, suffix: string): Promise<number> {
  const tables = Object.fromEntries(indicatorsProjection.tables.map((table) => [table, `${table}${suffix}`])) as Record<IndicatorTable, string>;
  await subject.db.transaction(async (tx) => {
    for (const table of Object.values(tables)) await tx.execute(`DROP TABLE IF EXISTS ${table}`);
    await createProjectionTables(indicatorsProjection, tx, tables);
    await tx.execute('CREATE TABLE IF NOT EXISTS bench_checkpoint (name TEXT PRIMARY KEY, position BIGINT NOT NULL)');
    await tx.execute(`INSERT INTO bench_checkpoint (name, position) VALUES ('indicators', 0) ON CONFLICT (name) DO UPDATE SET position = 0`);
  });
  const started = performance.now();
  let from = 0;
  let count = 0;
  while (from < head) {
    const page = await subject.store.readAll({ fromPosition: from, maxCount: 1000 });
    if (page.length === 0) break;
    const to = page[page.length - 1]!.position;
    await subject.db.transaction(async (tx) => {
      const moved = await tx.execute(`UPDATE bench_checkpoint SET position = $2 WHERE name = 'indicators' AND position = $1`, [from, to]);
      if (moved.rowCount !== 1) throw new Error('checkpoint moved under the replay');
      await indicatorsProjection.applyBatch(page, tx, tables);
    });
    count += page.length;
    from = to;
  }
  return count / ((performance.now() - started) / 1000);
}

/**
 * Runs before the timed samples: the queries of a server that has answered this one 100 times.
 * PostgreSQL settles a prepared statement's plan per connection (custom plans for its first five
 * executions there), and one indicators answer runs about a dozen statements over a pool of 10.
 */
const WARMUP = int('BENCH_WARMUP', 100);

async function timed(samples: number, run: () => Promise<unknown>): Promise<{ p50: number; p95: number }> {
  for (let i = 0; i < WARMUP; i++) await run();
  const times: number[] = [];
  for (let i = 0; i < samples; i++) {
    const started = performance.now();
    await run();
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  const at = (q: number): number => times[Math.min(times.length - 1, Math.ceil(q * times.length) - 1)]!;
  return { p50: at(0.5), p95: at(0.95) };
}

/**
 * Each rebuild creates and drops a few hundred tables; where autovacuum is off (as on our
 * machines: a deployment has it on), the catalogs' dead rows pile up over runs on a kept schema
 * (89,293 in pg_attribute seen) and slow every later rebuild down. Vacuumed before each one.
 */
async function vacuumCatalogs(): Promise<void> {
  const client = new pg.Client({ connectionString: POSTGRES_URL });
  await client.connect();
  try {
    await client.query(
      `VACUUM pg_catalog.pg_attribute, pg_catalog.pg_attrdef, pg_catalog.pg_class, pg_catalog.pg_constraint,
              pg_catalog.pg_depend, pg_catalog.pg_index, pg_catalog.pg_statistic, pg_catalog.pg_type`,
    );
  } finally {
    await client.end();
  }
}

async function benchmark(backend: Backend, establishments: number): Promise<Result> {
  log(`\n${backend}: generating and writing a school year of ${establishments} establishments…`);
  const subject = await open(backend);
  try {
    const fillStarted = performance.now();
    const events = subject.reused ? await subject.store.headPosition() : await fill(subject.store, establishments);
    if (subject.reused) log(`  reusing the year already in ${backend === 'sqlite' ? KEPT_SQLITE_FILE : `schema ${KEPT_PG_SCHEMA}`}`);
    const fillSeconds = (performance.now() - fillStarted) / 1000;
    const head = await subject.store.headPosition();
    log(`  ${events.toLocaleString('en')} events in ${fillSeconds.toFixed(1)} s; reading them back (catch-up subscription)…`);
    const readRate = await catchUpRate(subject.store, head);

    const projections = appProjections(subject.db.dialect);
    const runner = new ProjectionRunner({
      store: subject.store,
      db: subject.db,
      projections,
      logger: quiet,
      ...batchOptions,
      replayThreads: appReplayThreads({ readStore: subject.db.dialect, rebuildThreads: THREADS }),
    });
    const rebuildAll = async (on: ProjectionRunner, label: string, names?: string[]) => {
      if (subject.db.dialect === 'postgres') await vacuumCatalogs();
      log(`  rebuilding ${names ? names.join(', ') : `all ${projections.length} projections of the app`} together from position 0 (${label})…`);
      const started = performance.now();
      let lastReport = started;
      // When each phase began: where the time goes, printed after.
      const phases = new Map<string, number>();
      const results = await on.rebuildMany(names, {
        onProgress: (p) => {
          if (!phases.has(p.phase)) phases.set(p.phase, performance.now());
          if (performance.now() - lastReport > 5000) {
            lastReport = performance.now();
            log(`  … ${p.phase} ${p.position.toLocaleString('en')} / ${p.head.toLocaleString('en')}`);
          }
        },
      });
      const durationMs = performance.now() - started;
      const marks = [...phases.entries(), ['end', performance.now()] as const];
      const spans = marks.slice(0, -1).map(([phase, at], i) => `${phase} ${((marks[i + 1]![1] - at) / 1000).toFixed(1)} s`);
      const posted = results[0]!.posted > 0 ? `, ${results[0]!.posted.toLocaleString('en')} events posted to the other threads` : '';
      log(`  ${(durationMs / 1000).toFixed(1)} s, ${results[0]!.parallelism} side by side (${spans.join(', ')})${posted}`);
      return { events: Math.max(...results.map((r) => r.events)), durationMs, parallelism: results[0]!.parallelism };
    };
    let serial: { events: number; durationMs: number } | undefined;
    let rebuild: { events: number; durationMs: number; parallelism: number } | undefined;
    if (WITH_RUNNER) {
      if (WITH_SERIAL) {
        const one = new ProjectionRunner({ store: subject.store, db: subject.db, projections, logger: quiet, rebuildConnections: 1, ...batchOptions });
        serial = await rebuildAll(one, 'one thread, one connection');
      }
      rebuild = await rebuildAll(
        runner,
        subject.db.dialect === 'sqlite' ? `up to ${THREADS} threads` : `the runner's connections${THREADS > 1 ? ', a thread each' : ''}`,
        ONLY,
      );
      if (WITH_PROFILE) {
        // Each projection alone, on one thread and one connection: what each costs to replay.
        const one = new ProjectionRunner({ store: subject.store, db: subject.db, projections, logger: quiet, rebuildConnections: 1, ...batchOptions });
        for (const projection of projections) await rebuildAll(one, projection.name, [projection.name]);
      }
    } else {
      // The spaces read model serves the access checks of the queries below (not timed).
      await runner.rebuild(spacesProjection.name);
    }
    log('  replaying it a batch at a time (applyBatch), as a batching runner would…');
    // Without the runner's rebuild, the replay builds the very tables the queries read.
    const batched = await batchReplay(subject, head, WITH_RUNNER ? '_bench' : '');

    const access = new IndicatorAccess(new SpaceAccess(subject.db, new CommandRunner(subject.store, systemClock)), subject.db);
    const reader = new FiguresReader(subject.db);
    const academy = new AcademyIndicatorsHandler(subject.db, access, reader, AFTER_THE_YEAR);
    const spaces = new SpaceIndicatorsHandler(access, reader, AFTER_THE_YEAR);
    const dane = { userId: 'bench-dane', roles: ['dane'] };
    const busiest = await subject.db.queryOne<{ space_id: string; n: number }>(
      `SELECT space_id, SUM(views + replies + topics) AS n FROM ind_space_days GROUP BY space_id ORDER BY SUM(views + replies + topics) DESC LIMIT 1`,
    );
    const year = { from: '2026-09-01', to: '2027-06-30' };
    const sample = await academy.execute(new AcademyIndicatorsQuery(dane, year, 'establishment'));
    log(`  académie: ${sample.rows.length} rows, ${sample.totals.views.toLocaleString('en')} views over the year; timing the queries…`);
    const academyTimes = await timed(SAMPLES, () => academy.execute(new AcademyIndicatorsQuery(dane, year, 'establishment')));
    const seriesTimes = await timed(SAMPLES, () => spaces.execute(new SpaceIndicatorsQuery(dane, busiest!.space_id, { from: '2027-05-01', to: '2027-05-30' })));
    const monthTimes = await timed(SAMPLES, () => spaces.execute(new SpaceIndicatorsQuery(dane, busiest!.space_id, { ...year, granularity: 'month' })));
    return {
      backend,
      establishments,
      events,
      fillSeconds,
      catchUpRate: readRate,
      rebuildRate: rebuild ? rebuild.events / (rebuild.durationMs / 1000) : Number.NaN,
      rebuildSeconds: rebuild ? rebuild.durationMs / 1000 : Number.NaN,
      rebuildParallelism: rebuild?.parallelism ?? 1,
      serialRate: serial ? serial.events / (serial.durationMs / 1000) : Number.NaN,
      batchRate: batched,
      academy: academyTimes,
      series: seriesTimes,
      seriesMonth: monthTimes,
    };
  } finally {
    await subject.dispose();
  }
}

async function postgresReachable(): Promise<boolean> {
  const client = new pg.Client({ connectionString: POSTGRES_URL, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.end();
    return true;
  } catch {
    return false;
  }
}

const fmt = (n: number): string => Math.round(n).toLocaleString('en');
const ms = (n: number): string => `${n.toFixed(1)} ms`;
const verdict = (ok: boolean): string => (ok ? 'PASS' : 'MISS');

const results: Result[] = [];
for (const backend of BACKENDS) {
  if (backend === 'postgres' && !(await postgresReachable())) {
    log(`\npostgres: not reachable at ${POSTGRES_URL}, skipped`);
    continue;
  }
  results.push(await benchmark(backend, backend === 'postgres' ? PG_ESTABLISHMENTS : ESTABLISHMENTS));
}

const lines = [
  '',
  `Indicators on a generated school year (${os.cpus().length} cores, ${SAMPLES} samples per query after ${WARMUP} warm-up runs)`,
  '| store | establishments | events | catch-up read (events/s) | rebuild of all the app\'s projections together through the runner (events/s) | rebuild / read | the same on one thread and connection (events/s) | the indicators\' applyBatch alone, pages of 1,000, a transaction each (events/s; the live runner\'s pace, no target) | académie by establishment, year (p50 / p95) | space daily series, 30 days + 30 before (p50 / p95) | space monthly series, year (p50 / p95) |',
  '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  ...results.map(
    (r) =>
      `| ${r.backend} | ${r.establishments} | ${fmt(r.events)} | ${fmt(r.catchUpRate)} | ${Number.isNaN(r.rebuildRate) ? 'not run (BENCH_RUNNER=0)' : `${fmt(r.rebuildRate)} (${r.rebuildSeconds.toFixed(1)} s, ${r.rebuildParallelism} side by side) ${verdict(r.rebuildRate >= TARGETS[r.backend])} ≥ ${fmt(TARGETS[r.backend])}`} | ${Number.isNaN(r.rebuildRate) ? '-' : (r.rebuildRate / r.catchUpRate).toFixed(2)} | ${Number.isNaN(r.serialRate) ? 'not run (BENCH_SERIAL=1)' : `${fmt(r.serialRate)} (×${(r.rebuildRate / r.serialRate).toFixed(2)} side by side)`} | ${fmt(r.batchRate)} | ${ms(r.academy.p50)} / ${ms(r.academy.p95)} ${verdict(r.academy.p95 <= TARGETS.academyP95)} | ${ms(r.series.p50)} / ${ms(r.series.p95)} ${verdict(r.series.p95 <= TARGETS.seriesP95)} | ${ms(r.seriesMonth.p50)} / ${ms(r.seriesMonth.p95)} |`,
  ),
  '',
];
process.stdout.write(lines.join('\n'));
