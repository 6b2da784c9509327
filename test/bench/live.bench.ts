/**
 * Live delivery (issue #9), `npm run bench:live`: the built server (`dist/apps/api/src/main.js`,
 * embedded SQLite) in a process of its own, the clients here.
 *
 * 1. 1,000 authenticated sockets in 20 topic rooms of 50; replies written through the HTTP API one
 *    after the other; for every receipt, the time from the command's answer to the receipt (p50,
 *    p99; a receipt that comes before the answer counts 0).
 * 2. One room of 1,000: the time from the answer to the last receipt (p50, p99 over the replies).
 * 3. The server's RSS with 10,000 idle authenticated sockets.
 * The same runs against a bare socket.io server (no auth, no projection, no store: a control
 * socket asks it to broadcast the same payload, timed from that request) give the floor; our
 * figures are also shown as a ratio of it.
 * Targets (2 cores): rooms of 50 p50 ≤ 10 ms and p99 ≤ 50 ms and ≤ 1.3× the floor; 10,000 idle
 * sockets ≤ 400 MB RSS.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Server } from 'socket.io';
import { io, type Socket } from 'socket.io-client';

const FLOOR_FLAG = '--floor-server';
const ROOMS = Number(process.env.BENCH_LIVE_ROOMS ?? 20);
const ROOM_SIZE = Number(process.env.BENCH_LIVE_ROOM_SIZE ?? 50);
const REPLIES_PER_ROOM = Number(process.env.BENCH_LIVE_REPLIES ?? 10);
const BIG_ROOM_REPLIES = Number(process.env.BENCH_LIVE_BIG_REPLIES ?? 20);
const IDLE_SOCKETS = Number(process.env.BENCH_LIVE_IDLE ?? 10_000);
const USERS = 50;
const PUBLIC_URL = 'http://ruche.bench.test';

const log = (message: string): void => void process.stderr.write(`${message}\n`);

if (process.argv.includes(FLOOR_FLAG)) runFloorServer();
else await main();

/** The floor: socket.io and nothing else. */
function runFloorServer(): void {
  const http = createServer();
  const server = new Server(http, { serveClient: false });
  const nsp = server.of('/live');
  nsp.on('connection', (socket) => {
    socket.on('subscribe', (request: { room: string }, ack?: (answer: unknown) => void) => {
      void socket.join(request.room);
      ack?.({ ok: true, position: 0 });
    });
    socket.on('broadcast', (request: { room: string; message: unknown }, ack?: (answer: unknown) => void) => {
      nsp.to(request.room).emit('event', request.message);
      ack?.(true);
    });
  });
  http.listen(0, '127.0.0.1', () => process.stdout.write(`listening ${(http.address() as net.AddressInfo).port}\n`));
}

interface Target {
  name: string;
  url: string;
  child: ChildProcess;
  /**
   * Sends one message to `room`; resolves with the instant latencies count from: the command's
   * answer (ours), the broadcast request (the floor, which has no command to wait for).
   */
  write(room: string, index: number): Promise<number>;
  /** Rooms to use (topic rooms). */
  rooms: string[];
  bigRoom: string;
  cookies: string[];
}

interface Receipts {
  expected: number;
  times: number[];
  done?: () => void;
}

async function main(): Promise<void> {
  log(`bench:live: ${ROOMS} rooms × ${ROOM_SIZE} sockets, ${REPLIES_PER_ROOM} replies each; one room of ${ROOMS * ROOM_SIZE}; ${IDLE_SOCKETS} idle sockets`);
  const ours = await startOurs();
  let sample: unknown;
  let oursFigures: Figures;
  try {
    oursFigures = await measure(ours, (message) => (sample ??= message));
  } finally {
    await stop(ours.child);
  }
  const floor = await startFloor(sample);
  let floorFigures: Figures;
  try {
    floorFigures = await measure(floor);
  } finally {
    await stop(floor.child);
  }
  report(oursFigures, floorFigures);
}

interface Figures {
  p50: number;
  p99: number;
  samples: number;
  bigP50: number;
  bigP99: number;
  idleRssMb: number;
  baseRssMb: number;
}

