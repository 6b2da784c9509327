import { v4 as uuidv4, v7 as uuidv7 } from 'uuid';
import type {
  AppendResult,
  EventStore,
  EventSubscription,
  EventToAppend,
  ExpectedRevision,
  RecordedEvent,
} from '../event-store.js';
import { InvalidAppendError, WrongExpectedVersionError } from '../errors.js';
import { withUpcasters, type Upcaster } from '../upcasting.js';

/** How the contract suite gets a store to test, and gives it back. */
export interface EventStoreContractHarness {
  /** A store on a fresh, empty log (new file, new schema…). Called once per suite. */
  open(): Promise<EventStore>;
  /** Called after the suite closed the store: remove what `open()` created. */
  teardown?(store: EventStore): Promise<void>;
}

const SLOW_MS = 120_000;
const CONCURRENCY_MS = 600_000;
const WAIT_MS = 30_000;

/** A fresh `<category>-<uuid>` stream name, so that no two tests share a stream. */
export function freshStream(category = 'contract'): string {
  return `${category}-${uuidv4()}`;
}

function events(count: number, type = 'ThingHappened', from = 0): EventToAppend[] {
  return Array.from({ length: count }, (_, i) => ({ id: uuidv7(), type, data: { n: from + i } }));
}

/** Settles a promise into its rejection reason (undefined when it resolved). */
async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  return undefined;
}

async function expectWrongVersion(
  promise: Promise<unknown>,
  streamName: string,
  expected: ExpectedRevision,
  actual: number,
): Promise<void> {
  const error = await rejectionOf(promise);
  expect(error).toBeInstanceOf(WrongExpectedVersionError);
  expect(error).toMatchObject({ code: 'WRONG_EXPECTED_VERSION', streamName, expected, actual });
}

async function expectInvalid(promise: Promise<unknown>, field: string | RegExp): Promise<void> {
  const error = await rejectionOf(promise);
  expect(error).toBeInstanceOf(InvalidAppendError);
  expect(error).toMatchObject({ code: 'INVALID_APPEND', field: typeof field === 'string' ? field : expect.stringMatching(field) });
}

function expectStrictlyIncreasing(positions: readonly number[]): void {
  for (let i = 1; i < positions.length; i++) {
    if (!(positions[i]! > positions[i - 1]!)) {
      throw new Error(`positions not strictly increasing at index ${i}: ${positions[i - 1]} then ${positions[i]}`);
    }
  }
}

/**
 * Consumes a subscription in the background and lets a test wait, with a timeout, until what it
 * received satisfies a condition (never a fixed sleep).
 */
class SubscriptionCollector {
  readonly received: RecordedEvent[] = [];
  readonly done: Promise<void>;
  private failure: unknown;
  private listeners = new Set<() => void>();

  constructor(readonly subscription: EventSubscription) {
    this.done = (async () => {
      try {
        for await (const event of subscription) {
          this.received.push(event);
          this.wake();
        }
      } catch (error) {
        this.failure = error;
      } finally {
        this.wake();
      }
    })();
  }

  private wake(): void {
    for (const listener of [...this.listeners]) listener();
  }

  until(condition: (received: readonly RecordedEvent[]) => boolean, what: string, timeoutMs = WAIT_MS): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        if (this.failure !== undefined) finish(() => reject(this.failure));
        else if (condition(this.received)) finish(resolve);
      };
      const finish = (settle: () => void): void => {
        clearTimeout(timer);
        this.listeners.delete(check);
        settle();
      };
      const timer = setTimeout(
        () => finish(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what} (${this.received.length} received)`))),
        timeoutMs,
      );
      this.listeners.add(check);
      check();
    });
  }

  sawPosition(position: number, what: string): Promise<void> {
    return this.until((r) => r.some((e) => e.position === position), what);
  }
}

/** Resolves with the promise's value, or rejects when it takes longer than `timeoutMs`. */
async function within<T>(promise: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms: ${what}`)), timeoutMs);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The contract every EventStore adapter passes: EventStoreDB/KurrentDB semantics for expected
 * revisions, idempotent retries, reads, catch-up subscriptions, metadata, validation and
 * concurrency. Run it from one `*.int.spec.ts` file per adapter; `describeFn` lets a caller skip
 * it (e.g. `pg.describe`) when the adapter's server is not reachable.
 */
