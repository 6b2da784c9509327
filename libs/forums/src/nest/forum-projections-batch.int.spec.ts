import type { RecordedEvent } from '#ruche/eventstore';
import { postgresService } from '#ruche/eventstore/testing';
import type { PhysicalTables, Projection, SqlDatabase } from '#ruche/projections';
import { postgresBackend, sqliteBackend, type TestBackend } from '../../../projections/src/testing/test-backends.js';
import { REACTION_EMOJIS, topicStreamName, type TopicEvent } from '../topic.js';
import { forumPostsProjection } from './forum-posts.projection.js';
import { forumTopicsProjection } from './forum-topics.projection.js';

/*
 * The forum projections' applyBatch against their own `apply`: on a seeded history with every
 * topic event type and the odd cases the log can hold (events of unknown topics and posts,
 * a topic opened twice, a post id reused, edits and deletions of posts written earlier in the
 * same batch, reactions removed and added again), batches of every size must leave the very
 * rows that `apply` one event at a time leaves. Plus one batch whose read marks are checked
 * by value, as the read marks are what the in-memory fold is for.
 */

const pg = await postgresService();
const backends: Array<[string, () => TestBackend]> = [['SQLite', sqliteBackend]];
if (pg.available) backends.push(['PostgreSQL', () => postgresBackend('forumsbatch')]);

