import net from 'node:net';
import { freePort } from './free-port.js';

async function asWorker<T>(id: string, run: () => Promise<T>): Promise<T> {
  const saved = process.env.JEST_WORKER_ID;
  process.env.JEST_WORKER_ID = id;
  try {
    return await run();
  } finally {
    process.env.JEST_WORKER_ID = saved;
  }
}

describe('freePort', () => {
  it('gives each Jest worker ports from its own range, outside the OS ephemeral range', async () => {
    const first = await asWorker('1', async () => Promise.all(Array.from({ length: 20 }, () => freePort())));
    const second = await asWorker('2', async () => Promise.all(Array.from({ length: 20 }, () => freePort())));
    for (const port of first) expect(port >= 20_000 && port < 21_000).toBe(true);
    for (const port of second) expect(port >= 21_000 && port < 22_000).toBe(true);
  });

  it('skips a port that is taken', async () => {
    // Hold every port of worker 3's range but one: that one is the answer.
    const held: net.Server[] = [];
    try {
      for (let port = 22_000; port < 23_000; port++) {
        if (port === 22_500) continue;
        const server = net.createServer();
        await new Promise<void>((resolve) => {
          server.once('error', () => resolve()); // taken by something else already: fine, it is not free either
          server.listen(port, '127.0.0.1', () => resolve());
        });
        held.push(server);
      }
      expect(await asWorker('3', () => freePort())).toBe(22_500);
    } finally {
      await Promise.all(held.map((server) => new Promise((resolve) => server.close(resolve))));
    }
  });
});
