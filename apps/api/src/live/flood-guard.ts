/**
 * Per-socket limit on requests (subscribe, unsubscribe): a token bucket of `capacity` refilled at
 * `perSecond`. A request beyond it is refused (RATE_LIMITED); a socket that keeps going after
 * `maxRefusals` refusals is flooding and gets disconnected.
 */
export class FloodGuard {
  private tokens: number;
  private refusals = 0;
  private last: number;

  constructor(
    private readonly now: () => number = () => performance.now(),
    private readonly capacity = 30,
    private readonly perSecond = 15,
    private readonly maxRefusals = 100,
  ) {
    this.tokens = capacity;
    this.last = now();
  }

  /** 'ok' to serve the request, 'refuse' to answer RATE_LIMITED, 'disconnect' to drop the socket. */
  take(): 'ok' | 'refuse' | 'disconnect' {
    const now = this.now();
    this.tokens = Math.min(this.capacity, this.tokens + ((now - this.last) / 1000) * this.perSecond);
    this.last = now;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return 'ok';
    }
    this.refusals += 1;
    return this.refusals > this.maxRefusals ? 'disconnect' : 'refuse';
  }
}
