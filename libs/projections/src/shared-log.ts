import type { EventStore, RecordedEvent } from '#ruche/eventstore';
import { EventBatches } from './event-batches.js';

/** Batches of consecutive events after a position: what a feed consumes. */
export interface BatchSource {
  /** The next batch (at least one event), or undefined once closed. */
  next(): Promise<RecordedEvent[] | undefined>;
  close(): Promise<void>;
}

export interface SharedLogOptions {
  /** Most events handed out at once. */
  batchSize: number;
  /** Events kept in memory for cursors behind the fastest one (up to twice as many at times). Default 20 × batchSize. */
  capacity?: number;
}

/** What the shared read did, for tests and metrics. */
export interface SharedLogStats {
  /** Subscriptions opened on the log by the shared reader. */
  subscriptions: number;
  /** Events read once and handed to every cursor in the window. */
  eventsRead: number;
  /** Pages a cursor outside the window read from the store by itself. */
  privatePages: number;
}

/**
 * One read of the log for every projection of a runner. The reader keeps a window of the events
 * it read (at most `capacity`), and each feed has a cursor that takes its batches from that window
 * at its own pace: a slow projection does not hold the others back, and the log is read once,
 * whatever the number of projections.
 *
 * A cursor that falls behind the window (a new projection starting from 0, one much slower than
 * the rest) reads pages from the store by itself until it reaches the window again, so that the
 * others are never held back by it and the window stays bounded.
 */
export class SharedLog {
  private readonly batchSize: number;
  private readonly capacity: number;
  /** The window: consecutive events of the log, in position order. */
  private window: RecordedEvent[] = [];
  /** Every event after this position and up to `coveredTo` is in the window. */
  private coveredFrom = 0;
  private coveredTo = 0;
  private reading: { batches: EventBatches; done: Promise<void> } | undefined;
  private failure: { error: unknown } | undefined;
  private readonly cursors = new Set<SharedLogCursor>();
  private waiters: (() => void)[] = [];
  private wakeReader: (() => void) | undefined;
  readonly stats: SharedLogStats = { subscriptions: 0, eventsRead: 0, privatePages: 0 };

  constructor(
    private readonly store: EventStore,
    options: SharedLogOptions,
  ) {
    this.batchSize = options.batchSize;
    this.capacity = Math.max(options.capacity ?? 20 * options.batchSize, options.batchSize);
  }

  /** A cursor handing out the events after `fromPosition`. */
  open(fromPosition: number): BatchSource {
    const cursor = new SharedLogCursor(this, fromPosition);
    this.cursors.add(cursor);
    return cursor;
  }

  /** Stops the reader; open cursors end (their next() resolves undefined). */
  async close(): Promise<void> {
    for (const cursor of [...this.cursors]) await cursor.close();
    await this.stopReading();
  }

  /** @internal The cursor's next batch. */
  async nextFor(cursor: SharedLogCursor): Promise<RecordedEvent[] | undefined> {
    for (;;) {
      if (cursor.closed) return undefined;
      if (!this.reading) this.startReading(cursor.position);
      if (cursor.position < this.coveredFrom) {
        // Behind the window: its own page from the store.
        const page = await this.store.readAll({ fromPosition: cursor.position, maxCount: this.batchSize });
        this.stats.privatePages++;
        if (cursor.closed) return undefined;
        if (page.length > 0) return this.handOut(cursor, page);
        // Nothing after it in the log after all (the window started past its end): wait there.
      } else {
        if (this.failure) {
          const { error } = this.failure;
          this.failure = undefined;
          await this.stopReading();
          throw error;
        }
        const start = this.firstAfter(cursor.position);
        if (start < this.window.length) {
          return this.handOut(cursor, this.window.slice(start, start + this.batchSize));
        }
      }
      // At the end of the window: wait for the reader.
      this.wakeReader?.();
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        cursor.wake = resolve;
      });
      cursor.wake = undefined;
    }
  }

  /** @internal */
  async closeCursor(cursor: SharedLogCursor): Promise<void> {
    this.cursors.delete(cursor);
    cursor.wake?.();
    // Nobody left to read for: no subscription kept open (a new cursor starts another).
    if (this.cursors.size === 0) await this.stopReading();
  }

  private handOut(cursor: SharedLogCursor, events: RecordedEvent[]): RecordedEvent[] {
    cursor.position = events[events.length - 1]!.position;
    this.wakeReader?.();
    return events;
  }

  /** Index of the first event of the window after `position`. */
  private firstAfter(position: number): number {
    let low = 0;
    let high = this.window.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (this.window[middle]!.position <= position) low = middle + 1;
      else high = middle;
    }
    return low;
  }

  /**
   * Keeps the last `capacity` events read, whether or not every cursor took them: a feed that
   * opens its cursor a moment after the others (its checkpoint read took longer) still finds its
   * events here. A cursor further behind reads by itself from then on.
   */
  private evict(): void {
    // Only once twice as large: copying the window is then paid once per `capacity` events read.
    if (this.window.length <= 2 * this.capacity) return;
    const drop = this.window.length - this.capacity;
    this.coveredFrom = this.window[drop - 1]!.position;
    this.window = this.window.slice(drop);
  }

  /** Whether some cursor in the window has taken everything the window holds. */
  private someoneWaits(): boolean {
    for (const cursor of this.cursors) {
      if (cursor.position >= this.coveredFrom && cursor.position >= this.coveredTo) return true;
    }
    return false;
  }

  private startReading(fromPosition: number): void {
    this.window = [];
    this.coveredFrom = fromPosition;
    this.coveredTo = fromPosition;
    this.failure = undefined;
    this.stats.subscriptions++;
    const batches = new EventBatches(this.store.subscribeToAll({ fromPosition }), this.batchSize);
    const reading = { batches, done: Promise.resolve() };
    // Set before read() starts: it stops as soon as it is no longer the current reading.
    this.reading = reading;
    reading.done = this.read(reading);
  }

  private async read(reading: { batches: EventBatches }): Promise<void> {
    try {
      for (;;) {
        // Read ahead while there is room, or while the fastest cursor waits (the slowest then
        // falls out of the window and reads by itself).
        while (this.window.length >= this.capacity && !this.someoneWaits() && this.reading === reading) {
          await new Promise<void>((resolve) => (this.wakeReader = resolve));
          this.wakeReader = undefined;
        }
        if (this.reading !== reading) return;
        const events = await reading.batches.next();
        if (!events || this.reading !== reading) return;
        for (const event of events) this.window.push(event);
        this.coveredTo = events[events.length - 1]!.position;
        this.stats.eventsRead += events.length;
        this.evict();
        this.wakeAll();
      }
    } catch (error) {
      if (this.reading === reading) this.failure = { error };
      this.wakeAll();
    }
  }

  private wakeAll(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }

  private async stopReading(): Promise<void> {
    const reading = this.reading;
    if (!reading) return;
    this.reading = undefined;
    this.window = [];
    this.wakeReader?.();
    await reading.batches.close();
    await reading.done;
    this.wakeAll();
  }
}

class SharedLogCursor implements BatchSource {
  closed = false;
  /** Called to wake it while it waits at the end of the window. */
  wake: (() => void) | undefined;

  constructor(
    private readonly log: SharedLog,
    /** Position of the last event handed out. */
    public position: number,
  ) {}

  next(): Promise<RecordedEvent[] | undefined> {
    return this.log.nextFor(this);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.log.closeCursor(this);
  }
}
