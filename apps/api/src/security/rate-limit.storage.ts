/** What a hit on a limit answers: the count in the window, and how long a block still lasts. */
export interface RateLimitRecord {
  totalHits: number;
  /** Seconds until the window ends. */
  timeToExpire: number;
  isBlocked: boolean;
  /** Seconds until the block ends (0 when not blocked). */
  timeToBlockExpire: number;
}

/** Counts hits per key in fixed windows; the memory one serves one process, Redis all of them. */
export interface RateLimitStorage {
  increment(key: string, ttlMs: number, limit: number): Promise<RateLimitRecord>;
  close(): Promise<void>;
}

/** One process's counters (no REDIS_URL): a window per key, a block until the window ends. */
export class MemoryRateLimitStorage implements RateLimitStorage {
  private readonly windows = new Map<string, { hits: number; endsAt: number }>();
  private lastSweep = 0;

  constructor(private readonly now: () => number = Date.now) {}

  async increment(key: string, ttlMs: number, limit: number): Promise<RateLimitRecord> {
    const now = this.now();
    if (now - this.lastSweep > ttlMs) {
      this.lastSweep = now;
      for (const [k, w] of this.windows) if (w.endsAt <= now) this.windows.delete(k);
    }
    let window = this.windows.get(key);
    if (!window || window.endsAt <= now) {
      window = { hits: 0, endsAt: now + ttlMs };
      this.windows.set(key, window);
    }
    window.hits += 1;
    const seconds = Math.ceil((window.endsAt - now) / 1000);
    const isBlocked = window.hits > limit;
    return { totalHits: window.hits, timeToExpire: seconds, isBlocked, timeToBlockExpire: isBlocked ? seconds : 0 };
  }

  async close(): Promise<void> {
    this.windows.clear();
  }
}
