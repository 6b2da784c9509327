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
    // Not auto-pipelined: ioredis would defer PUNSUBSCRIBE (its list of exceptions misspells it),
    // and the QUIT of close(), never deferred, would overtake the adapter's last unsubscribes.
    this.sub = this.pub.duplicate({ enableAutoPipelining: false });
  }

  async close(): Promise<void> {
    // What still waits for the auto-pipeline (a last presence broadcast) is sent before QUIT:
    // otherwise its promise, which nobody awaits, rejects unhandled.
    await this.pub.ping().catch(() => undefined);
    await Promise.allSettled([this.pub.quit(), this.sub.quit()]);
  }
}