async function measure(target: Target, onMessage?: (message: unknown) => void): Promise<Figures> {
  const receipts = new Map<string, Receipts>();
  const handle = (message: Message): void => {
    const at = performance.now();
    onMessage?.(message);
    const key = keyOf(message);
    const entry = receipts.get(key);
    if (!entry) return;
    entry.times.push(at);
    if (entry.times.length === entry.expected) entry.done?.();
  };
  // 1. Rooms of ROOM_SIZE.
  const sockets: Socket[] = [];
  await connectMany(target, ROOMS * ROOM_SIZE, sockets, (socket, i) => subscribe(socket, target.rooms[i % ROOMS]!, handle));
  const latencies: number[] = [];
  for (let r = 0; r < REPLIES_PER_ROOM; r++) {
    for (let room = 0; room < ROOMS; room++) {
      const key = `${target.rooms[room]}#${r}`;
      latencies.push(...(await timed(target, receipts, key, ROOM_SIZE, () => target.write(target.rooms[room]!, r))).map((t) => t.latency));
    }
  }
  // 2. One room of them all.
  for (const socket of sockets) await subscribeOnly(socket, target.bigRoom);
  const lasts: number[] = [];
  for (let r = 0; r < BIG_ROOM_REPLIES; r++) {
    const key = `${target.bigRoom}#${r}`;
    const times = await timed(target, receipts, key, sockets.length, () => target.write(target.bigRoom, r));
    lasts.push(Math.max(...times.map((t) => t.latency)));
  }
  for (const socket of sockets) socket.disconnect();
  await settle();
  // 3. Idle sockets.
  const baseRssMb = rssMb(target.child.pid!);
  const idle: Socket[] = [];
  await connectMany(target, IDLE_SOCKETS, idle, async () => undefined);
  await settle();
  const idleRssMb = rssMb(target.child.pid!);
  for (const socket of idle) socket.disconnect();
  return {
    p50: percentile(latencies, 0.5),
    p99: percentile(latencies, 0.99),
    samples: latencies.length,
    bigP50: percentile(lasts, 0.5),
    bigP99: percentile(lasts, 0.99),
    idleRssMb,
    baseRssMb,
  };
}

/** Writes once and waits for `expected` receipts; answers each receipt's time after the answer. */
async function timed(target: Target, receipts: Map<string, Receipts>, key: string, expected: number, write: () => Promise<number>): Promise<Array<{ latency: number }>> {
  const entry: Receipts = { expected, times: [] };
  const all = new Promise<void>((resolve) => (entry.done = resolve));
  receipts.set(key, entry);
  const answeredAt = await write();
  await Promise.race([all, new Promise((_, reject) => setTimeout(() => reject(new Error(`${target.name}: ${key} got ${entry.times.length}/${expected}`)), 30_000))]);
  receipts.delete(key);
  return entry.times.map((at) => ({ latency: Math.max(0, at - answeredAt) }));
}

/** The message being timed, named by its body (`bench <room>#<index>`, on both sides). */
function keyOf(message: Message): string {
  const body = message.data?.body;
  return typeof body === 'string' && body.startsWith('bench ') ? body.slice('bench '.length) : '';
}

async function connectMany(target: Target, count: number, into: Socket[], then: (socket: Socket, index: number) => Promise<void>): Promise<void> {
  const BATCH = 100;
  for (let start = 0; start < count; start += BATCH) {
    await Promise.all(
      Array.from({ length: Math.min(BATCH, count - start) }, async (_, offset) => {
        const index = start + offset;
        const cookie = target.cookies[index % target.cookies.length];
        const socket = io(`${target.url}/live`, {
          transports: ['websocket'],
          forceNew: true,
          reconnection: false,
          extraHeaders: { origin: PUBLIC_URL, ...(cookie ? { cookie } : {}) },
        });
        await new Promise<void>((resolve, reject) => {
          socket.once('connect', () => resolve());
          socket.once('connect_error', reject);
        });
        into.push(socket);
        await then(socket, index);
      }),
    );
  }
}

type Message = { position?: number; room?: string; data?: { body?: string } };

async function subscribe(socket: Socket, room: string, handle: (message: Message) => void): Promise<void> {
  socket.on('event', handle);
  await subscribeOnly(socket, room);
}

async function subscribeOnly(socket: Socket, room: string): Promise<void> {
  const answer = (await socket.emitWithAck('subscribe', { room })) as { ok: boolean; error?: unknown };
  if (!answer.ok) throw new Error(`subscribe ${room}: ${JSON.stringify(answer.error)}`);
}

/** Lets the event loop and the server drain (presence storms, closed sockets) before measuring memory. */
async function settle(): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, 1500));
}

function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return Math.round(kb / 1024);
}

function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? Number.NaN;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