export function describeEventStoreContract(
  adapterName: string,
  harness: EventStoreContractHarness,
  describeFn: jest.Describe = describe,
): void {
  describeFn(`EventStore contract: ${adapterName}`, () => {
    let store: EventStore;

    beforeAll(async () => {
      store = await harness.open();
    }, SLOW_MS);

    afterAll(async () => {
      if (!store) return;
      await store.close();
      await harness.teardown?.(store);
    }, SLOW_MS);

    describe('expected revision', () => {
      it('any: creates a stream and appends to an existing one; it is the default', async () => {
        const stream = freshStream();
        const first = await store.appendToStream(stream, events(2), { expectedRevision: 'any' });
        expect(first.nextExpectedRevision).toBe(1);
        const second = await store.appendToStream(stream, events(1), { expectedRevision: 'any' });
        expect(second.nextExpectedRevision).toBe(2);
        const third = await store.appendToStream(stream, events(1));
        expect(third.nextExpectedRevision).toBe(3);
        expect(second.position).toBeGreaterThan(first.position);
        expect(third.position).toBeGreaterThan(second.position);
        expect(await store.streamRevision(stream)).toBe(3);
      });

      it('no_stream: succeeds on an absent stream', async () => {
        const stream = freshStream();
        expect(await store.streamRevision(stream)).toBe(-1);
        const result = await store.appendToStream(stream, events(3), { expectedRevision: 'no_stream' });
        expect(result.nextExpectedRevision).toBe(2);
        expect(await store.streamRevision(stream)).toBe(2);
      });

      it('no_stream: conflicts on an existing stream with its actual revision, storing nothing', async () => {
        const stream = freshStream();
        await store.appendToStream(stream, events(2), { expectedRevision: 'no_stream' });
        const head = await store.headPosition();
        await expectWrongVersion(
          store.appendToStream(stream, events(1), { expectedRevision: 'no_stream' }),
          stream,
          'no_stream',
          1,
        );
        expect(await store.readStream(stream)).toHaveLength(2);
        expect(await store.headPosition()).toBe(head);
      });

      it('stream_exists: succeeds on an existing stream', async () => {
        const stream = freshStream();
        await store.appendToStream(stream, events(1));
        const result = await store.appendToStream(stream, events(2), { expectedRevision: 'stream_exists' });
        expect(result.nextExpectedRevision).toBe(2);
      });

      it('stream_exists: conflicts on an absent stream with actual -1, storing nothing', async () => {
        const stream = freshStream();
        const head = await store.headPosition();
        await expectWrongVersion(
          store.appendToStream(stream, events(1), { expectedRevision: 'stream_exists' }),
          stream,
          'stream_exists',
          -1,
        );
        expect(await store.readStream(stream)).toEqual([]);
        expect(await store.streamRevision(stream)).toBe(-1);
        expect(await store.headPosition()).toBe(head);
      });

      it('exact: succeeds when the revision is the stream last one', async () => {
        const stream = freshStream();
        await store.appendToStream(stream, events(3));
        const result = await store.appendToStream(stream, events(2), { expectedRevision: 2 });
        expect(result.nextExpectedRevision).toBe(4);
        const again = await store.appendToStream(stream, events(1), { expectedRevision: result.nextExpectedRevision });
        expect(again.nextExpectedRevision).toBe(5);
      });

      it.each([
        ['behind', 1],
        ['ahead', 5],
      ])('exact: conflicts when the expected revision is %s, with the actual revision, storing nothing', async (_, expected) => {
        const stream = freshStream();
        await store.appendToStream(stream, events(3));
        const head = await store.headPosition();
        await expectWrongVersion(store.appendToStream(stream, events(1), { expectedRevision: expected }), stream, expected, 2);
        expect(await store.readStream(stream)).toHaveLength(3);
        expect(await store.headPosition()).toBe(head);
      });

      it('exact: conflicts on an absent stream with actual -1', async () => {
        const stream = freshStream();
        await expectWrongVersion(store.appendToStream(stream, events(1), { expectedRevision: 0 }), stream, 0, -1);
        expect(await store.streamRevision(stream)).toBe(-1);
      });

      it('answers the revision and position of the batch last event', async () => {
        const stream = freshStream();
        const result = await store.appendToStream(stream, events(3), { expectedRevision: 'no_stream' });
        const recorded = await store.readStream(stream);
        expect(result).toEqual({ nextExpectedRevision: 2, position: recorded[2]!.position });
        expect(await store.headPosition()).toBe(result.position);
      });
    });

    describe('idempotent retries (EventStoreDB rules)', () => {
      /** Sets up a stream in the state each expectation needs and says what to expect. */
      async function placeFor(kind: 'any' | 'no_stream' | 'stream_exists' | 'exact'): Promise<{
        stream: string;
        expected: ExpectedRevision;
        before: number;
      }> {
        const stream = freshStream();
        if (kind === 'no_stream') return { stream, expected: 'no_stream', before: 0 };
        await store.appendToStream(stream, events(2));
        return { stream, expected: kind === 'exact' ? 1 : kind, before: 2 };
      }

      it.each(['any', 'no_stream', 'stream_exists', 'exact'] as const)(
        '%s: the same ids re-appended at the same place succeed with the same answer and store no duplicate',
        async (kind) => {
          const { stream, expected, before } = await placeFor(kind);
          const batch = events(3, 'Retried');
          const first = await store.appendToStream(stream, batch, { expectedRevision: expected });
          const head = await store.headPosition();
          const retry = await store.appendToStream(stream, batch, { expectedRevision: expected });
          const retryAgain = await store.appendToStream(stream, batch, { expectedRevision: expected });
          expect(retry).toEqual(first);
          expect(retryAgain).toEqual(first);
          expect(first.nextExpectedRevision).toBe(before + 2);
          const recorded = await store.readStream(stream);
          expect(recorded).toHaveLength(before + 3);
          expect(recorded.slice(before).map((e) => e.id)).toEqual(batch.map((e) => e.id));
          expect(await store.headPosition()).toBe(head);
        },
      );

      it('exact: a retry at the original place still succeeds after the stream moved on', async () => {
        const stream = freshStream();
        await store.appendToStream(stream, events(1));
        const batch = events(2, 'Retried');
        const first = await store.appendToStream(stream, batch, { expectedRevision: 0 });
        await store.appendToStream(stream, events(2), { expectedRevision: 2 });
        const retry = await store.appendToStream(stream, batch, { expectedRevision: 0 });
        expect(retry).toEqual(first);
        expect(await store.readStream(stream)).toHaveLength(5);
      });

      it.each(['any', 'no_stream', 'stream_exists', 'exact'] as const)(
        '%s: a partially committed batch (stored ids plus new ones) conflicts and stores nothing',
        async (kind) => {
          const { stream, expected, before } = await placeFor(kind);
          const batch = events(2, 'Retried');
          await store.appendToStream(stream, batch, { expectedRevision: expected });
          const head = await store.headPosition();
          const extended = [...batch, ...events(1, 'New')];
          await expectWrongVersion(store.appendToStream(stream, extended, { expectedRevision: expected }), stream, expected, before + 1);
          const recorded = await store.readStream(stream);
          expect(recorded).toHaveLength(before + 2);
          expect(await store.headPosition()).toBe(head);
        },
      );

      it('the same ids at another place conflict (exact revision behind, no_stream, reordered)', async () => {
        const stream = freshStream();
        await store.appendToStream(stream, events(1));
        const batch = events(2, 'Retried');
        await store.appendToStream(stream, batch, { expectedRevision: 0 });
        const head = await store.headPosition();
        // The batch sits at revisions 1-2; expecting revision 1 places it at 2-3. (Expecting the
        // current revision is left out: EventStoreDB then appends the ids again, non-idempotently.)
        await expectWrongVersion(store.appendToStream(stream, batch, { expectedRevision: 1 }), stream, 1, 2);
        await expectWrongVersion(store.appendToStream(stream, batch, { expectedRevision: 'no_stream' }), stream, 'no_stream', 2);
        await expectWrongVersion(store.appendToStream(stream, [batch[1]!, batch[0]!], { expectedRevision: 0 }), stream, 0, 2);
        expect(await store.readStream(stream)).toHaveLength(3);
        expect(await store.headPosition()).toBe(head);
      });
    });

    describe('readStream', () => {
      let stream: string;
      let appended: EventToAppend[];

      beforeAll(async () => {
        stream = freshStream();
        appended = events(10, 'Counted');
        await store.appendToStream(stream, appended.slice(0, 4), { expectedRevision: 'no_stream' });
        await store.appendToStream(stream, appended.slice(4), { expectedRevision: 3 });
      });

      it('reads forwards, 0-based revisions, ids and data in order, createdAt a Date', async () => {
        const recorded = await store.readStream(stream);
        expect(recorded.map((e) => e.revision)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
        expect(recorded.map((e) => e.id)).toEqual(appended.map((e) => e.id));
        expect(recorded.map((e) => e.data)).toEqual(appended.map((e) => e.data));
        expectStrictlyIncreasing(recorded.map((e) => e.position));
        for (const e of recorded) {
          expect(e.streamName).toBe(stream);
          expect(e.type).toBe('Counted');
          expect(e.createdAt).toBeInstanceOf(Date);
          expect(Number.isNaN(e.createdAt.getTime())).toBe(false);
          expect(Number.isSafeInteger(e.position)).toBe(true);
        }
      });

      it('reads forwards from a revision with maxCount', async () => {
        const recorded = await store.readStream(stream, { fromRevision: 2, maxCount: 3 });
        expect(recorded.map((e) => e.revision)).toEqual([2, 3, 4]);
        expect(recorded.map((e) => e.id)).toEqual(appended.slice(2, 5).map((e) => e.id));
        expect((await store.readStream(stream, { fromRevision: 7 })).map((e) => e.revision)).toEqual([7, 8, 9]);
        expect((await store.readStream(stream, { maxCount: 2 })).map((e) => e.revision)).toEqual([0, 1]);
        expect(await store.readStream(stream, { fromRevision: 10 })).toEqual([]);
      });

      it('reads backwards from the end, or from a revision, with maxCount', async () => {
        const all = await store.readStream(stream, { direction: 'backwards' });
        expect(all.map((e) => e.revision)).toEqual([9, 8, 7, 6, 5, 4, 3, 2, 1, 0]);
        const some = await store.readStream(stream, { direction: 'backwards', fromRevision: 6, maxCount: 3 });
        expect(some.map((e) => e.revision)).toEqual([6, 5, 4]);
        const last = await store.readStream(stream, { direction: 'backwards', maxCount: 1 });
        expect(last.map((e) => e.id)).toEqual([appended[9]!.id]);
      });

      it('reads an absent stream as an empty list, in both directions', async () => {
        const absent = freshStream();
        expect(await store.readStream(absent)).toEqual([]);
        expect(await store.readStream(absent, { direction: 'backwards' })).toEqual([]);
        expect(await store.streamRevision(absent)).toBe(-1);
      });
    });

    describe('readAll', () => {
      it('reads every stream in commit order, exclusive from a position, with maxCount', async () => {
        const a = freshStream('alpha');
        const b = freshStream('beta');
        const head = await store.headPosition();
        const order: string[] = [];
        for (const [stream, batch] of [
          [a, events(2)],
          [b, events(1)],
          [a, events(3)],
          [b, events(2)],
        ] as const) {
          await store.appendToStream(stream, batch);
          order.push(...batch.map((e) => e.id!));
        }
        const all = await store.readAll({ fromPosition: head });
        expect(all.map((e) => e.id)).toEqual(order);
        expect(all[0]!.position).toBeGreaterThan(head);
        expectStrictlyIncreasing(all.map((e) => e.position));
        expect(all.map((e) => `${e.streamName === a ? 'a' : 'b'}${e.revision}`)).toEqual([
          'a0', 'a1', 'b0', 'a2', 'a3', 'a4', 'b1', 'b2',
        ]);
        expect(all.at(-1)!.position).toBe(await store.headPosition());

        const page = await store.readAll({ fromPosition: all[1]!.position, maxCount: 3 });
        expect(page.map((e) => e.id)).toEqual(order.slice(2, 5));
        expect(await store.readAll({ fromPosition: all.at(-1)!.position })).toEqual([]);
        for (const e of all) expect(e.createdAt).toBeInstanceOf(Date);
      });

      it('starts at the beginning of the log by default, at a position above 0', async () => {
        await store.appendToStream(freshStream(), events(1));
        const [first] = await store.readAll({ maxCount: 1 });
        expect(first).toBeDefined();
        expect(first!.position).toBeGreaterThan(0);
        const [fromZero] = await store.readAll({ fromPosition: 0, maxCount: 1 });
        expect(fromZero!.id).toBe(first!.id);
      });
    });

    describe('readEvents', () => {
      it('reads the events at given positions in position order, each once, leaving out positions the log lacks', async () => {
        const a = freshStream('alpha');
        const b = freshStream('beta');
        const head = await store.headPosition();
        await store.appendToStream(a, events(3));
        await store.appendToStream(b, events(2));
        await store.appendToStream(a, events(2));
        const all = await store.readAll({ fromPosition: head });
        const at = (i: number): number => all[i]!.position;
        const beyond = (await store.headPosition()) + 1_000;
        const read = await store.readEvents([at(5), at(1), beyond, at(5), at(3), at(6)]);
        expect(read).toEqual([all[1], all[3], all[5], all[6]]);
        for (const e of read) expect(e.createdAt).toBeInstanceOf(Date);
        expect(await store.readEvents([])).toEqual([]);
        expect(await store.readEvents([beyond])).toEqual([]);
      });

      it.each([
        ['0', [0]],
        ['a negative position', [-3]],
        ['a fraction', [1.5]],
        ['a string', ['7' as unknown as number]],
        ['NaN among valid ones', [1, Number.NaN]],
      ])('rejects %s with a RangeError naming positions', async (_, positions) => {
        await expect(store.readEvents(positions)).rejects.toThrow(RangeError);
        await expect(store.readEvents(positions)).rejects.toThrow(/positions/);
      });
    });

    describe('subscribeToAll', () => {
      it(
        'started mid-history while appends continue, switches to live with no gap and no duplicate; close() ends it',
        async () => {
          const start = await store.headPosition();
          const history = [freshStream('hist'), freshStream('hist'), freshStream('hist')];
          for (let i = 0; i < 30; i++) await store.appendToStream(history[i % 3]!, events(1 + (i % 3), 'Past', i));
          const past = await store.readAll({ fromPosition: start });
          expect(past).toHaveLength(60);
          const mid = past[24]!.position;

          const collector = new SubscriptionCollector(store.subscribeToAll({ fromPosition: mid }));

          // Concurrent writers on distinct streams while the subscription is still catching up:
          // where commits can become visible out of position order, this is where a gap shows.
          const writers = Array.from({ length: 4 }, async (_, w) => {
            const stream = freshStream('during');
            for (let i = 0; i < 15; i++) await store.appendToStream(stream, events(1 + (i % 2), 'During', i));
          });
          await Promise.all(writers);

          // Then live: each event must arrive after it was appended, the subscription waiting.
          const live = freshStream('live');
          const liveIds: string[] = [];
          for (let i = 0; i < 10; i++) {
            const batch = events(1 + (i % 3), 'Live', i);
            const result = await store.appendToStream(live, batch);
            liveIds.push(...batch.map((e) => e.id!));
            await collector.sawPosition(result.position, `live append #${i} at position ${result.position}`);
          }

          const expected = await store.readAll({ fromPosition: mid });
          expect(expected).toHaveLength(35 + 4 * 22 + liveIds.length);
          await collector.sawPosition(expected.at(-1)!.position, 'the last appended position');
          await collector.subscription.close();
          await within(collector.done, WAIT_MS, 'the subscription loop to end after close()');

          const positions = collector.received.map((e) => e.position);
          expect(positions).toEqual(expected.map((e) => e.position));
          expect(collector.received.map((e) => e.id)).toEqual(expected.map((e) => e.id));
          expect(positions[0]).toBeGreaterThan(mid);
          expect(new Set(positions).size).toBe(positions.length);
          expect(collector.received.slice(-liveIds.length).map((e) => e.id)).toEqual(liveIds);
          for (const e of collector.received) expect(e.createdAt).toBeInstanceOf(Date);

          // Closed means closed: nothing more arrives after an append.
          const after = await store.appendToStream(freshStream(), events(1));
          expect(collector.received.some((e) => e.position === after.position)).toBe(false);
        },
        SLOW_MS,
      );

      it('starts at the beginning of the log by default', async () => {
        await store.appendToStream(freshStream(), events(1));
        const [first] = await store.readAll({ maxCount: 1 });
        const collector = new SubscriptionCollector(store.subscribeToAll());
        await collector.until((r) => r.length >= 1, 'the first event of the log');
        await collector.subscription.close();
        await within(collector.done, WAIT_MS, 'the subscription to end after close()');
        expect(collector.received[0]!.id).toBe(first!.id);
        expect(collector.received[0]!.position).toBe(first!.position);
      });

      it('ends when the consumer breaks out of the loop', async () => {
        const head = await store.headPosition();
        await store.appendToStream(freshStream(), events(3));
        const subscription = store.subscribeToAll({ fromPosition: head });
        const seen: RecordedEvent[] = [];
        await within(
          (async () => {
            for await (const event of subscription) {
              seen.push(event);
              if (seen.length === 2) break;
            }
          })(),
          WAIT_MS,
          'breaking out of a subscription',
        );
        expect(seen).toHaveLength(2);
        expect(seen[0]!.position).toBeGreaterThan(head);
        await subscription.close();
      });
    });

    describe('metadata', () => {
      it('round-trips userId, correlationId, causationId, schemaVersion and extra keys', async () => {
        const stream = freshStream();
        const before = Date.now();
        const metadata = {
          userId: uuidv7(),
          correlationId: uuidv7(),
          causationId: uuidv7(),
          schemaVersion: 3,
          tenant: { uai: '0061234X', académie: 'Nice' },
          tags: ['pix', 2, true, null],
        };
        const head = await store.headPosition();
        await store.appendToStream(stream, [
          { id: uuidv7(), type: 'WithMetadata', data: { ok: true }, metadata },
          { id: uuidv7(), type: 'WithoutMetadata', data: { ok: false } },
        ]);
        const after = Date.now();
        for (const read of [await store.readStream(stream), await store.readAll({ fromPosition: head })]) {
          expect(read).toHaveLength(2);
          expect(read[0]!.metadata).toEqual(metadata);
          expect(read[1]!.metadata).toEqual({ schemaVersion: 1 });
          for (const e of read) {
            expect(e.createdAt).toBeInstanceOf(Date);
            // Generous bounds: a server clock may drift a little from ours.
            expect(e.createdAt.getTime()).toBeGreaterThanOrEqual(before - 60_000);
            expect(e.createdAt.getTime()).toBeLessThanOrEqual(after + 60_000);
          }
        }
      });
    });

    describe('payloads', () => {
      it('keeps Unicode as it is: accents, emoji, right-to-left text and a NUL character', async () => {
        const stream = freshStream();
        const data = {
          accents: 'Académie de Nice — élèves, ça marche ! Œuvre, naïve, Ÿ',
          emoji: '🐝🎓👩🏽‍🏫 🇫🇷',
          rtl: 'مرحبا بالعالم — שלום עולם',
          nul: 'avant\u0000après',
          'clé ✓': ['\u2028', '\u{1F600}', '"quotes" \\ back\\slash\n\t'],
        };
        const metadata = { userId: 'éloïse-🐝', schemaVersion: 1, note: 'زمن' };
        await store.appendToStream(stream, [{ id: uuidv7(), type: 'FicheModifiée', data, metadata }]);
        const [recorded] = await store.readStream(stream);
        expect(recorded!.type).toBe('FicheModifiée');
        expect(recorded!.data).toEqual(data);
        expect(recorded!.metadata).toEqual(metadata);
      });

      it(
        'stores and reads back a 1 MiB payload',
        async () => {
          const stream = freshStream();
          const chunk = 'Ruche — fiche PIX 1.1 ✓ ';
          const blob = chunk.repeat(Math.ceil((1024 * 1024) / chunk.length)).slice(0, 1024 * 1024);
          const data = { blob, size: blob.length };
          await store.appendToStream(stream, [{ id: uuidv7(), type: 'Big', data }]);
          const [recorded] = await store.readStream(stream);
          expect((recorded!.data as { blob: string }).blob.length).toBe(1024 * 1024);
          expect(recorded!.data).toEqual(data);
        },
        SLOW_MS,
      );
    });

    it(
      'holds 1,000 streams',
      async () => {
        const head = await store.headPosition();
        const streams = Array.from({ length: 1000 }, () => freshStream('many'));
        for (let i = 0; i < streams.length; i += 25) {
          await Promise.all(
            streams.slice(i, i + 25).map((s) => store.appendToStream(s, events(1, 'Created'), { expectedRevision: 'no_stream' })),
          );
        }
        const all = await store.readAll({ fromPosition: head });
        expect(all).toHaveLength(1000);
        expect(new Set(all.map((e) => e.streamName))).toEqual(new Set(streams));
        expect(all.every((e) => e.revision === 0)).toBe(true);
        expectStrictlyIncreasing(all.map((e) => e.position));
        for (const s of [streams[0]!, streams[499]!, streams[999]!]) {
          expect(await store.streamRevision(s)).toBe(0);
          expect(await store.readStream(s)).toHaveLength(1);
        }
      },
      SLOW_MS,
    );

    describe('upcasting on read (withUpcasters)', () => {
      interface TopicOpenedV1 {
        title: string;
      }
      const v1ToV2: Upcaster = {
        type: 'TopicOpened',
        fromVersion: 1,
        upcast: (event) => ({
          ...event,
          data: { title: (event.data as TopicOpenedV1).title, tags: [] },
          metadata: { ...event.metadata, schemaVersion: 2 },
        }),
      };

      it('turns a stored v1 event into v2 in readStream, readAll, readEvents and subscribe, and leaves the stored event unchanged', async () => {
        const upcasting = withUpcasters(store, [v1ToV2]);
        const stream = freshStream('topic');
        const head = await store.headPosition();
        const v1 = { id: uuidv7(), type: 'TopicOpened', data: { title: 'Premiers pas PIX' }, metadata: { schemaVersion: 1 } };
        const v2 = { id: uuidv7(), type: 'TopicOpened', data: { title: 'Déjà v2', tags: ['pix'] }, metadata: { schemaVersion: 2 } };
        await upcasting.appendToStream(stream, [v1, v2]);

        const expectUpcast = (read: readonly RecordedEvent[]): void => {
          expect(read.map((e) => [e.id, e.metadata.schemaVersion, e.data])).toEqual([
            [v1.id, 2, { title: 'Premiers pas PIX', tags: [] }],
            [v2.id, 2, { title: 'Déjà v2', tags: ['pix'] }],
          ]);
        };
        expectUpcast(await upcasting.readStream(stream));
        expectUpcast(await upcasting.readAll({ fromPosition: head }));
        expectUpcast(await upcasting.readEvents((await store.readAll({ fromPosition: head })).map((e) => e.position)));

        const collector = new SubscriptionCollector(upcasting.subscribeToAll({ fromPosition: head }));
        await collector.until((r) => r.length >= 2, 'two upcast events from the subscription');
        await collector.subscription.close();
        await within(collector.done, WAIT_MS, 'the upcasting subscription to end after close()');
        expectUpcast(collector.received.slice(0, 2));

        const stored = await store.readStream(stream);
        expect(stored[0]!.metadata.schemaVersion).toBe(1);
        expect(stored[0]!.data).toEqual({ title: 'Premiers pas PIX' });
        expect(stored[1]!.data).toEqual(v2.data);
      });
    });

    describe('bad input', () => {
      const valid = (): EventToAppend[] => events(1);
      type BadCase = [string, string | RegExp, (stream: string) => Promise<AppendResult>];
      const cases: BadCase[] = [
        ['an unknown expectedRevision form', 'expectedRevision', (s) =>
          store.appendToStream(s, valid(), { expectedRevision: 'later' as unknown as ExpectedRevision })],
        ['a negative expectedRevision', 'expectedRevision', (s) =>
          store.appendToStream(s, valid(), { expectedRevision: -1 })],
        ['a fractional expectedRevision', 'expectedRevision', (s) =>
          store.appendToStream(s, valid(), { expectedRevision: 1.5 })],
        ['an empty type', 'events[0].type', (s) => store.appendToStream(s, [{ type: '', data: {} }])],
        ['a blank type in the second event', 'events[1].type', (s) =>
          store.appendToStream(s, [...valid(), { type: '   ', data: {} }])],
        ['a BigInt in data', 'events[0].data', (s) => store.appendToStream(s, [{ type: 'A', data: { n: 1n } }])],
        ['a function in data', 'events[0].data', (s) => store.appendToStream(s, [{ type: 'A', data: { f: () => 1 } }])],
        ['NaN in data', 'events[0].data', (s) => store.appendToStream(s, [{ type: 'A', data: { x: Number.NaN } }])],
        ['undefined data', 'events[0].data', (s) => store.appendToStream(s, [{ type: 'A', data: undefined }])],
        ['non-JSON data in the last event of a batch', 'events[2].data', (s) =>
          store.appendToStream(s, [...valid(), ...valid(), { type: 'A', data: { x: Infinity } }])],
        ['a non-UUID id', 'events[0].id', (s) => store.appendToStream(s, [{ id: 'not-a-uuid', type: 'A', data: {} }])],
        ['no events', 'events', (s) => store.appendToStream(s, [])],
      ];

      it.each(cases)('%s rejects with InvalidAppendError naming %p and appends nothing', async (_, field, append) => {
        const stream = freshStream();
        const head = await store.headPosition();
        await expectInvalid(append(stream), field);
        expect(await store.headPosition()).toBe(head);
        expect(await store.readStream(stream)).toEqual([]);
      });

      it.each([
        ['no dash', 'space'],
        ['an upper-case category', 'Space-1'],
        ['an empty id', 'space-'],
        ['a space in the id', 'space-a b'],
        ['no category', '-abc'],
        ['an empty name', ''],
      ])('a stream name with %s (%p) rejects with InvalidAppendError naming streamName and appends nothing', async (_, name) => {
        const head = await store.headPosition();
        await expectInvalid(store.appendToStream(name, valid()), 'streamName');
        expect(await store.headPosition()).toBe(head);
      });
    });

    describe('positions and revisions', () => {
      it('positions strictly increase across and within batches; revisions are 0-based and contiguous', async () => {
        const head = await store.headPosition();
        const streams = [freshStream(), freshStream()];
        const results: AppendResult[] = [];
        for (let i = 0; i < 12; i++) results.push(await store.appendToStream(streams[i % 2]!, events(1 + (i % 4))));
        expectStrictlyIncreasing(results.map((r) => r.position));
        const all = await store.readAll({ fromPosition: head });
        expectStrictlyIncreasing(all.map((e) => e.position));
        expect(all.at(-1)!.position).toBe(results.at(-1)!.position);
        for (const stream of streams) {
          const recorded = await store.readStream(stream);
          expect(recorded.map((e) => e.revision)).toEqual(recorded.map((_, i) => i));
          expectStrictlyIncreasing(recorded.map((e) => e.position));
        }
      });

      it('reports health as up', async () => {
        const health = await store.health();
        expect(health.status).toBe('up');
        expect(typeof health.adapter).toBe('string');
        expect(health.adapter.length).toBeGreaterThan(0);
      });
    });

    describe('concurrency', () => {
      it(
        '32 writers × 200 appends on 8 hot streams with exact expected revisions: contiguous, no duplicate, nothing lost',
        async () => {
          const WRITERS = 32;
          const APPENDS = 200;
          const streams = Array.from({ length: 8 }, () => freshStream('hot'));
          const acknowledged: string[] = [];
          let conflicts = 0;
          const started = Date.now();
          // A subscription live through the whole storm: where positions can become visible out
          // of order (late commits), it would skip events that readAll later shows.
          const head = await store.headPosition();
          const live = new SubscriptionCollector(store.subscribeToAll({ fromPosition: head }));

          const writer = async (w: number): Promise<void> => {
            for (let i = 0; i < APPENDS; i++) {
              const stream = streams[(w + i) % streams.length]!;
              // One id per logical append, kept across retries, as a command handler would.
              const event: EventToAppend = { id: uuidv7(), type: 'Hot', data: { writer: w, i } };
              for (let attempt = 0; ; attempt++) {
                if (attempt > 10_000) throw new Error(`writer ${w} starved on append ${i}`);
                const revision = await store.streamRevision(stream);
                try {
                  await store.appendToStream(stream, [event], { expectedRevision: revision === -1 ? 'no_stream' : revision });
                  acknowledged.push(event.id!);
                  break;
                } catch (error) {
                  if (!(error instanceof WrongExpectedVersionError)) throw error;
                  conflicts++;
                }
              }
            }
          };
          await Promise.all(Array.from({ length: WRITERS }, (_, w) => writer(w)));

          console.log(
            `[contract:${adapterName}] concurrency: ${WRITERS} writers × ${APPENDS} appends on ${streams.length} streams, ` +
              `${acknowledged.length} acknowledged, ${conflicts} WrongExpectedVersion conflicts retried, ${Date.now() - started} ms`,
          );
          expect(acknowledged).toHaveLength(WRITERS * APPENDS);
          expect(conflicts).toBeGreaterThan(0);

          const stored: RecordedEvent[] = [];
          for (const stream of streams) {
            const recorded = await store.readStream(stream);
            expect(recorded.map((e) => e.revision)).toEqual(recorded.map((_, i) => i));
            expect(await store.streamRevision(stream)).toBe(recorded.length - 1);
            expectStrictlyIncreasing(recorded.map((e) => e.position));
            stored.push(...recorded);
          }
          const storedIds = stored.map((e) => e.id);
          expect(storedIds).toHaveLength(WRITERS * APPENDS);
          expect(new Set(storedIds).size).toBe(storedIds.length);
          expect(new Set(storedIds)).toEqual(new Set(acknowledged));

          const all = await store.readAll({ fromPosition: head });
          expect(all).toHaveLength(WRITERS * APPENDS);
          expectStrictlyIncreasing(all.map((e) => e.position));
          await live.sawPosition(all.at(-1)!.position, 'the last concurrent append');
          await live.subscription.close();
          await within(live.done, WAIT_MS, 'the subscription to end after close()');
          expect(live.received.map((e) => e.position)).toEqual(all.map((e) => e.position));
        },
        CONCURRENCY_MS,
      );
    });
  });
}
