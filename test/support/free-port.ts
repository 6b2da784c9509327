import net from 'node:net';

/**
 * Ports below the OS's ephemeral range (32768+ on Linux), 1,000 per Jest worker: a port picked
 * here is free when picked and then handed to a server another process starts a moment later;
 * two workers picking from the OS's pool could be given the same one in that moment, two
 * workers picking from their own ranges cannot.
 */
const RANGE_START = 20_000;
const RANGE_SIZE = 1_000;
const WORKERS = 12;

function listens(port: number): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', (error: NodeJS.ErrnoException) => (error.code === 'EADDRINUSE' || error.code === 'EACCES' ? resolve(false) : reject(error)));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** A loopback port free right now, from this Jest worker's own range, for a server a test starts in another process. */
export async function freePort(): Promise<number> {
  const worker = Math.max(1, Number(process.env.JEST_WORKER_ID ?? '1') || 1);
  const start = RANGE_START + ((worker - 1) % WORKERS) * RANGE_SIZE;
  const offset = Math.floor(Math.random() * RANGE_SIZE);
  for (let i = 0; i < RANGE_SIZE; i++) {
    const port = start + ((offset + i) % RANGE_SIZE);
    if (await listens(port)) return port;
  }
  throw new Error(`no free port in ${start}–${start + RANGE_SIZE - 1}`);
}
