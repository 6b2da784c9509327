/**
 * Event-store benchmark: our SQLite and PostgreSQL adapters against Emmett's stores and against
 * the raw limit (plain driver inserts of the same rows, same durability, same concurrency), on
 * the same work. `npm run bench:eventstore`; docs/benchmarks.md says what each line measures.
 * The table goes to stdout, progress to stderr, everything to a JSON file (BENCH_JSON).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { readConfig, type Backend, type BenchConfig, type Impl } from './bench-config.js';
import {
  Progress,
  busyShare,
  countEvents,
  cpuSample,
  driveBatchAppends,
  driveCatchUp,
  driveReadAll,
  driveSingleAppends,
  fillLog,
  median,
  replyEvent,
  type BenchStore,
  type BenchSubject,
  type Timed,
} from './bench-workload.js';
import { LINE_IDS, renderNotes, renderTable, summarize, type LineId, type Measurement } from './bench-report.js';
import {
  emmettSqlite,
  emmettSqliteConcurrent,
  emmettSqliteDurability,
  oursSqlite,
  rawSqlite,
} from './sqlite-subjects.bench-support.js';
import {
  emmettPostgres,
  oursPostgres,
  postgresDurability,
  rawPostgres,
} from './postgres-subjects.bench-support.js';

const WARMUP_APPENDS = 16;
/** How long the probe of Emmett's SQLite store with truly concurrent appends may run. */
const PROBE_MS = Number(process.env.BENCH_PROBE_SECONDS ?? 10) * 1000;
let suppressedLogs = 0;
let uncaughtSqliteErrors = 0;

/**
 * Emmett's SQLite connection runs `PRAGMA journal_mode = WAL` without a callback: when that
 * fails (SQLITE_BUSY under contention), node-sqlite3 emits an 'error' event nobody listens to,
 * which would end the process. Such errors are counted and reported; anything else still ends it.
 */
function countUncaughtSqliteErrors(error: unknown): void {
  const code = (error as { code?: unknown }).code;
  // better-sqlite3 (ours, raw) throws SqliteError synchronously: never one of these.
  const fromNodeSqlite3 = error instanceof Error && error.name !== 'SqliteError';
  if (fromNodeSqlite3 && typeof code === 'string' && code.startsWith('SQLITE_')) {
    uncaughtSqliteErrors++;
    log(`  uncaught ${code} from node-sqlite3 (Emmett): counted`);
    return;
  }
  log(`benchmark failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  process.exit(1);
}

function log(message: string): void {
  process.stderr.write(`${message}\n`);
}

function gc(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

function describeError(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0].slice(0, 300);
}

function subjectsFor(backend: Backend, config: BenchConfig): BenchSubject[] {
  const all: Record<Impl, BenchSubject> =
    backend === 'sqlite'
      ? { ours: oursSqlite, emmett: emmettSqlite, raw: rawSqlite }
      : {
          ours: oursPostgres(config.databaseUrl, config.callers),
          emmett: emmettPostgres(config.databaseUrl),
          raw: rawPostgres(config.databaseUrl, config.callers),
        };
  return config.impls.map((impl) => all[impl]);
}

/** Opens a fresh store, warms it (connections, statements, schema), times the line, checks the count. */
type AppendRound = Timed & { commits?: number; retries: number; anomaly?: string };

async function measureAppendLine(subject: BenchSubject, line: LineId, config: BenchConfig): Promise<AppendRound> {
  const store = await openTracked(subject);
  try {
    for (let i = 0; i < WARMUP_APPENDS; i++) await store.append('warmup-1', i - 1, [replyEvent('warmup-1')]);
    const commitsBefore = store.commits();
    const task = `[${subject.backend}] ${subject.impl} · ${lineLabel(line, config)}`;
    let result: Timed;
    let expected: number;
    if (line === 'batch') {
      expected = config.batches * config.batchSize;
      result = await driveBatchAppends(store, config.batches, config.batchSize, new Progress(task, expected, 'events'));
    } else {
      const callers = line === 'append1' ? 1 : config.callers;
      expected = config.appends;
      result = await driveSingleAppends(store, callers, config.appends, new Progress(task, expected, 'appends'));
    }
    const { stored, paged } = await countEvents(store, config.pageSize);
    if (stored !== WARMUP_APPENDS + expected) {
      throw new Error(`stored ${stored} events, expected ${WARMUP_APPENDS + expected}`);
    }
    const anomaly =
      paged === stored ? undefined : `paging through its reads after ${lineLabel(line, config)} returned ${paged} events for ${stored} stored`;
    const commitsAfter = store.commits();
    const commits = commitsBefore !== undefined && commitsAfter !== undefined ? commitsAfter - commitsBefore : undefined;
    return { ...result, commits, retries: store.retries(), anomaly };
  } finally {
    await closeTracked(store);
  }
}

/**
 * Emmett's SQLite store taking concurrent appends as they come (retrying SQLITE_BUSY), for a
 * bounded time: what an application gets without serializing them itself.
 */
async function probeEmmettSqliteConcurrent(config: BenchConfig): Promise<string> {
  const uncaughtBefore = uncaughtSqliteErrors;
  const store = await openTracked(emmettSqliteConcurrent);
  try {
    await store.append('warmup-1', -1, [replyEvent('warmup-1')]);
    const logsBefore = suppressedLogs;
    const task = `[sqlite] emmett · probe: ${config.callers} truly concurrent callers, at most ${PROBE_MS / 1000} s`;
    const timed = await driveSingleAppends(store, config.callers, config.appends, new Progress(task, config.appends, 'appends'), PROBE_MS);
    const rate = Math.round((timed.count / timed.ms) * 1000);
    return (
      `emmett with ${config.callers} truly concurrent callers (no in-process serialization): ${timed.count} appends in ` +
      `${(timed.ms / 1000).toFixed(1)} s (${rate}/s), ${store.retries()} appends retried after SQLITE_BUSY, ` +
      `${suppressedLogs - logsBefore} failed transactions logged by Emmett, ${uncaughtSqliteErrors - uncaughtBefore} uncaught SQLITE errors ` +
      `(each would crash a process); the figure in the table serializes Emmett's appends in-process`
    );
  } finally {
    await closeTracked(store);
  }
}

