import type { EventSubscription, RecordedEvent } from './event-store.js';

/**
 * Wakes subscribers when the log may have grown. Adapters call `notify()` after a commit they
 * see (their own appends, LISTEN/NOTIFY, …); waiters also wake on a timeout so that commits made
 * by another process without a notification are found by polling.
 */
export class ChangeNotifier {
  private version = 0;
  private waiters = new Set<() => void>();

  get current(): number {
    return this.version;
  }

  notify(): void {
    this.version++;
    const waiting = [...this.waiters];
    this.waiters.clear();
    for (const wake of waiting) wake();
  }

  /** Resolves once the version differs from `seen`, after `timeoutMs`, or on abort. */
  wait(seen: number, timeoutMs: number, signal: AbortSignal): Promise<void> {
    if (this.version !== seen || signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.waiters.delete(done);
        signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      this.waiters.add(done);
      signal.addEventListener('abort', done, { once: true });
    });
  }
}

export interface CatchUpSource {
  /** Events strictly after `fromPosition`, in position order, at most `maxCount`. */
  readAfter(fromPosition: number, maxCount: number): Promise<RecordedEvent[]>;
  notifier: ChangeNotifier;
  /** How long to wait for a notification before polling again. */
  pollIntervalMs: number;
}

/**
 * History first, then live, from one loop: read a page after the last position seen; when a
 * page comes back empty, wait for a notification (or the poll interval) and read again. The
 * adapter guarantees that positions become visible in commit order, so reading "after the last
 * position seen" can never skip an event.
 */
export class CatchUpSubscription implements EventSubscription {
  private readonly abort = new AbortController();
  private closed = false;

  constructor(
    private readonly source: CatchUpSource,
    private position: number,
    private readonly pageSize = 1000,
  ) {}

  async close(): Promise<void> {
    this.closed = true;
    this.abort.abort();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<RecordedEvent> {
    try {
      while (!this.closed) {
        const seen = this.source.notifier.current;
        const page = await this.source.readAfter(this.position, this.pageSize);
        for (const event of page) {
          if (this.closed) return;
          this.position = event.position;
          yield event;
        }
        if (page.length < this.pageSize) {
          await this.source.notifier.wait(seen, this.source.pollIntervalMs, this.abort.signal);
        }
      }
    } finally {
      this.closed = true;
      this.abort.abort();
    }
  }
}
