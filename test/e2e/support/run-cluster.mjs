// `npm run test:e2e:cluster`: the e2e suite with two API processes per PostgreSQL test app
// (E2E_PROCESSES=2, test/e2e/support/test-app.ts). It needs PostgreSQL and Redis: without them it
// says so and does not run, or fails under REQUIRE_SERVICES=1 (CI). Extra arguments go to jest.
import { spawn } from 'node:child_process';
import pg from 'pg';
import { Redis } from 'ioredis';

const databaseUrl = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const redisUrl = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

async function missing() {
  const problems = [];
  const client = new pg.Client({ connectionString: databaseUrl, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('select 1');
  } catch (error) {
    problems.push(`PostgreSQL at ${databaseUrl}: ${error.message}`);
  } finally {
    await client.end().catch(() => undefined);
  }
  const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 2000 });
  try {
    await redis.connect();
    await redis.ping();
  } catch (error) {
    problems.push(`Redis at ${redisUrl}: ${error.message}`);
  } finally {
    redis.disconnect();
  }
  return problems;
}

const problems = await missing();
if (problems.length > 0) {
  const why = problems.map((p) => `  - ${p}`).join('\n');
  if (process.env.REQUIRE_SERVICES === '1') {
    console.error(`test:e2e:cluster: PostgreSQL and Redis are required (REQUIRE_SERVICES=1) but not reachable:\n${why}`);
    process.exit(1);
  }
  console.warn(`[not run] test:e2e:cluster (the e2e suite on two API processes) needs PostgreSQL and Redis:\n${why}`);
  process.exit(0);
}

/**
 * Files that would run here exactly as in `npm run test:e2e`, left out to keep CI short: a spec
 * file not listed gets two processes for each of its PostgreSQL apps.
 */
const sameAsSingleProcess = [
  // SQLite only.
  'identity', 'operations', 'openapi-document', 'live-shutdown',
  // Single-process by design (see their startTestApp's singleProcess).
  'health', 'demo-seed', 'openapi-fuzz',
  // Starts two server processes of its own.
  'live-cluster',
];
const ignored = ['/node_modules/', '/dist/', ...sameAsSingleProcess.map((name) => `/test/e2e/${name}\\.e2e\\.spec\\.ts$`)];

const started = Date.now();
const jest = spawn(
  process.execPath,
  [
    '--experimental-vm-modules', 'node_modules/jest/bin/jest.js', '--selectProjects', 'e2e', '--maxWorkers=2',
    ...ignored.flatMap((pattern) => ['--testPathIgnorePatterns', pattern]),
    ...process.argv.slice(2),
  ],
  { stdio: 'inherit', env: { ...process.env, E2E_PROCESSES: '2' } },
);
jest.on('exit', (code, signal) => {
  console.log(`test:e2e:cluster: ${((Date.now() - started) / 1000).toFixed(0)} s`);
  process.exit(code ?? (signal ? 1 : 0));
});