/** Stores open right now: an interrupted run still removes their files and schemas. */
const openStores = new Set<BenchStore>();

async function openTracked(subject: BenchSubject): Promise<BenchStore> {
  const store = await subject.open();
  openStores.add(store);
  return store;
}

async function closeTracked(store: BenchStore): Promise<void> {
  openStores.delete(store);
  await store.close();
}

function cleanUpOnSignal(signal: NodeJS.Signals): void {
  log(`${signal}: removing the stores of the measurement in progress`);
  const closing = [...openStores].map((store) => store.close());
  openStores.clear();
  const exit = () => process.exit(128 + (signal === 'SIGINT' ? 2 : 15));
  Promise.allSettled(closing).then(exit, exit);
  setTimeout(exit, 10_000).unref();
}

function lineLabel(line: LineId, config: BenchConfig): string {
  switch (line) {
    case 'append1':
      return 'single appends, 1 caller';
    case 'appendN':
      return `single appends, ${config.callers} callers`;
    case 'batch':
      return `${config.batchSize}-event batches`;
    case 'readAll':
      return 'readAll';
    case 'catchUp':
      return 'catch-up';
  }
}

async function runAppendLines(backend: Backend, subjects: BenchSubject[], config: BenchConfig, out: Measurement[]): Promise<void> {
  for (const line of ['append1', 'appendN', 'batch'] as const) {
    const perImpl = new Map<Impl, { rounds: AppendRound[]; error?: string }>();
    for (let round = 0; round < config.rounds; round++) {
      if (config.rounds > 1) log(`[${backend}] ${lineLabel(line, config)}: round ${round + 1}/${config.rounds}`);
      // Implementations take turns within a round, so a burst of load from elsewhere hits all.
      for (const subject of subjects) {
        const entry = perImpl.get(subject.impl) ?? { rounds: [] };
        perImpl.set(subject.impl, entry);
        if (entry.error) continue;
        gc();
        try {
          entry.rounds.push(await measureAppendLine(subject, line, config));
        } catch (error) {
          entry.error = describeError(error);
          log(`  [${backend}] ${subject.impl} · ${lineLabel(line, config)} FAILED: ${entry.error}`);
        }
      }
    }
    for (const subject of subjects) {
      const entry = perImpl.get(subject.impl);
      if (!entry) continue;
      const rates = entry.rounds.map((r) => (r.count / r.ms) * 1000);
      const anomalies = entry.rounds.flatMap((r) => (r.anomaly ? [`${subject.impl}: ${r.anomaly}`] : []));
      const m: Measurement = { backend, impl: subject.impl, line, rounds: rates.map(Math.round), error: entry.error, notes: anomalies };
      if (rates.length > 0 && !entry.error) {
        const mid = median(rates);
        const chosen = entry.rounds[rates.indexOf(rates.reduce((best, r) => (Math.abs(r - mid) < Math.abs(best - mid) ? r : best)))];
        Object.assign(m, {
          rate: mid,
          count: chosen.count,
          ms: Math.round(chosen.ms),
          machineBusy: chosen.machineBusy,
          commits: chosen.commits,
          retries: chosen.retries,
        });
      }
      if (backend === 'sqlite' && line === 'appendN' && subject.impl === 'emmett' && PROBE_MS > 0) {
        try {
          m.notes = [...anomalies, await probeEmmettSqliteConcurrent(config)];
        } catch (error) {
          m.notes = [...anomalies, `emmett with truly concurrent callers failed: ${describeError(error)}`];
        }
      }
      out.push(m);
      log(`  [${backend}] ${subject.impl} · ${lineLabel(line, config)}: ${m.rate !== undefined ? `${Math.round(m.rate).toLocaleString('en-US')}/s` : 'no figure'}`);
    }
  }
}

