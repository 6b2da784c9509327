import { Redis } from 'ioredis';

/**
 * The Redis connections of the live gateway: a publisher and a subscriber for the socket.io
 * adapter (a subscribed connection can send nothing else), and the publisher also serves presence.
 */
export class LiveRedis {
  readonly pub: Redis;
  readonly sub: Redis;

  constructor(
    url: string,
    /** Key prefix: one Redis may serve several Ruche instances (one per database schema). */
    readonly prefix: string,
  ) {
    this.pub = new Redis(url, { maxRetriesPerRequest: 3, enableAutoPipelining: true });
    this.sub = this.pub.duplicate();
  }

  async close(): Promise<void> {
    await Promise.allSettled([this.pub.quit(), this.sub.quit()]);
  }
}
