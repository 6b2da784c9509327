import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import net from 'node:net';
import { freePort } from '../../support/free-port.js';
import { Redis } from 'ioredis';
import request from 'supertest';
import { requireServices } from '#ruche/eventstore/testing';

/**
 * Helpers for e2e tests that run more than one API process: the built server as a child process,
 * Redis, and a round-robin HTTP proxy in front of several processes (a load balancer's stand-in).
 */

export const redisUrl = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** Whether Redis answers; under REQUIRE_SERVICES=1 its absence throws instead. */
export async function redisReachable(what: string): Promise<boolean> {
  const client = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 2000 });
  try {
    await client.connect();
    return (await client.ping()) === 'PONG';
  } catch (error) {
    if (requireServices) throw new Error(`Redis is required (REQUIRE_SERVICES=1) but not reachable at ${redisUrl}: ${(error as Error).message}`);
    console.warn(`[skip] Redis not reachable at ${redisUrl}: ${what} skipped.`);
    return false;
  } finally {
    client.disconnect();
  }
}

/** Most output kept per child (its last lines matter when it dies). */
const OUTPUT_LIMIT = 200_000;

/** The built server (`node dist/apps/api/src/main.js`) in a child process, its output kept. */
export class ServerProcess {
  private readonly chunks: string[] = [];
  private size = 0;
  private stopping = false;
  /** Set when it exited before stop(): the exit code or signal, for close() to report. */
  diedWith: string | undefined;

  private constructor(
    readonly url: string,
    readonly child: ChildProcess,
    readonly name: string,
  ) {
    const keep = (chunk: Buffer) => {
      this.chunks.push(chunk.toString());
      this.size += chunk.length;
      while (this.size > OUTPUT_LIMIT && this.chunks.length > 1) this.size -= this.chunks.shift()!.length;
    };
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    child.once('exit', (code, signal) => {
      if (this.stopping) return;
      this.diedWith = signal ?? `exit code ${code}`;
      console.error(`${name} (${url}) died (${this.diedWith}); its output:\n${this.output()}`);
    });
  }

  output(): string {
    return this.chunks.join('') || '(no output)';
  }

