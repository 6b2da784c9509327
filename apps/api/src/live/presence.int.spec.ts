import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { requireServices } from '#ruche/eventstore/testing';
import { RedisPresence } from './presence.js';

const redisUrl = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

async function reachable(): Promise<boolean> {
  const probe = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 2000 });
  try {
    await probe.connect();
    return (await probe.ping()) === 'PONG';
  } catch (error) {
    if (requireServices) throw new Error(`Redis is required (REQUIRE_SERVICES=1) but not reachable at ${redisUrl}: ${(error as Error).message}`);
    console.warn(`[skip] Redis not reachable at ${redisUrl}: RedisPresence tests are skipped.`);
    return false;
  } finally {
    probe.disconnect();
  }
}

(await reachable() ? describe : describe.skip)('RedisPresence (two processes on one Redis)', () => {
  const redis = new Redis(redisUrl);
  const prefix = `ruche-test:${randomUUID()}`;
  afterAll(async () => {
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
  });

  it('shares who is in a room between processes, with one growing version', async () => {
    const one = new RedisPresence(redis, prefix, 'one');
    const two = new RedisPresence(redis, prefix, 'two');
    const room = `topic:${randomUUID()}`;
    const first = await one.join(room, 'a', { id: 'u1', displayName: 'Anne' });
    const second = await two.join(room, 'b', { id: 'u2', displayName: 'Bruno' });
    expect(second).toEqual({ users: [{ id: 'u1', displayName: 'Anne' }, { id: 'u2', displayName: 'Bruno' }], version: first.version + 1 });
    const left = await one.leave(room, 'a');
    expect(left).toEqual({ users: [{ id: 'u2', displayName: 'Bruno' }], version: first.version + 2 });
    // A process that closes takes its sockets with it.
    await two.close();
    expect((await one.join(room, 'c', { id: 'u3', displayName: 'Chloé' })).users.map((u) => u.id)).toEqual(['u3']);
    await one.close();
  });

  it("drops the sockets of a process whose heartbeat expired (it crashed)", async () => {
    const crashed = new RedisPresence(redis, prefix, 'crashed');
    const alive = new RedisPresence(redis, prefix, 'alive');
    const room = `topic:${randomUUID()}`;
    await crashed.join(room, 'x', { id: 'u9', displayName: 'Xavier' });
    // The process dies: no more heartbeats, its key expires (here at once), its entries stay.
    clearInterval((crashed as unknown as { timer: NodeJS.Timeout }).timer);
    await redis.del(`${prefix}:server:crashed`);
    const snapshot = await alive.join(room, 'y', { id: 'u1', displayName: 'Yann' });
    expect(snapshot.users.map((u) => u.id)).toEqual(['u1']);
    expect(await redis.hkeys(`${prefix}:presence:${room}`)).toEqual(['alive|y']);
    await alive.close();
  });
});
