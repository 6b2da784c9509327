import { ignoredByAll } from './projection-rebuild.js';
import type { Projection } from './projection.js';
import { DEFAULT_REPLAY_WEIGHT, shareOut } from './replay-threads.js';

const projection = (name: string, replayWeight?: Projection['replayWeight'], ignores?: readonly string[]): Projection => ({
  name,
  version: 1,
  tables: [],
  createTables: async () => undefined,
  apply: async () => undefined,
  ...(replayWeight ? { replayWeight } : {}),
  ...(ignores ? { ignores } : {}),
});

const named = (all: readonly Projection[], groups: number[][]): string[][] => groups.map((group) => group.map((index) => all[index]!.name));

describe('shareOut (projections between replay threads or connections)', () => {
  const all = [
    projection('users'),
    projection('notifications', { sqlite: 25, postgres: 58 }),
    projection('documents', { sqlite: 3, postgres: 39 }),
    projection('indicators', { sqlite: 25, postgres: 79 }),
    projection('faq'),
  ];

  it('gives every projection to exactly one share, in their order within it', () => {
    for (const count of [1, 2, 3, 7]) {
      const groups = shareOut(all, count, 'sqlite');
      expect(groups).toHaveLength(count);
      expect(groups.flat().sort()).toEqual([0, 1, 2, 3, 4]);
      for (const group of groups) expect(group).toEqual([...group].sort((a, b) => a - b));
    }
  });

  it("balances by the read store's weights, heaviest first, each to the lightest share", () => {
    // SQLite: 25 | 25 first, then 3 (28 | 25), 2 (28 | 27), 2 (28 | 29) to the lighter each time.
    expect(named(all, shareOut(all, 2, 'sqlite'))).toEqual([
      ['notifications', 'documents'],
      ['users', 'indicators', 'faq'],
    ]);
    // PostgreSQL: indicators (79) against notifications (58) with documents (39), the light ones beside indicators.
    expect(named(all, shareOut(all, 2, 'postgres'))).toEqual([
      ['users', 'indicators', 'faq'],
      ['notifications', 'documents'],
    ]);
  });

  it("counts the first share's own load (reading the log) before anything is shared out", () => {
    // The first share starts with 26: both heavy ones go to the other before it gets any.
    expect(named(all, shareOut(all, 2, 'sqlite', 26))).toEqual([['users', 'documents', 'faq'], ['notifications', 'indicators']]);
  });

  it('weighs a projection stating nothing for the read store as a light one', () => {
    expect(DEFAULT_REPLAY_WEIGHT).toBe(2);
    const light = [projection('a'), projection('b', { postgres: 50 }), projection('c')];
    expect(named(light, shareOut(light, 2, 'sqlite'))).toEqual([['a', 'c'], ['b']]);
  });

  it('keeps the pinned ones in the first share whatever their weight, and shares the others out around them', () => {
    // indicators (25) pinned beside the read (13): 38, and the second share stays the lighter one
    // with all the others (25, 28, 30, 32).
    expect(named(all, shareOut(all, 2, 'sqlite', 13, new Set([3])))).toEqual([['indicators'], ['users', 'notifications', 'documents', 'faq']]);
    // Both heavy ones pinned together (50), which weight alone puts apart (above).
    expect(named(all, shareOut(all, 2, 'sqlite', 0, new Set([1, 3])))).toEqual([
      ['notifications', 'indicators'],
      ['users', 'documents', 'faq'],
    ]);
  });
});

describe('ignoredByAll (what a replay thread is not posted)', () => {
  it('answers the types every one of the projections ignores, none when one of them ignores nothing', () => {
    const search = projection('search', undefined, ['TopicRead', 'ReactionAdded', 'DocumentRead']);
    const posts = projection('forum_posts', undefined, ['TopicRead', 'DocumentRead']);
    expect([...ignoredByAll([search, posts])].sort()).toEqual(['DocumentRead', 'TopicRead']);
    expect([...ignoredByAll([search])].sort()).toEqual(['DocumentRead', 'ReactionAdded', 'TopicRead']);
    expect([...ignoredByAll([search, posts, projection('users')])]).toEqual([]);
    expect([...ignoredByAll([])]).toEqual([]);
  });
});