async function runReadLines(backend: Backend, subjects: BenchSubject[], config: BenchConfig, out: Measurement[]): Promise<void> {
  for (const subject of subjects) {
    gc();
    const record = (line: LineId, timed?: Timed, error?: string, notes?: string[], partial?: boolean) => {
      const rate = timed && !error ? (timed.count / timed.ms) * 1000 : undefined;
      out.push({
        backend,
        impl: subject.impl,
        line,
        rate,
        rounds: rate === undefined ? [] : [Math.round(rate)],
        count: timed?.count,
        ms: timed ? Math.round(timed.ms) : undefined,
        machineBusy: timed?.machineBusy,
        loadAverage: os.loadavg()[0],
        error,
        notes,
        partial,
      });
      log(`  [${backend}] ${subject.impl} · ${lineLabel(line, config)}: ${rate !== undefined ? `${Math.round(rate).toLocaleString('en-US')} events/s` : `FAILED: ${error}`}`);
    };
    let store: BenchStore | undefined;
    try {
      store = await openTracked(subject);
      await fillLog(store, config.events, config.fillBatch, new Progress(`[${backend}] ${subject.impl} · filling the log (not timed)`, config.events, 'events'));
      gc();
      for (const line of ['readAll', 'catchUp'] as const) {
        const task = `[${backend}] ${subject.impl} · ${lineLabel(line, config)}`;
        try {
          const budgetMs = config.readSeconds * 1000;
          const progress = new Progress(task, config.events, 'events');
          const timed =
            line === 'readAll'
              ? await driveReadAll(store, config.pageSize, progress, budgetMs)
              : await driveCatchUp(store, config.events, config.pageSize, progress, budgetMs);
          if (timed.count === config.events) record(line, timed);
          else if (timed.count < config.events && timed.ms >= budgetMs) {
            record(line, timed, undefined, [
              `${subject.impl}: stopped by the ${config.readSeconds} s budget (BENCH_READ_SECONDS) after ` +
                `${timed.count.toLocaleString('en-US')} of ${config.events.toLocaleString('en-US')} events; the rate (marked *) is over those`,
            ], true);
          } else record(line, timed, `saw ${timed.count} events, expected ${config.events}`);
        } catch (error) {
          record(line, undefined, describeError(error));
        }
        gc();
      }
    } catch (error) {
      const message = describeError(error);
      for (const line of ['readAll', 'catchUp'] as const) {
        if (!out.some((m) => m.backend === backend && m.impl === subject.impl && m.line === line)) record(line, undefined, message);
      }
    } finally {
      if (store) await closeTracked(store).catch((error: unknown) => log(`  closing ${subject.impl}: ${describeError(error)}`));
    }
  }
}

