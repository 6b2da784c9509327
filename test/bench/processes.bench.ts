import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import pg from 'pg';

/**
 * Write throughput of the whole API with 1, 2 and 4 processes on one PostgreSQL database (and
 * Redis): each process is `node dist/apps/api/src/main.js`; CALLERS clients send `POST
 * /api/spaces` (one command, one event, through the CommandRunner, the projections catching up
 * behind) spread over the processes, for SECONDS seconds per line. Prints commands/s and p50/p99.
 *
 *   npm run bench:processes    (BENCH_PROCESSES=1,2,4 BENCH_SECONDS=8 BENCH_CALLERS=16)
 */
const databaseUrl = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const redisUrl = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const counts = (process.env.BENCH_PROCESSES ?? '1,2,4').split(',').map(Number);
const seconds = Number(process.env.BENCH_SECONDS ?? 8);
const callers = Number(process.env.BENCH_CALLERS ?? 16);
const main = path.resolve('dist/apps/api/src/main.js');

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function startProcess(schema: string): Promise<{ child: ChildProcess; base: string }> {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const child = spawn(process.execPath, [main], {
    env: {
      PATH: process.env.PATH ?? '',
      NODE_ENV: 'development',
      PORT: String(port),
      PUBLIC_URL: base,
      DATABASE_URL: databaseUrl,
      DATABASE_SCHEMA: schema,
      REDIS_URL: redisUrl,
      SEED: 'none',
      LOG_LEVEL: 'error',
      RATE_LIMIT_SIGN_IN: '0',
      RATE_LIMIT_WRITES_PER_USER: '0',
      RATE_LIMIT_WRITES_PER_IP: '0',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (Date.now() > deadline) throw new Error('a process did not become ready');
    try {
      if ((await fetch(`${base}/api/health/ready`)).status === 200) return { child, base };
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function line(count: number): Promise<{ processes: number; commands: number; perSecond: number; p50: number; p99: number }> {
  const schema = `bench_procs_${count}_${Date.now().toString(36)}`;
  // One at a time: the first creates the tables, the others find them.
  const processes: Array<{ child: ChildProcess; base: string }> = [];
  for (let i = 0; i < count; i++) processes.push(await startProcess(schema));
  try {
    const cookies = await Promise.all(
      Array.from({ length: callers }, async (_, k) => {
        const { base } = processes[k % count]!;
        const response = await fetch(`${base}/api/auth/dev-login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: `bench${k}@ac-bench.fr` }) });
        return response.headers.getSetCookie()[0]!.split(';')[0]!;
      }),
    );
    const latencies: number[] = [];
    const until = performance.now() + seconds * 1000;
    await Promise.all(
      cookies.map(async (cookie, k) => {
        const { base } = processes[k % count]!;
        for (let i = 0; performance.now() < until; i++) {
          const started = performance.now();
          const response = await fetch(`${base}/api/spaces`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', cookie },
            body: JSON.stringify({ name: `Espace ${k}-${i}`, kind: 'thematic', visibility: 'public' }),
          });
          await response.arrayBuffer();
          if (response.status !== 201) throw new Error(`POST /api/spaces answered ${response.status}`);
          latencies.push(performance.now() - started);
        }
      }),
    );
    latencies.sort((a, b) => a - b);
    const at = (q: number): number => Math.round(latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]! * 10) / 10;
    return { processes: count, commands: latencies.length, perSecond: Math.round(latencies.length / seconds), p50: at(0.5), p99: at(0.99) };
  } finally {
    await Promise.all(processes.map(({ child }) => new Promise((resolve) => (child.once('exit', resolve), child.kill('SIGTERM')))));
    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await client.end();
  }
}

const results = [];
for (const count of counts) {
  const result = await line(count);
  console.log(`${count} process(es): ${result.perSecond} commands/s (${result.commands} in ${seconds} s, ${callers} callers), p50 ${result.p50} ms, p99 ${result.p99} ms`);
  results.push(result);
}
console.table(results);