async function startOurs(): Promise<Target> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'ruche-bench-live-'));
  const port = await freePort();
  const child = spawn(process.execPath, ['dist/apps/api/src/main.js'], {
    env: { ...process.env, NODE_ENV: 'test', PORT: String(port), DATA_DIR: dataDir, SEED: 'none', PUBLIC_URL, DATABASE_URL: '', REDIS_URL: '' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  child.once('exit', () => rmSync(dataDir, { recursive: true, force: true }));
  const url = `http://127.0.0.1:${port}`;
  for (const deadline = Date.now() + 60_000; ; ) {
    const up = await fetch(`${url}/api/health`).then((r) => r.ok, () => false);
    if (up) break;
    if (Date.now() > deadline || child.exitCode !== null) throw new Error('the server did not start');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const signIn = async (email: string, displayName: string): Promise<string> => {
    const r = await fetch(`${url}/api/auth/dev-login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, displayName }) });
    if (!r.ok) throw new Error(`sign-in: ${r.status} ${await r.text()}`);
    return r.headers.getSetCookie().map((c) => c.split(';')[0]!).find((c) => c.startsWith('ruche_session='))!;
  };
  const writer = await signIn('writer@bench.test', 'Écrivain');
  const cookies: string[] = [];
  for (let i = 0; i < USERS; i++) cookies.push(await signIn(`reader${i}@bench.test`, `Lecteur ${i}`));
  const post = async (pathname: string, body: object): Promise<{ id: string; position: number }> => {
    const r = await fetch(`${url}${pathname}`, { method: 'POST', headers: { 'content-type': 'application/json', cookie: writer }, body: JSON.stringify(body) });
    if (r.status !== 201) throw new Error(`${pathname}: ${r.status} ${await r.text()}`);
    return (await r.json()) as { id: string; position: number };
  };
  const space = await post('/api/spaces', { name: 'Banc', kind: 'thematic', visibility: 'public' });
  const topics: string[] = [];
  for (let i = 0; i <= ROOMS; i++) topics.push((await post(`/api/spaces/${space.id}/topics`, { title: `Sujet ${i}`, body: 'Bonjour' })).id);
  const rooms = topics.slice(0, ROOMS).map((id) => `topic:${id}`);
  const bigRoom = `topic:${topics[ROOMS]}`;
  return {
    name: 'Ruche',
    url,
    child,
    rooms,
    bigRoom,
    cookies,
    async write(room, index) {
      await post(`/api/topics/${room.slice('topic:'.length)}/posts`, { body: `bench ${room}#${index}` });
      return performance.now();
    },
  };
}

async function startFloor(sample: unknown): Promise<Target> {
  const child = spawn(process.execPath, [new URL(import.meta.url).pathname, FLOOR_FLAG], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      const match = /listening (\d+)/.exec(chunk.toString());
      if (match) resolve(Number(match[1]));
    });
    child.once('exit', () => reject(new Error('the floor server exited')));
  });
  const url = `http://127.0.0.1:${port}`;
  const control = io(`${url}/live`, { transports: ['websocket'], forceNew: true });
  await new Promise<void>((resolve) => control.once('connect', () => resolve()));
  const rooms = Array.from({ length: ROOMS }, (_, i) => `room-${i}`);
  return {
    name: 'floor',
    url,
    child,
    rooms,
    bigRoom: 'room-all',
    cookies: [],
    async write(room, index) {
      // The same payload as ours (a ReplyPosted message), with this write's body.
      const message = sample as { data: object };
      const sentAt = performance.now();
      await control.emitWithAck('broadcast', { room, message: { ...message, room, data: { ...message.data, body: `bench ${room}#${index}` } } });
      return sentAt;
    },
  };
}

function report(ours: Figures, floor: Figures): void {
  const ms = (value: number): string => `${value.toFixed(1)} ms`;
  const ratio = (a: number, b: number): string => (b > 0 ? `${(a / b).toFixed(2)}×` : 'n/a');
  const rows: Array<[string, string, string, string, string]> = [
    [`rooms of ${ROOM_SIZE}: answer → receipt p50`, ms(ours.p50), ms(floor.p50), ratio(ours.p50, floor.p50), '≤ 10 ms, ≤ 1.3×'],
    [`rooms of ${ROOM_SIZE}: answer → receipt p99`, ms(ours.p99), ms(floor.p99), ratio(ours.p99, floor.p99), '≤ 50 ms, ≤ 1.3×'],
    [`one room of ${ROOMS * ROOM_SIZE}: answer → last receipt p50`, ms(ours.bigP50), ms(floor.bigP50), ratio(ours.bigP50, floor.bigP50), ''],
    [`one room of ${ROOMS * ROOM_SIZE}: answer → last receipt p99`, ms(ours.bigP99), ms(floor.bigP99), ratio(ours.bigP99, floor.bigP99), ''],
    [`server RSS, ${IDLE_SOCKETS} idle sockets`, `${ours.idleRssMb} MB`, `${floor.idleRssMb} MB`, ratio(ours.idleRssMb, floor.idleRssMb), '≤ 400 MB'],
    ['server RSS before them', `${ours.baseRssMb} MB`, `${floor.baseRssMb} MB`, '', ''],
  ];
  console.log(`\nbench:live (${ours.samples} receipts per side in rooms of ${ROOM_SIZE})\n`);
  console.log('| line | Ruche | bare socket.io | ratio | target |');
  console.log('| --- | --- | --- | --- | --- |');
  for (const row of rows) console.log(`| ${row.join(' | ')} |`);
}
