import type { RecordedEvent } from '#ruche/eventstore';
import { clusteredByKey, REPLAY_FOLD_MAX_ROWS, type PhysicalTables, type Projection, type SqlExecutor } from '#ruche/projections';
import { isTopicEvent } from '../topic.js';
import { applyForumTopicsBatch, ForumTopicsFold } from './forum-topics-batch.projection.js';

export type ForumTopicsTables = 'forum_topics' | 'forum_topic_tags' | 'forum_reads';

/**
 * A read mark moved to the topic's post count: a count already there writes nothing (re-reading
 * a topic without new posts is most reads, and each update is a new row version on PostgreSQL).
 */
export function keepSeen(table: string): string {
  return `ON CONFLICT (topic_id, user_id) DO UPDATE SET posts_seen = excluded.posts_seen WHERE ${table}.posts_seen <> excluded.posts_seen`;
}

/**
 * The topic lists of a space (latest activity, unanswered, by tag), each caller's read marks
 * (`unread`, the space's `unreadTopics`), and the topic → space lookup of queries.
 *
 * Read marks: `post_count` counts the posts ever written in the topic (deleted ones too); a
 * user's `posts_seen` is the topic's `post_count` when they last read it (TopicRead,
 * TopicCaughtUp) or posted in it. The topic is unread for them while post_count > posts_seen.
 */
export const forumTopicsProjection: Projection<ForumTopicsTables> = {
  name: 'forum_topics',
  // 2: on SQLite, forum_reads WITHOUT ROWID. 3: no index of forum_reads by user (every query
  // reads a mark by its key, topic and user; building it took 1.8 s of a school year's rebuild).
  version: 3,
  // Seconds to replay a school year (see Projection.replayWeight).
  replayWeight: { sqlite: 5, postgres: 35 },
  tables: ['forum_topics', 'forum_topic_tags', 'forum_reads'],
  async createTables(db: SqlExecutor, t: PhysicalTables<ForumTopicsTables>): Promise<void> {
    await db.execute(
      `CREATE TABLE IF NOT EXISTS ${t.forum_topics} (
         id TEXT PRIMARY KEY,
         space_id TEXT NOT NULL,
         title TEXT NOT NULL,
         tags TEXT NOT NULL,
         author_id TEXT NOT NULL,
         opening_post_id TEXT NOT NULL,
         created_at TEXT NOT NULL,
         last_activity_at TEXT NOT NULL,
         reply_count INTEGER NOT NULL,
         post_count INTEGER NOT NULL,
         pinned INTEGER NOT NULL,
         locked INTEGER NOT NULL,
         solution_post_id TEXT,
         revision INTEGER NOT NULL,
         position BIGINT NOT NULL
       )`,
    );
    await db.execute(
      `CREATE TABLE IF NOT EXISTS ${t.forum_topic_tags} (
         topic_id TEXT NOT NULL,
         tag TEXT NOT NULL,
         space_id TEXT NOT NULL,
         PRIMARY KEY (topic_id, tag)
       )`,
    );
    await db.execute(
      `CREATE TABLE IF NOT EXISTS ${t.forum_reads} (
         topic_id TEXT NOT NULL,
         user_id TEXT NOT NULL,
         posts_seen INTEGER NOT NULL,
         PRIMARY KEY (topic_id, user_id)
       )${clusteredByKey(db)}`,
    );
  },
  /** Indexes only queries read through (see Projection.createQueryIndexes). */
  async createQueryIndexes(db: SqlExecutor, t: PhysicalTables<ForumTopicsTables>): Promise<void> {
    await db.execute(
      `CREATE INDEX IF NOT EXISTS ${t.forum_topics}_by_space_latest ON ${t.forum_topics} (space_id, pinned, last_activity_at, id)`,
    );
    await db.execute(`CREATE INDEX IF NOT EXISTS ${t.forum_topic_tags}_by_space_tag ON ${t.forum_topic_tags} (space_id, tag)`);
  },
  /** The same tables as `apply` one event at a time, topics folded in memory (see the batch file). */
  applyBatch(events: readonly RecordedEvent[], tx: SqlExecutor, t: PhysicalTables<ForumTopicsTables>): Promise<void> {
    return applyForumTopicsBatch(events, tx, t);
  },
  /** A rebuild's replay: the read marks and topics of the whole log folded in memory, written once. */
  replayFold: (maxRows = REPLAY_FOLD_MAX_ROWS) => new ForumTopicsFold(maxRows, true),
  async apply(recorded: RecordedEvent, tx: SqlExecutor, t: PhysicalTables<ForumTopicsTables>): Promise<void> {
    if (!isTopicEvent(recorded)) return;
    const event = recorded;
    const { topicId } = event.data;
    const set = (assignments = '', params: (string | number | null)[] = []): Promise<unknown> =>
      tx.execute(`UPDATE ${t.forum_topics} SET ${assignments ? `${assignments}, ` : ''}revision = $2, position = $3 WHERE id = $1`, [
        topicId,
        recorded.revision,
        recorded.position,
        ...params,
      ]);
    // The user has seen every post written so far.
    const markRead = (userId: string): Promise<unknown> =>
      tx.execute(
        `INSERT INTO ${t.forum_reads} (topic_id, user_id, posts_seen)
         SELECT id, $2, post_count FROM ${t.forum_topics} WHERE id = $1
         ${keepSeen(t.forum_reads)}`,
        [topicId, userId],
      );
    switch (event.type) {
      case 'TopicOpened': {
        const d = event.data;
        await tx.execute(
          `INSERT INTO ${t.forum_topics} (id, space_id, title, tags, author_id, opening_post_id, created_at, last_activity_at,
             reply_count, post_count, pinned, locked, solution_post_id, revision, position)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $7, 0, 1, 0, 0, NULL, $8, $9)
           ON CONFLICT (id) DO NOTHING`,
          [topicId, d.spaceId, d.title, d.tags.join(' '), d.by, d.postId, d.at, recorded.revision, recorded.position],
        );
        for (const tag of d.tags) {
          await tx.execute(
            `INSERT INTO ${t.forum_topic_tags} (topic_id, tag, space_id) VALUES ($1, $2, $3) ON CONFLICT (topic_id, tag) DO NOTHING`,
            [topicId, tag, d.spaceId],
          );
        }
        return void (await markRead(d.by));
      }
      case 'ReplyPosted':
        await set('reply_count = reply_count + 1, post_count = post_count + 1, last_activity_at = $4', [event.data.at]);
        return void (await markRead(event.data.by));
      case 'PostDeleted':
        // A deleted reply no longer answers the topic; the opening post is not a reply.
        return void (await set('reply_count = reply_count - CASE WHEN opening_post_id = $4 THEN 0 ELSE 1 END', [event.data.postId]));
      case 'TopicPinned':
        return void (await set('pinned = 1'));
      case 'TopicUnpinned':
        return void (await set('pinned = 0'));
      case 'TopicLocked':
        return void (await set('locked = 1'));
      case 'TopicUnlocked':
        return void (await set('locked = 0'));
      case 'SolutionChosen':
        return void (await set('solution_post_id = $4', [event.data.postId]));
      case 'SolutionCleared':
        return void (await set('solution_post_id = NULL'));
      case 'TopicRead':
      case 'TopicCaughtUp':
        return void (await markRead(event.data.userId));
      case 'PostEdited':
      case 'ReactionAdded':
      case 'ReactionRemoved':
        return void (await set());
      default: {
        const _exhaustive: never = event;
        return;
      }
    }
  },
};