async function postgresReachable(url: string): Promise<string | undefined> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return undefined;
  } catch (error) {
    return describeError(error);
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function main(): Promise<void> {
  // Emmett logs every failed transaction with console.log: keep stdout for the table alone, and
  // count those lines instead of flooding the progress.
  console.log = () => {
    suppressedLogs++;
  };
  process.on('uncaughtException', countUncaughtSqliteErrors);
  process.once('SIGINT', cleanUpOnSignal);
  process.once('SIGTERM', cleanUpOnSignal);
  const config = readConfig();
  const startedAt = new Date();
  const loadStart = os.loadavg();
  const cpuStart = cpuSample();
  log(
    `Event-store benchmark on ${os.cpus().length} cores; load average ${loadStart.map((l) => l.toFixed(2)).join(' / ')} (1/5/15 min)\n` +
      `  events=${config.events} appends=${config.appends} callers=${config.callers} batches=${config.batches}×${config.batchSize} ` +
      `page=${config.pageSize} rounds=${config.rounds} backends=${config.backends.join(',')} impls=${config.impls.join(',')}`,
  );

  const durability: Record<string, string> = {};
  const labels: Record<string, string> = {};
  const measurements: Measurement[] = [];
  for (const backend of config.backends) {
    const subjects = subjectsFor(backend, config);
    for (const subject of subjects) labels[`${backend}/${subject.impl}`] = subject.label;
    if (backend === 'postgres') {
      const unreachable = await postgresReachable(config.databaseUrl);
      if (unreachable) {
        log(`[postgres] not reachable (${unreachable}): its lines have no figures`);
        for (const subject of subjects) {
          for (const line of LINE_IDS) measurements.push({ backend, impl: subject.impl, line, rounds: [], error: `PostgreSQL not reachable: ${unreachable}` });
        }
        continue;
      }
      durability.postgres = await postgresDurability(config.databaseUrl);
    } else {
      durability.sqlite = 'ours and raw: journal_mode=WAL, synchronous=FULL (set on open)';
      if (config.impls.includes('emmett')) durability.sqliteEmmett = `emmett: ${await emmettSqliteDurability()} (synchronous: the library default)`;
    }
    log(`[${backend}] ${durability[backend]}`);
    await runAppendLines(backend, subjects, config, measurements);
    await runReadLines(backend, subjects, config, measurements);
  }

  const loadEnd = os.loadavg();
  const machineBusy = busyShare(cpuStart, cpuSample());
  const summaries = summarize(measurements, config);
  const loadLine =
    `Machine: ${os.cpus().length} cores; load average at start ${loadStart.map((l) => l.toFixed(2)).join(' / ')}, ` +
    `at end ${loadEnd.map((l) => l.toFixed(2)).join(' / ')} (1/5/15 min); ` +
    `CPU busy during the run ${(machineBusy * 100).toFixed(0)}% (this benchmark, its databases and anything else).`;
  const durabilityLines = Object.values(durability).map((d) => `- ${d}`);
  const notes = renderNotes(summaries);
  process.stdout.write(
    [
      '',
      `Event-store benchmark, ${startedAt.toISOString()}`,
      loadLine,
      'Durability:',
      ...durabilityLines,
      '',
      renderTable(summaries),
      '',
      ...(notes ? ['Notes:', notes, ''] : []),
      ...(uncaughtSqliteErrors > 0
        ? [`node-sqlite3 (Emmett's SQLite store) raised ${uncaughtSqliteErrors} uncaught errors during the run; each would have ended a normal process.`, '']
        : []),
      `JSON: ${path.relative(process.cwd(), config.jsonPath)}`,
      '',
    ].join('\n'),
  );

  mkdirSync(path.dirname(config.jsonPath), { recursive: true });
  writeFileSync(
    config.jsonPath,
    `${JSON.stringify(
      {
        startedAt: startedAt.toISOString(),
        finishedAt: new Date().toISOString(),
        machine: { cores: os.cpus().length, loadAverageStart: loadStart, loadAverageEnd: loadEnd, cpuBusyDuringRun: machineBusy },
        config,
        durability,
        uncaughtSqliteErrors,
        implementations: labels,
        lines: summaries,
        measurements,
      },
      null,
      2,
    )}\n`,
  );
  // Our own adapter failing is a failed run; Emmett or a missing server is reported, not fatal.
  if (measurements.some((m) => m.impl === 'ours' && m.error && !m.error.startsWith('PostgreSQL not reachable'))) process.exitCode = 1;
}

main().catch((error: unknown) => {
  log(`benchmark failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  process.exitCode = 1;
});
