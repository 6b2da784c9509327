import type { RecordedEvent } from '#ruche/eventstore';
import { inKeyOrder, insertRows, selectIn, type PhysicalTables, type ReplayFold, type SqlExecutor, type SqlValue } from '#ruche/projections';
import { isTopicEvent, type TopicEvent } from '../topic.js';
import { keepSeen, type ForumTopicsTables } from './forum-topics.projection.js';

/*
 * The forum_topics projection applied a batch at a time: the same tables as one event at a
 * time (tests hold them equal). Read marks copy the topic's post_count at the time of the
 * read, and the batch interleaves replies that move it, so the topics the batch touches are
 * read once, every event is folded into them in memory in log order, and the final rows are
 * written back by multi-row upserts: the changed topics, the new tags, the last read mark of
 * each (topic, user). Every topic event is folded here; none goes through SQL one at a time.
 * Everything happens in the caller's transaction (exactly once, as `apply`); no clock.
 */

interface TopicRow {
  id: string;
  space_id: string;
  title: string;
  tags: string;
  author_id: string;
  opening_post_id: string;
  created_at: string;
  last_activity_at: string;
  reply_count: number;
  post_count: number;
  pinned: number;
  locked: number;
  solution_post_id: string | null;
  revision: number;
  position: number;
}

const COLUMNS = [
  'id',
  'space_id',
  'title',
  'tags',
  'author_id',
  'opening_post_id',
  'created_at',
  'last_activity_at',
  'reply_count',
  'post_count',
  'pinned',
  'locked',
  'solution_post_id',
  'revision',
  'position',
] as const satisfies readonly (keyof TopicRow)[];
/** What events change after the insert; the rest is set once by TopicOpened. */
const MUTABLE: readonly (keyof TopicRow)[] = ['last_activity_at', 'reply_count', 'post_count', 'pinned', 'locked', 'solution_post_id', 'revision', 'position'];

/** Read back as written: both adapters answer INTEGER/BIGINT as numbers. */
function topicOf(row: Record<string, unknown>): TopicRow {
  return {
    id: String(row.id),
    space_id: String(row.space_id),
    title: String(row.title),
    tags: String(row.tags),
    author_id: String(row.author_id),
    opening_post_id: String(row.opening_post_id),
    created_at: String(row.created_at),
    last_activity_at: String(row.last_activity_at),
    reply_count: Number(row.reply_count),
    post_count: Number(row.post_count),
    pinned: Number(row.pinned),
    locked: Number(row.locked),
    solution_post_id: row.solution_post_id === null ? null : String(row.solution_post_id),
    revision: Number(row.revision),
    position: Number(row.position),
  };
}

export async function applyForumTopicsBatch(events: readonly RecordedEvent[], tx: SqlExecutor, t: PhysicalTables<ForumTopicsTables>): Promise<void> {
  const fold = new ForumTopicsFold();
  await fold.applyBatch(events, tx, t);
  await fold.finish(tx, t);
}

/**
 * The topics, tags and read marks of one or more batches, folded in memory and written back by
 * `finish`: one batch's (applyBatch above), or a whole replay's (Projection.replayFold), whose
 * read marks — a row per reader and topic, rewritten at each read — are then written once. It
 * writes what it holds early when it holds more than `maxHeld` rows, and reads those back.
 */
export class ForumTopicsFold implements ReplayFold<ForumTopicsTables> {
  /** The topics the batches touched, as they are now. */
  private readonly topics = new Map<string, TopicRow>();
  private readonly dirty = new Set<TopicRow>();
  /** `${topicId}\n${tag}` → row: the first insert wins, as ON CONFLICT DO NOTHING. */
  private readonly tags = new Map<string, SqlValue[]>();
  /**
   * Topic → reader → the last posts_seen written (an upsert overwrites): nested, with each
   * reader's id kept once (`ids`), because a replay's fold holds a row per reader and topic
   * (900,000 for a school year) and the garbage collector walks every object it holds.
   */
  private readonly reads = new Map<string, Map<string, number>>();
  private readonly ids = new Map<string, string>();
  private heldReads = 0;

  /**
   * @param fresh the tables are empty (a replay from 0 into new shadow tables): the first
   *   `finish` inserts its rows as they are, without upserts (on PostgreSQL through COPY).
   */
  constructor(
    private readonly maxHeld = Number.POSITIVE_INFINITY,
    private fresh = false,
  ) {}

  async applyBatch(events: readonly RecordedEvent[], tx: SqlExecutor, t: PhysicalTables<ForumTopicsTables>): Promise<void> {
    await this.fold(events, tx, t);
    if (this.topics.size + this.tags.size + this.heldReads > this.maxHeld) await this.finish(tx, t);
  }

