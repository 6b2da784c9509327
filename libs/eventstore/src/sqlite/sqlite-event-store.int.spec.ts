import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Sqlite from 'better-sqlite3';
import { v7 as uuidv7 } from 'uuid';
import {
  type AppendResult,
  EventStoreClosedError,
  InvalidAppendError,
  type RecordedEvent,
  SqliteEventStore,
  WrongExpectedVersionError,
} from '#ruche/eventstore';
import { configureConnection } from './sqlite-schema.js';

let dir: string;
let counter = 0;
const open: SqliteEventStore[] = [];

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'ruche-sqlite-es-'));
});

afterEach(async () => {
  await Promise.all(open.splice(0).map((store) => store.close()));
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

function freshFile(): string {
  return join(dir, `events-${++counter}.db`);
}

function openStore(filename = freshFile(), pollIntervalMs?: number): SqliteEventStore {
  const store = SqliteEventStore.open({ filename, pollIntervalMs });
  open.push(store);
  return store;
}

const stream = (category = 'space'): string => `${category}-${uuidv7()}`;
const tick = (n: number) => ({ type: 'Ticked', data: { n } });

/** Polls a condition without a fixed sleep: resolves as soon as it holds, fails after `timeoutMs`. */
async function until(condition: () => boolean, timeoutMs = 5000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Drains a subscription into an array in the background. */
function collect(store: SqliteEventStore, fromPosition?: number) {
  const seen: RecordedEvent[] = [];
  const subscription = store.subscribeToAll({ fromPosition });
  const done = (async () => {
    for await (const event of subscription) seen.push(event);
  })();
  return { seen, subscription, done };
}

describe('SqliteEventStore: the file', () => {
  it('creates its es_ tables in WAL mode, and reopens an existing file without losing anything', async () => {
    const filename = freshFile();
    const first = openStore(filename);
    expect(first.filename).toBe(filename);
    const s = stream();
    await first.appendToStream(s, [tick(1)]);
    await first.close();

    const again = openStore(filename);
    expect((await again.readStream(s)).map((e) => e.data)).toEqual([{ n: 1 }]);

    const raw = new Sqlite(filename, { readonly: true });
    try {
      const tables = raw
        .prepare<[], { name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'es\\_%' ESCAPE '\\' ORDER BY name")
        .all()
        .map((row) => row.name);
      expect(tables).toEqual(['es_events', 'es_streams']);
      expect(raw.pragma('journal_mode', { simple: true })).toBe('wal');
    } finally {
      raw.close();
    }
  });

  it('configures each connection for durability: WAL, synchronous=FULL, a busy timeout', () => {
    const db = new Sqlite(freshFile());
    try {
      configureConnection(db, { busyTimeoutMs: 1234 });
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
      expect(db.pragma('synchronous', { simple: true })).toBe(2);
      expect(db.pragma('busy_timeout', { simple: true })).toBe(1234);
    } finally {
      db.close();
    }
  });
});

describe('SqliteEventStore: appending and reading', () => {
  it('round-trips an event with its metadata, revision, position and date', async () => {
    const store = openStore();
    const s = stream();
    const id = uuidv7();
    const before = Date.now();
    const result = await store.appendToStream(s, [
      { id, type: 'SpaceCreated', data: { name: 'TRIBU PIX', tags: ['pix'], nested: { ok: true } }, metadata: { userId: 'u-1', custom: 42 } },
    ]);
    expect(result).toEqual({ nextExpectedRevision: 0, position: 1 });

    const [event] = await store.readStream(s);
    expect(event).toEqual({
      id,
      type: 'SpaceCreated',
      data: { name: 'TRIBU PIX', tags: ['pix'], nested: { ok: true } },
      metadata: { userId: 'u-1', custom: 42, schemaVersion: 1 },
      streamName: s,
      revision: 0,
      position: 1,
      createdAt: expect.any(Date),
    });
    expect(event!.createdAt.getTime()).toBeGreaterThanOrEqual(before);
    expect(event!.createdAt.getTime()).toBeLessThanOrEqual(Date.now());
    expect(await store.readAll()).toEqual([event]);
  });

  it('reads a stream forwards and backwards, from an inclusive revision, up to maxCount', async () => {
    const store = openStore();
    const s = stream();
    await store.appendToStream(s, [0, 1, 2, 3, 4].map(tick));
    await store.appendToStream(stream(), [tick(99)]);
    const revisions = (events: RecordedEvent[]) => events.map((e) => e.revision);

    expect(revisions(await store.readStream(s))).toEqual([0, 1, 2, 3, 4]);
    expect(revisions(await store.readStream(s, { fromRevision: 2 }))).toEqual([2, 3, 4]);
    expect(revisions(await store.readStream(s, { fromRevision: 1, maxCount: 2 }))).toEqual([1, 2]);
    expect(revisions(await store.readStream(s, { direction: 'backwards' }))).toEqual([4, 3, 2, 1, 0]);
    expect(revisions(await store.readStream(s, { direction: 'backwards', fromRevision: 2 }))).toEqual([2, 1, 0]);
    expect(revisions(await store.readStream(s, { direction: 'backwards', maxCount: 2 }))).toEqual([4, 3]);
    expect(revisions(await store.readStream(s, { fromRevision: 5 }))).toEqual([]);
    expect(await store.readStream(stream())).toEqual([]);
    await expect(store.readStream(s, { maxCount: -1 })).rejects.toThrow(RangeError);
  });

  it('reads all streams in position order after an exclusive position, up to maxCount', async () => {
    const store = openStore();
    const a = stream();
    const b = stream('topic');
    await store.appendToStream(a, [tick(1), tick(2)]);
    await store.appendToStream(b, [tick(3)]);
    await store.appendToStream(a, [tick(4)]);

    const all = await store.readAll();
    expect(all.map((e) => [e.streamName, e.revision, e.position])).toEqual([
      [a, 0, 1],
      [a, 1, 2],
      [b, 0, 3],
      [a, 2, 4],
    ]);
    expect((await store.readAll({ fromPosition: 2 })).map((e) => e.position)).toEqual([3, 4]);
    expect((await store.readAll({ fromPosition: 1, maxCount: 2 })).map((e) => e.position)).toEqual([2, 3]);
    expect(await store.readAll({ fromPosition: 4 })).toEqual([]);
  });

  it('enforces expected revisions and reports the actual one', async () => {
    const store = openStore();
    const s = stream();
    await expect(store.appendToStream(s, [tick(0)], { expectedRevision: 'stream_exists' })).rejects.toMatchObject({
      code: 'WRONG_EXPECTED_VERSION',
      actual: -1,
    });
    await expect(store.appendToStream(s, [tick(0)], { expectedRevision: 0 })).rejects.toBeInstanceOf(WrongExpectedVersionError);
    expect(await store.appendToStream(s, [tick(0)], { expectedRevision: 'no_stream' })).toMatchObject({ nextExpectedRevision: 0 });
    await expect(store.appendToStream(s, [tick(1)], { expectedRevision: 'no_stream' })).rejects.toMatchObject({ actual: 0 });
    await expect(store.appendToStream(s, [tick(1)], { expectedRevision: 3 })).rejects.toMatchObject({ expected: 3, actual: 0 });
    expect(await store.appendToStream(s, [tick(1)], { expectedRevision: 0 })).toMatchObject({ nextExpectedRevision: 1 });
    expect(await store.appendToStream(s, [tick(2)], { expectedRevision: 'stream_exists' })).toMatchObject({ nextExpectedRevision: 2 });
    expect(await store.appendToStream(s, [tick(3)])).toMatchObject({ nextExpectedRevision: 3 });
    expect((await store.readStream(s)).map((e) => e.data)).toEqual([0, 1, 2, 3].map((n) => ({ n })));
    expect(await store.streamRevision(s)).toBe(3);
  });

  it('answers a retry of the same ids at the same place with the first result, and writes nothing', async () => {
    const store = openStore();
    const s = stream();
    const batch = [
      { id: uuidv7(), ...tick(0) },
      { id: uuidv7(), ...tick(1) },
    ];
    const first = await store.appendToStream(s, batch, { expectedRevision: 'no_stream' });
    await store.appendToStream(s, [tick(2)]);

    expect(await store.appendToStream(s, batch, { expectedRevision: 'no_stream' })).toEqual(first);
    expect(await store.appendToStream(s, batch, { expectedRevision: 'any' })).toEqual(first);
    // Only part of the batch stored, or stored elsewhere than expected: a conflict, not a retry.
    await expect(store.appendToStream(s, [batch[0]!, { id: uuidv7(), ...tick(9) }], { expectedRevision: 'no_stream' })).rejects.toBeInstanceOf(
      WrongExpectedVersionError,
    );
    await expect(store.appendToStream(s, batch, { expectedRevision: 1 })).rejects.toBeInstanceOf(WrongExpectedVersionError);
    expect(await store.streamRevision(s)).toBe(2);
    expect(await store.headPosition()).toBe(3);
  });

  it('rejects a malformed append with a rejected promise, writing nothing', async () => {
    const store = openStore();
    const s = stream();
    const pending = store.appendToStream(s, [{ type: 'A', data: { n: 1n } }]);
    expect(pending).toBeInstanceOf(Promise);
    await expect(pending).rejects.toBeInstanceOf(InvalidAppendError);
    await expect(store.appendToStream('Not a stream', [tick(1)])).rejects.toMatchObject({ field: 'streamName' });
    await expect(store.appendToStream(s, [])).rejects.toMatchObject({ field: 'events' });
    expect(await store.headPosition()).toBe(0);
    expect(store.commitCount).toBe(0);
  });

  it('tells the head position, a stream revision and its health', async () => {
    const store = openStore();
    expect(await store.headPosition()).toBe(0);
    expect(await store.health()).toEqual({ status: 'up', adapter: 'sqlite', lastPosition: 0 });
    const s = stream();
    expect(await store.streamRevision(s)).toBe(-1);
    await store.appendToStream(s, [tick(1), tick(2), tick(3)]);
    expect(await store.streamRevision(s)).toBe(2);
    expect(await store.headPosition()).toBe(3);
    expect(await store.health()).toEqual({ status: 'up', adapter: 'sqlite', lastPosition: 3 });
  });
});

describe('SqliteEventStore: group commit', () => {
  it('lands 100 appends started in one tick in very few commits, all acknowledged, positions contiguous', async () => {
    const store = openStore();
    const streams = Array.from({ length: 10 }, () => stream());
    const results = await Promise.all(
      Array.from({ length: 100 }, (_, i) => store.appendToStream(streams[i % 10]!, [tick(i)], { expectedRevision: 'any' })),
    );
    expect(store.commitCount).toBeLessThanOrEqual(2);
    const positions = results.map((r) => r.position).sort((x, y) => x - y);
    expect(positions).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    // Each stream got its 10 appends at revisions 0..9, in the order they were started.
    for (const [index, s] of streams.entries()) {
      const events = await store.readStream(s);
      expect(events.map((e) => e.revision)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
      expect(events.map((e) => (e.data as { n: number }).n)).toEqual(Array.from({ length: 10 }, (_, k) => index + 10 * k));
    }
  });

  it('lets each append of a group see the ones before it, and fails only the one that conflicts', async () => {
    const store = openStore();
    const s = stream();
    const other = stream();
    const retried = [{ id: uuidv7(), ...tick(0) }];
    const outcomes = await Promise.allSettled([
      store.appendToStream(s, retried, { expectedRevision: 'no_stream' }),
      store.appendToStream(s, [tick(99)], { expectedRevision: 'no_stream' }), // conflicts with the first
      store.appendToStream(s, [tick(1)], { expectedRevision: 0 }), // sees the first's revision
      store.appendToStream(s, retried, { expectedRevision: 'no_stream' }), // a retry of the first
      store.appendToStream(other, [tick(7), tick(8)], { expectedRevision: 'no_stream' }),
      store.appendToStream(s, [tick(2)], { expectedRevision: 1 }),
    ]);
    expect(store.commitCount).toBe(1);
    const [first, conflict, second, retry, elsewhere, third] = outcomes;
    expect(first).toEqual({ status: 'fulfilled', value: { nextExpectedRevision: 0, position: 1 } });
    expect(conflict).toMatchObject({ status: 'rejected', reason: expect.objectContaining({ expected: 'no_stream', actual: 0 }) });
    expect((conflict as PromiseRejectedResult).reason).toBeInstanceOf(WrongExpectedVersionError);
    expect(second).toEqual({ status: 'fulfilled', value: { nextExpectedRevision: 1, position: 2 } });
    expect(retry).toEqual(first);
    expect(elsewhere).toEqual({ status: 'fulfilled', value: { nextExpectedRevision: 1, position: 4 } });
    expect(third).toEqual({ status: 'fulfilled', value: { nextExpectedRevision: 2, position: 5 } });
    expect((await store.readStream(s)).map((e) => e.data)).toEqual([{ n: 0 }, { n: 1 }, { n: 2 }]);
    expect((await store.readAll()).map((e) => e.position)).toEqual([1, 2, 3, 4, 5]);
  });

  it('undoes alone an append that fails halfway through its events, committing the rest of its group', async () => {
    const filename = freshFile();
    const store = openStore(filename);
    // A real failure in the middle of a batch: a trigger (as a read model sharing the file could
    // install) aborts the insert of the second event, after the first one was written.
    const raw = new Sqlite(filename);
    raw.exec(`CREATE TRIGGER poison BEFORE INSERT ON es_events WHEN NEW.type = 'Poison'
              BEGIN SELECT RAISE(ABORT, 'poisoned event'); END`);
    raw.close();
    const s = stream();
    const outcomes = await Promise.allSettled([
      store.appendToStream(s, [tick(0)]),
      store.appendToStream(s, [tick(1), { type: 'Poison', data: {} }]),
      store.appendToStream(s, [tick(2)]),
    ]);
    expect(store.commitCount).toBe(1);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((outcomes[1] as PromiseRejectedResult).reason).toMatchObject({ message: expect.stringContaining('poisoned event') });
    const events = await store.readStream(s);
    expect(events.map((e) => [e.data, e.revision, e.position])).toEqual([
      [{ n: 0 }, 0, 1],
      [{ n: 2 }, 1, 2],
    ]);
    expect(await store.streamRevision(s)).toBe(1);
  });

  it('groups the appends of concurrent callers that each await their previous one', async () => {
    const store = openStore();
    const callers = 8;
    const perCaller = 25;
    await Promise.all(
      Array.from({ length: callers }, async () => {
        const s = stream();
        let expected: number | 'no_stream' = 'no_stream';
        for (let i = 0; i < perCaller; i++) {
          expected = (await store.appendToStream(s, [tick(i)], { expectedRevision: expected })).nextExpectedRevision;
        }
      }),
    );
    expect(await store.headPosition()).toBe(callers * perCaller);
    // Fewer transactions than appends proves grouping; one per round of callers is the ideal.
    expect(store.commitCount).toBeLessThan((callers * perCaller) / 2);
  });
});

describe('SqliteEventStore: closing', () => {
  it('commits what is pending, then rejects later calls with EventStoreClosedError', async () => {
    const filename = freshFile();
    const store = SqliteEventStore.open({ filename });
    const s = stream();
    const pending = store.appendToStream(s, [tick(1)]);
    await store.close();
    await expect(pending).resolves.toEqual({ nextExpectedRevision: 0, position: 1 });
    await expect(store.appendToStream(s, [tick(2)])).rejects.toBeInstanceOf(EventStoreClosedError);
    await expect(store.readAll()).rejects.toBeInstanceOf(EventStoreClosedError);
    expect(await store.health()).toMatchObject({ status: 'down', adapter: 'sqlite' });
    await store.close();

    const reopened = openStore(filename);
    expect((await reopened.readStream(s)).map((e) => e.data)).toEqual([{ n: 1 }]);
  });

  it('ends its subscriptions', async () => {
    const store = SqliteEventStore.open({ filename: freshFile() });
    await store.appendToStream(stream(), [tick(1)]);
    const { seen, done } = collect(store);
    await until(() => seen.length === 1, 5000, 'the first event');
    await store.close();
    await expect(done).resolves.toBeUndefined();
  });
});

describe('SqliteEventStore: subscriptions', () => {
  it('delivers history then live appends, woken by the notifier rather than by polling', async () => {
    // A poll interval far beyond the test timeout: only the in-process notification can wake it.
    const store = openStore(freshFile(), 600_000);
    const s = stream();
    await store.appendToStream(s, [tick(0), tick(1)]);
    const { seen, subscription, done } = collect(store, 1);
    await until(() => seen.length === 1, 5000, 'history');
    await store.appendToStream(s, [tick(2)]);
    await store.appendToStream(stream(), [tick(3)]);
    await until(() => seen.length === 3, 5000, 'live events');
    expect(seen.map((e) => e.position)).toEqual([2, 3, 4]);
    await subscription.close();
    await done;
  });
});

describe('SqliteEventStore: two connections on one file', () => {
  it('loses nothing when both append concurrently, and a subscriber on one sees the other by polling', async () => {
    const filename = freshFile();
    const a = openStore(filename, 20);
    const b = openStore(filename, 20);
    const { seen, subscription, done } = collect(b);

    const shared = stream('topic');
    const perStore = 150;
    const run = (store: SqliteEventStore, name: string): Promise<AppendResult[]> =>
      Promise.all(
        Array.from({ length: 4 }, async (_, caller) => {
          const own = stream();
          let expected: number | 'no_stream' = 'no_stream';
          const results: AppendResult[] = [];
          for (let i = 0; i < perStore / 4; i++) {
            const onShared = i % 3 === 0;
            const result: AppendResult = onShared
              ? await store.appendToStream(shared, [{ type: 'Ticked', data: { name, caller, i } }], { expectedRevision: 'any' })
              : await store.appendToStream(own, [{ type: 'Ticked', data: { name, caller, i } }], { expectedRevision: expected });
            if (!onShared) expected = result.nextExpectedRevision;
            results.push(result);
          }
          return results;
        }),
      ).then((perCaller) => perCaller.flat());

    // Only `a` appends at first: `b`'s notifier never fires, so its subscriber must poll.
    const fromA = await run(a, 'a');
    await until(() => seen.length === fromA.length, 5000, 'the subscriber on b to see a by polling');
    const [moreA, fromB] = await Promise.all([run(a, 'a2'), run(b, 'b')]);
    const acknowledged = [...fromA, ...moreA, ...fromB];

    const all = await a.readAll();
    expect(all).toHaveLength(acknowledged.length);
    const positions = all.map((e) => e.position);
    expect(positions).toEqual(Array.from({ length: all.length }, (_, i) => i + 1));
    expect(new Set(acknowledged.map((r) => r.position)).size).toBe(acknowledged.length);
    const byStream = new Map<string, number[]>();
    for (const event of all) byStream.set(event.streamName, [...(byStream.get(event.streamName) ?? []), event.revision]);
    for (const [name, revisions] of byStream) {
      expect(revisions).toEqual(Array.from({ length: revisions.length }, (_, i) => i));
      expect(await b.streamRevision(name)).toBe(revisions.length - 1);
    }

    await until(() => seen.length === all.length, 5000, 'the subscriber to see every event');
    expect(seen.map((e) => e.position)).toEqual(positions);
    await subscription.close();
    await done;
  });

  it('lets exactly one of two connections win a race for a new stream', async () => {
    const filename = freshFile();
    const a = openStore(filename);
    const b = openStore(filename);
    const s = stream();
    const outcomes = await Promise.allSettled([
      a.appendToStream(s, [tick(1)], { expectedRevision: 'no_stream' }),
      b.appendToStream(s, [tick(2)], { expectedRevision: 'no_stream' }),
    ]);
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
    expect(outcomes.filter((o) => o.status === 'rejected' && o.reason instanceof WrongExpectedVersionError)).toHaveLength(1);
    expect(await b.readStream(s)).toHaveLength(1);
  });
});