  /**
   * Starts the server with exactly `env` (plus PATH and HOME, and PORT on a free port), and waits
   * until /api/health answers 200. Fails with the server's output if it exits or never comes up.
   */
  static async start(env: Record<string, string>, name = 'API process'): Promise<ServerProcess> {
    const port = await freePort();
    const child = spawn(process.execPath, ['dist/apps/api/src/main.js'], {
      cwd: process.cwd(),
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env, PORT: String(port) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const server = new ServerProcess(`http://127.0.0.1:${port}`, child, name);
    const deadline = Date.now() + 60_000;
    for (;;) {
      if (server.diedWith) throw new Error(`${name} exited (${server.diedWith}) while starting:\n${server.output()}`);
      const up = await request(server.url)
        .get('/api/health')
        .then((r) => r.status === 200)
        .catch(() => false);
      if (up) return server;
      if (Date.now() > deadline) {
        await server.stop();
        throw new Error(`${name} did not come up in 60 s:\n${server.output()}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** SIGTERM, as a deployment stops it, and waits for its exit. */
  async stop(): Promise<void> {
    this.stopping = true;
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.kill('SIGTERM');
    await exited;
  }
}

/** What the proxy sent to one backend. */
export interface BackendCount {
  url: string;
  requests: number;
  upgrades: number;
}

// Past what any test sends (the fuzzer's URLs reach 1.2 MB once percent-encoded).
const PROXY_MAX_HEADER_SIZE = 16 * 1024 * 1024;

/** Headers that belong to one connection, not to the request (RFC 9110, 7.6.1). */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'te', 'trailer', 'upgrade']);

function endToEndHeaders(raw: readonly string[]): string[] {
  const kept: string[] = [];
  for (let i = 0; i < raw.length; i += 2) {
    if (!HOP_BY_HOP.has(raw[i]!.toLowerCase())) kept.push(raw[i]!, raw[i + 1]!);
  }
  return kept;
}

/**
 * A loopback reverse proxy sending each request, and each websocket upgrade, to the next backend
 * in turn: consecutive requests of one client land on different processes, as behind a load
 * balancer without sticky sessions. Headers pass unchanged (Host included); it counts what each
 * backend got, for tests to check that the load was spread.
 */
export class RoundRobinProxy {
  private next = 0;
  private readonly agents: http.Agent[];
  private readonly sockets = new Set<net.Socket>();
  readonly counts: BackendCount[];

  private constructor(
    private readonly server: http.Server,
    readonly url: string,
    private readonly backends: readonly URL[],
  ) {
    this.agents = backends.map(() => new http.Agent({ keepAlive: true }));
    this.counts = backends.map((backend) => ({ url: backend.origin, requests: 0, upgrades: 0 }));
  }

  static async start(backendUrls: readonly string[]): Promise<RoundRobinProxy> {
    // Header limits are the backends' to enforce (and to answer as problems), not the proxy's.
    const server = http.createServer({ maxHeaderSize: PROXY_MAX_HEADER_SIZE });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as net.AddressInfo;
    const proxy = new RoundRobinProxy(server, `http://127.0.0.1:${port}`, backendUrls.map((url) => new URL(url)));
    server.on('request', (req, res) => proxy.forward(req, res));
    server.on('upgrade', (req, socket, head) => proxy.upgrade(req, socket as net.Socket, head));
    server.on('connection', (socket) => proxy.track(socket));
    return proxy;
  }

  private pick(): number {
    const index = this.next;
    this.next = (this.next + 1) % this.backends.length;
    return index;
  }

  private track(socket: net.Socket): void {
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
  }

  private forward(req: http.IncomingMessage, res: http.ServerResponse): void {
    const index = this.pick();
    const backend = this.backends[index]!;
    this.counts[index]!.requests += 1;
    const upstream = http.request({
      host: backend.hostname,
      port: backend.port,
      method: req.method,
      path: req.url,
      headers: endToEndHeaders(req.rawHeaders),
      agent: this.agents[index],
      maxHeaderSize: PROXY_MAX_HEADER_SIZE,
    });
    upstream.on('response', (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.statusMessage, endToEndHeaders(answer.rawHeaders));
      answer.pipe(res);
      answer.on('error', () => res.destroy());
    });
    upstream.on('error', (error) => {
      if (res.headersSent) return void res.destroy();
      res.writeHead(502, { 'content-type': 'text/plain' }).end(`proxy: ${backend.origin} did not answer: ${error.message}`);
    });
    // The client went away before the answer: so does the request upstream.
    res.on('close', () => {
      if (!res.writableFinished) upstream.destroy();
    });
    req.pipe(upstream);
  }

  /** A websocket (or any) upgrade: the request head goes to the backend, then bytes both ways. */
  private upgrade(req: http.IncomingMessage, socket: net.Socket, head: Buffer): void {
    const index = this.pick();
    const backend = this.backends[index]!;
    this.counts[index]!.upgrades += 1;
    const upstream = net.connect(Number(backend.port), backend.hostname);
    this.track(upstream);
    const cut = () => {
      socket.destroy();
      upstream.destroy();
    };
    socket.on('error', cut);
    upstream.on('error', cut);
    socket.on('close', cut);
    upstream.on('close', cut);
    upstream.once('connect', () => {
      const lines = [`${req.method} ${req.url} HTTP/${req.httpVersion}`];
      for (let i = 0; i < req.rawHeaders.length; i += 2) lines.push(`${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}`);
      upstream.write(`${lines.join('\r\n')}\r\n\r\n`);
      if (head.length > 0) upstream.write(head);
      upstream.pipe(socket);
      socket.pipe(upstream);
    });
  }

  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const socket of this.sockets) socket.destroy();
    for (const agent of this.agents) agent.destroy();
    await closed;
  }
}