  /** Writes what it holds and forgets it: later batches read those topics back. */
  async finish(tx: SqlExecutor, t: PhysicalTables<ForumTopicsTables>): Promise<void> {
    const table = t.forum_topics;
    // Into empty tables, every row is new: no upsert (see `fresh`). Read once, before it is
    // reset: read by `upsert` itself, every first finish of a replay upserted its rows.
    const fresh = this.fresh;
    this.fresh = false;
    const upsert = (tail: string): string => (fresh ? '' : tail);
    await insertRows(
      tx,
      `INSERT INTO ${table} (${COLUMNS.join(', ')})`,
      COLUMNS.length,
      [...this.dirty].map((topic) => COLUMNS.map((column) => topic[column])),
      upsert(`ON CONFLICT (id) DO UPDATE SET ${MUTABLE.map((column) => `${column} = excluded.${column}`).join(', ')}`),
    );
    await insertRows(
      tx,
      `INSERT INTO ${t.forum_topic_tags} (topic_id, tag, space_id)`,
      3,
      [...this.tags.values()],
      upsert('ON CONFLICT (topic_id, tag) DO NOTHING'),
    );
    await insertRows(
      tx,
      `INSERT INTO ${t.forum_reads} (topic_id, user_id, posts_seen)`,
      3,
      // In key order: each row lands beside the one before in the table's key B-tree.
      [...this.reads]
        .sort(([a], [b]) => inKeyOrder(a, b))
        .flatMap(([topicId, readers]) => [...readers].sort(([a], [b]) => inKeyOrder(a, b)).map(([userId, seen]) => [topicId, userId, seen])),
      upsert(keepSeen(t.forum_reads)),
    );
    this.topics.clear();
    this.dirty.clear();
    this.tags.clear();
    this.reads.clear();
    this.ids.clear();
    this.heldReads = 0;
  }

  private async fold(events: readonly RecordedEvent[], tx: SqlExecutor, t: PhysicalTables<ForumTopicsTables>): Promise<void> {
    const { topics, dirty, tags, reads } = this;
    const topicEvents: (RecordedEvent & TopicEvent)[] = [];
    const ids = new Set<string>();
    for (const recorded of events) {
      if (!isTopicEvent(recorded)) continue;
      topicEvents.push(recorded);
      if (!topics.has(recorded.data.topicId)) ids.add(recorded.data.topicId);
    }
    if (topicEvents.length === 0) return;

    const loaded = await selectIn<Record<string, unknown>>(tx, `SELECT ${COLUMNS.join(', ')} FROM ${t.forum_topics}`, 'id', [...ids]);
    for (const row of loaded) topics.set(String(row.id), topicOf(row));

    const markRead = (topic: TopicRow | undefined, userId: string): void => {
      // `INSERT … SELECT … FROM forum_topics WHERE id = $1` writes nothing for an unknown topic.
      if (!topic) return;
      let readers = reads.get(topic.id);
      if (!readers) reads.set(topic.id, (readers = new Map()));
      let id = this.ids.get(userId);
      if (id === undefined) this.ids.set(userId, (id = userId));
      if (!readers.has(id)) this.heldReads++;
      readers.set(id, topic.post_count);
    };

    for (const event of topicEvents) {
      const { topicId } = event.data;
      let topic = topics.get(topicId);
      // What `apply`'s UPDATE does to an existing topic (none: no row, nothing written).
      const touch = (): TopicRow | undefined => {
        if (!topic) return undefined;
        topic.revision = event.revision;
        topic.position = event.position;
        dirty.add(topic);
        return topic;
      };
      switch (event.type) {
        case 'TopicOpened': {
          const d = event.data;
          if (!topic) {
            topic = {
              id: topicId,
              space_id: d.spaceId,
              title: d.title,
              tags: d.tags.join(' '),
              author_id: d.by,
              opening_post_id: d.postId,
              created_at: d.at,
              last_activity_at: d.at,
              reply_count: 0,
              post_count: 1,
              pinned: 0,
              locked: 0,
              solution_post_id: null,
              revision: event.revision,
              position: event.position,
            };
            topics.set(topicId, topic);
            dirty.add(topic);
          }
          for (const tag of d.tags) {
            const key = `${topicId}\n${tag}`;
            if (!tags.has(key)) tags.set(key, [topicId, tag, d.spaceId]);
          }
          markRead(topic, d.by);
          break;
        }
        case 'ReplyPosted': {
          const row = touch();
          if (row) {
            row.reply_count += 1;
            row.post_count += 1;
            row.last_activity_at = event.data.at;
          }
          markRead(row, event.data.by);
          break;
        }
        case 'PostDeleted': {
          const row = touch();
          // A deleted reply no longer answers the topic; the opening post is not a reply.
          if (row && row.opening_post_id !== event.data.postId) row.reply_count -= 1;
          break;
        }
        case 'TopicPinned':
        case 'TopicUnpinned': {
          const row = touch();
          if (row) row.pinned = event.type === 'TopicPinned' ? 1 : 0;
          break;
        }
        case 'TopicLocked':
        case 'TopicUnlocked': {
          const row = touch();
          if (row) row.locked = event.type === 'TopicLocked' ? 1 : 0;
          break;
        }
        case 'SolutionChosen': {
          const row = touch();
          if (row) row.solution_post_id = event.data.postId;
          break;
        }
        case 'SolutionCleared': {
          const row = touch();
          if (row) row.solution_post_id = null;
          break;
        }
        case 'TopicRead':
        case 'TopicCaughtUp':
          markRead(topic, event.data.userId);
          break;
        case 'PostEdited':
        case 'ReactionAdded':
        case 'ReactionRemoved':
          touch();
          break;
        default: {
          const _exhaustive: never = event;
          throw new Error(`Unhandled topic event ${(_exhaustive as { type: string }).type}`);
        }
      }
    }
  }
}

