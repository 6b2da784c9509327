import type { EventSubscription, RecordedEvent } from '#ruche/eventstore';

/**
 * Turns a subscription's one-event-at-a-time stream into batches of what is already there:
 * up to `maxBatch` events while catching up, fewer (down to one) once live. A pump reads ahead
 * while the consumer writes the previous batch, up to a bounded buffer.
 */
export class EventBatches {
  private readonly buffer: RecordedEvent[] = [];
  private ended = false;
  private failure: { error: unknown } | undefined;
  private wakeConsumer: (() => void) | undefined;
  private wakeProducer: (() => void) | undefined;
  private readonly pumping: Promise<void>;

  constructor(
    private readonly subscription: EventSubscription,
    private readonly maxBatch: number,
    private readonly highWater = Math.max(2 * maxBatch, 1000),
  ) {
    this.pumping = this.pump();
  }

  /** The next batch (at least one event), or undefined once closed. Rethrows the subscription's error. */
  async next(): Promise<RecordedEvent[] | undefined> {
    while (this.buffer.length === 0 && !this.ended) {
      await new Promise<void>((resolve) => (this.wakeConsumer = resolve));
    }
    this.rethrow();
    if (this.buffer.length === 0) return undefined;
    if (this.buffer.length < this.maxBatch) {
      // Let the pump move the rest of the page it is reading into the buffer first.
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    this.rethrow();
    const batch = this.buffer.splice(0, this.maxBatch);
    this.wake('producer');
    return batch.length > 0 ? batch : undefined;
  }

  async close(): Promise<void> {
    this.ended = true;
    this.wake('producer');
    this.wake('consumer');
    await this.subscription.close();
    await this.pumping;
  }

  private async pump(): Promise<void> {
    try {
      for await (const event of this.subscription) {
        if (this.ended) break;
        this.buffer.push(event);
        this.wake('consumer');
        while (this.buffer.length >= this.highWater && !this.ended) {
          await new Promise<void>((resolve) => (this.wakeProducer = resolve));
        }
        if (this.ended) break;
      }
    } catch (error) {
      if (!this.ended) this.failure = { error };
    } finally {
      this.ended = true;
      this.wake('consumer');
    }
  }

  private rethrow(): void {
    if (this.failure) throw this.failure.error;
  }

  private wake(who: 'consumer' | 'producer'): void {
    const wake = who === 'consumer' ? this.wakeConsumer : this.wakeProducer;
    if (who === 'consumer') this.wakeConsumer = undefined;
    else this.wakeProducer = undefined;
    wake?.();
  }
}
