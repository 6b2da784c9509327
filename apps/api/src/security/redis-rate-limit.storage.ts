import { Logger } from '@nestjs/common';
import { Redis } from 'ioredis';
import type { RateLimitRecord, RateLimitStorage } from './rate-limit.storage.js';

/**
 * One fixed window per key, shared by every API process: INCR, the window starting with the
 * first hit (one Lua script, so the count and its expiry are set together). Past the limit the
 * key is blocked until its window ends.
 */
const SCRIPT = `
local hits = redis.call('INCR', KEYS[1])
if hits == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
local ttl = redis.call('PTTL', KEYS[1])
return { hits, ttl }`;

/** Rate limits in Redis (REDIS_URL): all processes count the same hits. Fails open when Redis is away. */
export class RedisRateLimitStorage implements RateLimitStorage {
  private readonly logger = new Logger('RateLimits');
  private readonly redis: Redis;
  private lastWarning = 0;

  constructor(url: string) {
    this.redis = new Redis(url, { lazyConnect: false, maxRetriesPerRequest: 1, enableOfflineQueue: true, connectionName: 'ruche-rate-limits' });
    this.redis.on('error', () => undefined);
  }

  async increment(key: string, ttl: number, limit: number): Promise<RateLimitRecord> {
    try {
      const [hits, ttlMs] = (await this.redis.eval(SCRIPT, 1, `ruche:rl:${key}`, ttl)) as [number, number];
      const seconds = Math.max(1, Math.ceil(ttlMs / 1000));
      const isBlocked = hits > limit;
      return { totalHits: hits, timeToExpire: seconds, isBlocked, timeToBlockExpire: isBlocked ? seconds : 0 };
    } catch (error) {
      // A limiter that fails closed would turn a Redis outage into a full outage.
      if (Date.now() - this.lastWarning > 10_000) {
        this.lastWarning = Date.now();
        this.logger.warn(`Rate limits not counted: ${(error as Error).message}`);
      }
      return { totalHits: 0, timeToExpire: 0, isBlocked: false, timeToBlockExpire: 0 };
    }
  }

  async close(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}
