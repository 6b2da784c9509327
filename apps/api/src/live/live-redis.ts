import { Logger } from '@nestjs/common';
import { Redis } from 'ioredis';

/** The commands the socket.io Redis adapter sends without waiting for their answer. */
const UNAWAITED = new Set<PropertyKey>(['publish', 'subscribe', 'psubscribe', 'unsubscribe', 'punsubscribe']);

/** At most one warning per this interval: an outage fails every broadcast. */
const WARNING_INTERVAL_MS = 10_000;

/**
 * The Redis connections of the live gateway: a publisher and a subscriber for the socket.io
 * adapter (a subscribed connection can send nothing else), and the publisher also serves presence.
 */
export class LiveRedis {
  readonly pub: Redis;
  readonly sub: Redis;
  private readonly logger = new Logger('Live');
  private lastWarning = 0;

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

  /**
   * The two connections as the socket.io adapter must see them. It publishes and subscribes
   * without waiting for the answer, so with Redis away (or at close) the command rejects with
   * nobody listening, and Node stops the process on an unhandled rejection: here each such
   * rejection is logged instead. The broadcast still reaches this process's own sockets.
   */
  forAdapter(): { pub: Redis; sub: Redis } {
    return { pub: this.guarded(this.pub), sub: this.guarded(this.sub) };
  }

  async close(): Promise<void> {
    // What still waits for the auto-pipeline (a last presence broadcast) is sent before QUIT:
    // otherwise its promise, which nobody awaits, rejects unhandled.
    await this.pub.ping().catch(() => undefined);
    await Promise.allSettled([this.pub.quit(), this.sub.quit()]);
  }

  private guarded(client: Redis): Redis {
    const warn = (command: PropertyKey, error: Error): void => {
      if (Date.now() - this.lastWarning < WARNING_INTERVAL_MS) return;
      this.lastWarning = Date.now();
      this.logger.warn(`Redis ${String(command).toUpperCase()} failed, other processes miss this broadcast: ${error.message}`);
    };
    return new Proxy(client, {
      get(target, property, receiver) {
        const value: unknown = Reflect.get(target, property, receiver);
        if (!UNAWAITED.has(property) || typeof value !== 'function') return value;
        return (...args: unknown[]): unknown => {
          const result: unknown = (value as (...a: unknown[]) => unknown).apply(target, args);
          if (result instanceof Promise) result.catch((error: Error) => warn(property, error));
          return result;
        };
      },
    });
  }
}
