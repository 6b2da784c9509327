import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { freePort } from '../../support/free-port.js';
import os from 'node:os';
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '../../..');

export interface RunningServer {
  url: string;
  dataDir: string;
  /** What the server printed, for a failure's message. */
  output(): string;
  stop(): Promise<void>;
}

/**
 * The built server (`node dist/apps/api/src/main.js`, as `npm start` runs it) on a fresh data
 * directory with the demo académie, on a free port. Resolves once it answers /api/health.
 */
export async function startBuiltServer(env: Record<string, string> = {}, timeoutMs = 90_000): Promise<RunningServer> {
  const port = await freePort();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ruche-browser-'));
  const url = `http://127.0.0.1:${port}`;
  let output = '';
  const child: ChildProcess = spawn(process.execPath, ['dist/apps/api/src/main.js'], {
    cwd: ROOT,
    env: { ...process.env, NODE_ENV: 'development', PORT: String(port), DATA_DIR: dataDir, SEED: 'demo', AUTH_MODE: 'dev', PUBLIC_URL: url, DATABASE_URL: '', REDIS_URL: '', KURRENTDB_URL: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const early = await Promise.race([exited, new Promise<'running'>((resolve) => setTimeout(() => resolve('running'), 200))]);
    if (early !== 'running') throw new Error(`the server exited (${early}) before answering:\n${output}`);
    const ok = await fetch(`${url}/api/health`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`the server did not answer within ${timeoutMs} ms:\n${output}`);
    }
  }
  return {
    url,
    dataDir,
    output: () => output,
    stop: async () => {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(timer);
      }
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** A signed-in person for setting the scene through the API (the browser signs in by itself). */
export interface ApiPerson {
  id: string;
  displayName: string;
  cookie: string;
  call<T = unknown>(method: string, route: string, body?: unknown, headers?: Record<string, string>): Promise<{ status: number; body: T; headers: Headers }>;
}

export async function apiSignIn(url: string, claims: { email: string; displayName?: string; roles?: readonly string[]; uai?: string }): Promise<ApiPerson> {
  const response = await fetch(`${url}/api/auth/dev-login`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ ...claims, roles: claims.roles ? [...claims.roles] : undefined }),
  });
  if (response.status !== 200) throw new Error(`sign-in of ${claims.email}: ${response.status} ${await response.text()}`);
  const me = (await response.json()) as { id: string; displayName: string };
  const cookie = response.headers
    .getSetCookie()
    .map((c) => c.split(';')[0]!)
    .find((c) => c.startsWith('ruche_session='));
  if (!cookie) throw new Error('no session cookie');
  return {
    id: me.id,
    displayName: me.displayName,
    cookie,
    call: async <T>(method: string, route: string, body?: unknown, headers: Record<string, string> = {}) => {
      const r = await fetch(`${url}${route}`, {
        method,
        headers: { Cookie: cookie, Accept: 'application/json', ...(body === undefined ? {} : { 'Content-Type': 'application/json' }), ...headers },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await r.text();
      let parsed: unknown = text;
      try {
        parsed = text ? JSON.parse(text) : undefined;
      } catch {
        // CSV and other texts stay as they are.
      }
      return { status: r.status, body: parsed as T, headers: r.headers };
    },
  };
}
