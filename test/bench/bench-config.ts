import path from 'node:path';

export type Backend = 'sqlite' | 'postgres';
export type Impl = 'ours' | 'emmett' | 'raw';

export const ALL_BACKENDS: readonly Backend[] = ['sqlite', 'postgres'];
export const ALL_IMPLS: readonly Impl[] = ['ours', 'emmett', 'raw'];

/** Sizes and switches of one benchmark run, read once from the environment. */
export interface BenchConfig {
  /** Events in the log that readAll and the catch-up subscription go through. */
  events: number;
  /** Single-event appends timed per line (the 1-caller and the N-caller line alike). */
  appends: number;
  /** Concurrent callers of the concurrent single-event line. */
  callers: number;
  /** Batches timed on the batch line, of `batchSize` events each. */
  batches: number;
  batchSize: number;
  /** Events per append while filling the log for the read lines (not timed). */
  fillBatch: number;
  /** Page size of readAll, of the catch-up reads, and of Emmett's consumer. */
  pageSize: number;
  /** Each append line runs this many times on a fresh store; the median is reported. */
  rounds: number;
  /** Time budget of each read line; a read still going then stops and its rate is partial. */
  readSeconds: number;
  backends: Backend[];
  impls: Impl[];
  databaseUrl: string;
  jsonPath: string;
}

function intFromEnv(name: string, fallback: number, min = 1): number {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = Number(raw.replace(/[_,]/g, ''));
  if (!Number.isSafeInteger(value) || value < min) {
    throw new Error(`${name} must be an integer >= ${min} (got ${JSON.stringify(raw)})`);
  }
  return value;
}

function listFromEnv<T extends string>(name: string, allowed: readonly T[]): T[] {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return [...allowed];
  const picked = raw.split(',').map((item) => item.trim().toLowerCase());
  for (const item of picked) {
    if (!(allowed as readonly string[]).includes(item)) {
      throw new Error(`${name}: unknown ${JSON.stringify(item)} (allowed: ${allowed.join(', ')})`);
    }
  }
  return allowed.filter((item) => picked.includes(item));
}

export function readConfig(): BenchConfig {
  const config: BenchConfig = {
    events: intFromEnv('BENCH_EVENTS', 1_000_000),
    appends: intFromEnv('BENCH_APPENDS', 2_000),
    callers: intFromEnv('BENCH_CALLERS', 8),
    batches: intFromEnv('BENCH_BATCHES', 200),
    batchSize: intFromEnv('BENCH_BATCH_SIZE', 100),
    fillBatch: intFromEnv('BENCH_FILL_BATCH', 1_000),
    pageSize: intFromEnv('BENCH_PAGE_SIZE', 1_000),
    rounds: intFromEnv('BENCH_ROUNDS', 3),
    readSeconds: intFromEnv('BENCH_READ_SECONDS', 120),
    backends: listFromEnv('BENCH_BACKENDS', ALL_BACKENDS),
    impls: listFromEnv('BENCH_IMPLS', ALL_IMPLS),
    databaseUrl:
      process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test',
    jsonPath: path.resolve(process.env.BENCH_JSON ?? 'dist/bench/eventstore-bench.json'),
  };
  if (config.appends < config.callers) {
    throw new Error(`BENCH_APPENDS (${config.appends}) must be at least BENCH_CALLERS (${config.callers})`);
  }
  return config;
}