/** A small deterministic PRNG (mulberry32): the same history on every run and store. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

class History {
  readonly events: RecordedEvent[] = [];
  private position = 0;
  private readonly revisions = new Map<string, number>();
  private clock = Date.parse('2026-03-02T08:00:00.000Z');

  push(type: string, streamName: string, data: object): void {
    const revision = this.revisions.get(streamName) ?? 0;
    this.revisions.set(streamName, revision + 1);
    // Positions with gaps, as a log shared with other streams has.
    this.position += 1 + (this.position % 7 === 3 ? 2 : 0);
    this.clock += 61_000;
    this.events.push({
      id: `e-${this.position}`,
      type,
      data,
      metadata: {},
      streamName,
      revision,
      position: this.position,
      createdAt: new Date(this.clock),
    } as RecordedEvent);
  }

  topic(type: TopicEvent['type'], data: { topicId: string; spaceId: string; by: string } & Record<string, unknown>): void {
    this.push(type, topicStreamName(data.topicId), { at: new Date(this.clock).toISOString(), ...data });
  }
}

function seededHistory(count: number): RecordedEvent[] {
  const rnd = random(20260302);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(rnd() * items.length)]!;
  const users = Array.from({ length: 12 }, (_, i) => `u-${i}`);
  const spaces = ['s-a', 's-b', 's-c'];
  const tagWords = ['pix', 'ent', 'maths', 'latin', 'projet', 'sortie'];
  const topics: { id: string; spaceId: string; posts: { id: string; version: number }[] }[] = [];
  const reactions: { topicId: string; spaceId: string; postId: string; emoji: string; by: string }[] = [];
  const h = new History();
  let next = 0;
  const open = (id: string, spaceId: string): void => {
    const postId = `p-${next++}`;
    const tags = [...new Set(Array.from({ length: Math.floor(rnd() * 3) }, () => pick(tagWords)))];
    h.topic('TopicOpened', { topicId: id, spaceId, by: pick(users), postId, title: `Sujet ${id}`, body: `Corps ${postId}`, tags });
    const known = topics.find((t) => t.id === id);
    if (known) known.posts.push({ id: postId, version: 1 });
    else topics.push({ id, spaceId, posts: [{ id: postId, version: 1 }] });
  };
  while (h.events.length < count) {
    const roll = rnd();
    const topic = topics.length > 0 ? pick(topics) : undefined;
    const base = topic ? { topicId: topic.id, spaceId: topic.spaceId, by: pick(users) } : undefined;
    if (!topic || !base || roll < 0.06) {
      open(`t-${topics.length}`, pick(spaces));
    } else if (roll < 0.065) {
      // The same topic opened again, from another space, with other tags: ignored but its tags.
      open(topic.id, pick(spaces));
    } else if (roll < 0.2) {
      const postId = rnd() < 0.03 && topic.posts.length > 0 ? pick(topic.posts).id : `p-${next++}`;
      const replyTo = rnd() < 0.3 ? pick(topic.posts).id : undefined;
      h.topic('ReplyPosted', { ...base, postId, body: `Réponse ${postId}`, ...(replyTo ? { replyTo } : {}) });
      topic.posts.push({ id: postId, version: 1 });
    } else if (roll < 0.21) {
      // A reply to a topic the projections never saw opened.
      h.topic('ReplyPosted', { ...base, topicId: `t-ghost-${next}`, postId: `p-${next++}`, body: 'Fantôme' });
    } else if (roll < 0.24) {
      const post = pick(topic.posts);
      post.version += 1;
      h.topic('PostEdited', { ...base, postId: post.id, body: `Corps ${post.id} v${post.version}`, version: post.version });
    } else if (roll < 0.26) {
      h.topic('PostDeleted', { ...base, postId: pick(topic.posts).id });
    } else if (roll < 0.265) {
      h.topic('PostDeleted', { ...base, postId: 'p-unknown' });
    } else if (roll < 0.3) {
      h.topic(pick(['TopicPinned', 'TopicUnpinned', 'TopicLocked', 'TopicUnlocked'] as const), base);
    } else if (roll < 0.32) {
      if (rnd() < 0.6) h.topic('SolutionChosen', { ...base, postId: pick(topic.posts).id });
      else h.topic('SolutionCleared', { ...base, postId: pick(topic.posts).id });
    } else if (roll < 0.4) {
      const reaction = { topicId: topic.id, spaceId: topic.spaceId, postId: pick(topic.posts).id, emoji: pick(REACTION_EMOJIS), by: pick(users) };
      h.topic('ReactionAdded', reaction);
      reactions.push(reaction);
    } else if (roll < 0.43 && reactions.length > 0) {
      // Often the reaction just added (the same batch), sometimes an old one, once in a while none.
      const reaction = rnd() < 0.5 ? reactions[reactions.length - 1]! : pick(reactions);
      h.topic('ReactionRemoved', rnd() < 0.1 ? { ...reaction, emoji: '👀', by: 'u-nobody' } : (reaction));
    } else if (roll < 0.9) {
      h.topic('TopicRead', { ...base, userId: base.by });
    } else if (roll < 0.95) {
      h.topic('TopicCaughtUp', { ...base, userId: base.by });
    } else if (roll < 0.96) {
      h.topic('TopicRead', { ...base, topicId: 't-ghost-read', userId: base.by });
    } else {
      // Events of other streams, which the forum projections ignore.
      h.push('SpaceRenamed', `space-${base.spaceId}`, { spaceId: base.spaceId, name: 'x' });
    }
  }
  return h.events;
}

/** Every row of `table`, as sorted JSON lines: equal lists, equal contents. */
async function rowsOf(db: SqlDatabase, table: string): Promise<string[]> {
  const rows = await db.query(`SELECT * FROM ${table}`);
  return rows.map((row) => JSON.stringify(Object.entries(row).sort(([a], [b]) => a.localeCompare(b)))).sort();
}

const projections: Projection[] = [forumTopicsProjection, forumPostsProjection];
const tablesAs = (projection: Projection, suffix: string): PhysicalTables =>
  Object.fromEntries(projection.tables.map((table) => [table, `${table}_${suffix}`]));

