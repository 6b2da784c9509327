import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { v7 as uuidv7 } from 'uuid';
import { SqliteEventStore, type EventStore } from '#ruche/eventstore';
import { eventIdOf, handleCommand, loadStream, StreamStateCache, type StreamDecider } from '#ruche/platform';

/**
 * handleCommand on a real SQLite log: command ids make retries land once, and the per-stream
 * state cache stays exact when other writers (another process's cache) append in between.
 */
type Added = { type: 'Added'; data: { by: number; note: string } };
type Add = { by: number; note?: string };
interface Tally {
  total: number;
  notes: readonly string[];
}

const tally: StreamDecider<Add, Added, Tally> = {
  initialState: () => ({ total: 0, notes: [] }),
  evolve: (state, event) => ({ total: state.total + event.data.by, notes: [...state.notes, event.data.note] }),
  decide: (command, state) => (command.by === 0 ? [] : [{ type: 'Added', data: { by: command.by, note: command.note ?? `after ${state.total}` } }]),
  eventSchemaVersions: { Added: 3 },
};

describe('handleCommand on SQLite', () => {
  let dir: string;
  let store: EventStore;

  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ruche-handle-'));
    store = SqliteEventStore.open({ filename: path.join(dir, 'log.sqlite') });
  });
  afterAll(async () => {
    await store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const stream = () => `tally-${uuidv7()}`;

  it('derives event ids from the command id and writes each type at its schema version', async () => {
    const name = stream();
    const commandId = uuidv7();
    await handleCommand(store, name, tally, { by: 2 }, { commandId, userId: 'u1' });
    const [event] = await store.readStream(name);
    expect(event!.id).toBe(eventIdOf(commandId, 0));
    expect(event!.metadata).toMatchObject({ commandId, userId: 'u1', schemaVersion: 3 });
  });

  it('answers a command that already landed from its events, writing nothing', async () => {
    const name = stream();
    const commandId = uuidv7();
    const first = await handleCommand(store, name, tally, { by: 5 }, { commandId });
    await handleCommand(store, name, tally, { by: 1 }, { commandId: uuidv7() });
    const retry = await handleCommand(store, name, tally, { by: 5 }, { commandId });
    expect(retry).toMatchObject({ revision: first.revision, position: first.position, events: [], replayed: true });
    expect((await store.readStream(name)).map((e) => e.data)).toEqual([
      { by: 5, note: 'after 0' },
      { by: 1, note: 'after 5' },
    ]);
  });

  it('returns [] without writing when the decision is empty', async () => {
    const name = stream();
    const result = await handleCommand(store, name, tally, { by: 0 }, { commandId: uuidv7() });
    expect(result).toMatchObject({ revision: -1, events: [] });
    expect(await store.streamRevision(name)).toBe(-1);
  });

  it('keeps two caches exact while they write the same stream in turns and at once', async () => {
    const name = stream();
    const [a, b] = [new StreamStateCache(), new StreamStateCache()];
    for (let i = 1; i <= 10; i++) {
      await handleCommand(store, name, tally, { by: i }, { commandId: uuidv7() }, { cache: i % 2 ? a : b });
    }
    // Concurrent writers on stale caches: conflicts are retried on the fresh state.
    await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        handleCommand(store, name, tally, { by: 100 }, { commandId: uuidv7() }, { cache: i % 2 ? a : b, maxAttempts: 50 }),
      ),
    );
    const truth = await loadStream(store, name, tally);
    expect(truth.state.total).toBe(55 + 1200);
    for (const cache of [a, b]) {
      const cached = await loadStream(store, name, tally, cache);
      expect(cached.state).toEqual(truth.state);
      expect(cached.revision).toBe(21);
    }
    // Each decision saw the total before it: the notes are the running sums, with no repeat.
    const notes = truth.state.notes.map((n) => Number(n.replace('after ', '')));
    expect(new Set(notes).size).toBe(notes.length);
  });

  it('reads only the events appended since the cached revision', async () => {
    const name = stream();
    const cache = new StreamStateCache();
    for (let i = 0; i < 50; i++) await handleCommand(store, name, tally, { by: 1 }, { commandId: uuidv7() }, { cache });
    const reads: Array<number | undefined> = [];
    const spy = new Proxy(store, {
      get: (target, key) =>
        key === 'readStream'
          ? (s: string, o?: { fromRevision?: number }) => (reads.push(o?.fromRevision), target.readStream(s, o))
          : (Reflect.get(target, key) as unknown),
    });
    await handleCommand(spy, name, tally, { by: 1 }, { commandId: uuidv7() }, { cache });
    expect(reads).toEqual([50]);
  });

  it('evicts the least recently used stream beyond its size', () => {
    const cache = new StreamStateCache(2);
    const entry = { state: 0, revision: 0, position: 1, landed: new Map() };
    cache.set('a', entry);
    cache.set('b', entry);
    cache.get('a');
    cache.set('c', entry);
    expect([cache.get('a'), cache.get('b'), cache.get('c')].map(Boolean)).toEqual([true, false, true]);
  });
});
