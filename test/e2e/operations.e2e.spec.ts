import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { freePort } from '../support/free-port.js';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { SqliteEventStore } from '#ruche/eventstore';
import { freshEmail, startTestApp, type TestApp } from './support/test-app.js';

const thematic = (name: string) => ({ name, kind: 'thematic', visibility: 'public' });

describe('operations', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp('sqlite');
  });
  afterAll(async () => t?.close());

  it('answers liveness and readiness apart', async () => {
    expect((await t.anonymous().get('/api/health/live')).body).toEqual({ status: 'up' });
    const ready = await t.anonymous().get('/api/health/ready');
    expect({ status: ready.status, body: ready.body }).toEqual({ status: 200, body: { status: 'up', reasons: [] } });
  });

  it('gives every request an id, and carries the correlation id into the events it writes', async () => {
    const user = await t.signIn(freshEmail('ops'));
    const given = await user.agent.post('/api/spaces').set('X-Request-Id', 'req-given-1').set('X-Correlation-Id', 'corr-from-client').send(thematic('Corrélé'));
    expect(given.status).toBe(201);
    expect(given.headers['x-request-id']).toBe('req-given-1');
    const [event] = await t.store.readStream(`space-${given.body.id}`);
    expect(event!.metadata.correlationId).toBe('corr-from-client');

    const fresh = await user.agent.post('/api/spaces').send(thematic('Sans en-tête'));
    const requestId = fresh.headers['x-request-id'] as string;
    expect(requestId).toMatch(/^[0-9a-f-]{36}$/);
    const [own] = await t.store.readStream(`space-${fresh.body.id}`);
    expect(own!.metadata.correlationId).toBe(requestId);
  });

  it('exposes Prometheus metrics: HTTP latency by route, appends, projection lag', async () => {
    const user = await t.signIn(freshEmail('metrics'));
    const created = await user.agent.post('/api/spaces').send(thematic('Mesuré'));
    await user.agent.get(`/api/spaces/${created.body.id}`).set('X-Min-Position', String(created.body.position));
    const response = await t.anonymous().get('/metrics');
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = response.text;
    const value = (pattern: RegExp): number => Number(pattern.exec(text)?.[1] ?? Number.NaN);
    expect(value(/^ruche_http_request_duration_seconds_count\{method="POST",route="\/api\/spaces",status="201"\} (\d+)$/m)).toBeGreaterThanOrEqual(1);
    expect(value(/^ruche_http_request_duration_seconds_count\{method="GET",route="\/api\/spaces\/:id",status="200"\} (\d+)$/m)).toBeGreaterThanOrEqual(1);
    expect(value(/^ruche_event_append_duration_seconds_count\{outcome="ok"\} (\d+)$/m)).toBeGreaterThanOrEqual(2);
    expect(value(/^ruche_projection_lag_events\{projection="spaces",state="running"\} (\d+)$/m)).toBeGreaterThanOrEqual(0);
    expect(value(/^ruche_event_log_head_position (\d+)$/m)).toBe(await t.store.headPosition());
    expect(text).toMatch(/^ruche_process_nodejs_eventloop_lag_max_seconds [\d.e+-]+$/m);
    expect(text).not.toContain(created.body.id); // routes by template, never raw URLs
  });
});

describe('graceful shutdown', () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ruche-shutdown-'));
  let child: ChildProcess | undefined;
  afterAll(() => {
    child?.kill('SIGKILL');
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('on SIGTERM under load: finishes what it acknowledged, cuts no answer, loses no acknowledged command', async () => {
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    child = spawn(process.execPath, [path.resolve('dist/apps/api/src/main.js')], {
      env: { PATH: process.env.PATH ?? '', NODE_ENV: 'development', PORT: String(port), DATA_DIR: dataDir, SEED: 'none', LOG_LEVEL: 'info', PUBLIC_URL: base },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const lines: string[] = [];
    createInterface({ input: child.stdout! }).on('line', (line) => lines.push(line));
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child!.once('exit', (code, signal) => resolve({ code, signal })));
    const deadline = Date.now() + 30_000;
    while (!lines.some((line) => line.includes('Ruche listens on'))) {
      if (Date.now() > deadline) throw new Error(`the server did not start:\n${lines.join('\n')}\n${stderr}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(JSON.parse(lines.find((line) => line.includes('Ruche listens on'))!)).toMatchObject({ level: 30, msg: expect.stringContaining('Ruche listens on') });

    const login = await fetch(`${base}/api/auth/dev-login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: freshEmail('load') }) });
    expect(login.status).toBe(200);
    const cookie = login.headers.getSetCookie()[0]!.split(';')[0]!;

    const acknowledged: string[] = [];
    const cut: string[] = [];
    const otherStatuses: number[] = [];
    let refused = 0;
    let sent = 0;
    const worker = async (w: number): Promise<void> => {
      for (let i = 0; i < 10_000; i++) {
        let response: Response;
        try {
          sent += 1;
          response = await fetch(`${base}/api/spaces`, { method: 'POST', headers: { 'content-type': 'application/json', cookie }, body: JSON.stringify(thematic(`Charge ${w}-${i}`)) });
        } catch {
          refused += 1; // no answer at all: the command never ran, or the server is gone
          return;
        }
        let body: { id?: string };
        try {
          body = (await response.json()) as { id?: string };
        } catch (error) {
          cut.push(`${response.status}: ${(error as Error).message}`);
          return;
        }
        if (response.status === 201 && body.id) acknowledged.push(body.id);
        else otherStatuses.push(response.status);
      }
    };
    const load = Promise.all(Array.from({ length: 12 }, (_, w) => worker(w)));
    while (acknowledged.length < 150) {
      if (Date.now() > deadline + 30_000) throw new Error('no load');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    child.kill('SIGTERM');
    await load;
    const exit = await exited;

    expect(cut).toEqual([]);
    expect(otherStatuses).toEqual([]);
    expect(refused).toBeGreaterThan(0);
    expect(exit.code === 0 || exit.signal === 'SIGTERM').toBe(true);
    expect(lines.some((line) => line.includes('HTTP server closed; closing the stores'))).toBe(true);
    const store = SqliteEventStore.open({ filename: path.join(dataDir, 'ruche.sqlite') });
    try {
      const missing: string[] = [];
      for (const id of acknowledged) if ((await store.streamRevision(`space-${id}`)) < 0) missing.push(id);
      expect({ acknowledged: acknowledged.length > 150, missing }).toEqual({ acknowledged: true, missing: [] });
    } finally {
      await store.close();
    }
    expect(sent).toBeGreaterThan(acknowledged.length);
  }, 90_000);
});