describe.each(backends)('forum projections applied in batches (%s)', (_label, makeBackend) => {
  let backend: TestBackend;
  let db: SqlDatabase;

  beforeAll(async () => {
    backend = makeBackend();
    db = await backend.openDb();
  });

  afterAll(async () => {
    await db?.close();
    await backend?.dispose();
  });

  const history = seededHistory(6000);

  it('covers every topic event type and the odd cases', () => {
    const types = new Set(history.map((event) => event.type));
    for (const type of ['TopicOpened', 'ReplyPosted', 'PostEdited', 'PostDeleted', 'TopicPinned', 'TopicUnpinned', 'TopicLocked', 'TopicUnlocked',
      'SolutionChosen', 'SolutionCleared', 'ReactionAdded', 'ReactionRemoved', 'TopicRead', 'TopicCaughtUp', 'SpaceRenamed']) {
      expect(types).toContain(type);
    }
    const opened = history.filter((event) => event.type === 'TopicOpened').map((event) => (event.data as { topicId: string }).topicId);
    expect(new Set(opened).size).toBeLessThan(opened.length);
  });

  it.each(projections.map((projection) => [projection.name, projection] as const))(
    '%s: batches of every size write the very rows apply writes one event at a time',
    async (_name, projection) => {
      const oneByOne = tablesAs(projection, 'one');
      const batched = tablesAs(projection, 'many');
      await db.transaction(async (tx) => {
        await projection.createTables(tx, oneByOne);
        await projection.createTables(tx, batched);
      });
      const sizes = [1, 7, 500, 2, 640, 33, 1000, 5, 64, 3];
      let from = 0;
      for (let i = 0; from < history.length; i++) {
        const page = history.slice(from, from + sizes[i % sizes.length]!);
        await db.transaction(async (tx) => {
          for (const event of page) await projection.apply(event, tx, oneByOne);
          await projection.applyBatch!(page, tx, batched);
        });
        from += page.length;
      }
      for (const table of projection.tables) {
        const expected = await rowsOf(db, oneByOne[table]!);
        expect(expected.length).toBeGreaterThan(0);
        expect(await rowsOf(db, batched[table]!)).toEqual(expected);
      }
    },
    120_000,
 );

  it('forum_topics: a read mark in a batch is the post count at that point of the batch', async () => {
    const t = tablesAs(forumTopicsProjection, 'marks');
    const h = new History();
    const base = { topicId: 't-1', spaceId: 's-a' };
    h.topic('TopicOpened', { ...base, by: 'u-a', postId: 'p-0', title: 'Titre', body: 'Corps', tags: ['pix', 'ent'] });
    h.topic('TopicRead', { ...base, by: 'u-b', userId: 'u-b' });
    h.topic('ReplyPosted', { ...base, by: 'u-c', postId: 'p-1', body: 'R1' });
    h.topic('ReplyPosted', { ...base, by: 'u-c', postId: 'p-2', body: 'R2' });
    h.topic('TopicCaughtUp', { ...base, by: 'u-d', userId: 'u-d' });
    h.topic('ReplyPosted', { ...base, by: 'u-e', postId: 'p-3', body: 'R3' });
    h.topic('PostDeleted', { ...base, by: 'u-e', postId: 'p-3' });
    h.topic('PostDeleted', { ...base, by: 'u-a', postId: 'p-0' });
    h.topic('TopicRead', { ...base, topicId: 't-unknown', by: 'u-b', userId: 'u-b' });
    await db.transaction(async (tx) => {
      await forumTopicsProjection.createTables(tx, t);
      await forumTopicsProjection.applyBatch!(h.events, tx, t);
    });
    const marks = await db.query<{ user_id: string; posts_seen: number }>(`SELECT user_id, posts_seen FROM ${t.forum_reads} ORDER BY user_id`);
    expect(marks).toEqual([
      { user_id: 'u-a', posts_seen: 1 },
      { user_id: 'u-b', posts_seen: 1 },
      { user_id: 'u-c', posts_seen: 3 },
      { user_id: 'u-d', posts_seen: 3 },
      { user_id: 'u-e', posts_seen: 4 },
    ]);
    const topic = await db.queryOne<Record<string, unknown>>(`SELECT reply_count, post_count, revision, position FROM ${t.forum_topics} WHERE id = 't-1'`);
    // Three replies, one deleted; deleting the opening post takes no reply away.
    expect(topic).toEqual({ reply_count: 2, post_count: 4, revision: 7, position: h.events[7]!.position });
    expect(await db.query(`SELECT tag FROM ${t.forum_topic_tags} ORDER BY tag`)).toEqual([{ tag: 'ent' }, { tag: 'pix' }]);
  });
});
