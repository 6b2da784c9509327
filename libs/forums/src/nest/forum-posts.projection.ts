import type { RecordedEvent } from '#ruche/eventstore';
import type { PhysicalTables, Projection, SqlExecutor } from '#ruche/projections';
import { isTopicEvent } from '../topic.js';
import { applyForumPostsBatch } from './forum-posts-batch.projection.js';

export type ForumPostsTables = 'forum_posts' | 'forum_post_versions' | 'forum_reactions';

/**
 * A topic's thread (posts in the order they were written, reactions), every version of each
 * post, and the post → topic → space lookup that routes by post id need. A deleted post keeps
 * its row as a placeholder, and its bodies (current and earlier versions) are blanked here, so
 * that no answer can show them again.
 */
export const forumPostsProjection: Projection<ForumPostsTables> = {
  name: 'forum_posts',
  version: 1,
  // Seconds to replay a school year (see Projection.replayWeight).
  replayWeight: { sqlite: 5, postgres: 13 },
  // Read marks are forum_topics' (see Projection.ignores).
  ignores: ['TopicRead', 'TopicCaughtUp', 'DocumentRead'],
  tables: ['forum_posts', 'forum_post_versions', 'forum_reactions'],
  async createTables(db: SqlExecutor, t: PhysicalTables<ForumPostsTables>): Promise<void> {
    await db.execute(
      `CREATE TABLE IF NOT EXISTS ${t.forum_posts} (
         id TEXT PRIMARY KEY,
         topic_id TEXT NOT NULL,
         space_id TEXT NOT NULL,
         seq INTEGER NOT NULL,
         opening INTEGER NOT NULL,
         author_id TEXT NOT NULL,
         body TEXT NOT NULL,
         reply_to TEXT,
         created_at TEXT NOT NULL,
         edited_at TEXT,
         deleted INTEGER NOT NULL,
         version INTEGER NOT NULL
       )`,
    );
    await db.execute(`CREATE INDEX IF NOT EXISTS ${t.forum_posts}_by_topic ON ${t.forum_posts} (topic_id, seq)`);
    await db.execute(
      `CREATE TABLE IF NOT EXISTS ${t.forum_post_versions} (
         post_id TEXT NOT NULL,
         version INTEGER NOT NULL,
         body TEXT NOT NULL,
         at TEXT NOT NULL,
         by_user_id TEXT NOT NULL,
         PRIMARY KEY (post_id, version)
       )`,
    );
    await db.execute(
      `CREATE TABLE IF NOT EXISTS ${t.forum_reactions} (
         post_id TEXT NOT NULL,
         emoji TEXT NOT NULL,
         user_id TEXT NOT NULL,
         PRIMARY KEY (post_id, emoji, user_id)
       )`,
    );
  },
  /** The same tables as `apply` one event at a time, inserts gathered (see the batch file). */
  applyBatch(events: readonly RecordedEvent[], tx: SqlExecutor, t: PhysicalTables<ForumPostsTables>): Promise<void> {
    return applyForumPostsBatch(events, tx, t, (event, tx2, t2) => forumPostsProjection.apply(event, tx2, t2));
  },
  async apply(recorded: RecordedEvent, tx: SqlExecutor, t: PhysicalTables<ForumPostsTables>): Promise<void> {
    if (!isTopicEvent(recorded)) return;
    const event = recorded;
    const addPost = async (d: { postId: string; spaceId: string; by: string; body: string; at: string }, opening: boolean, replyTo: string | null) => {
      // The stream's revision orders the thread: it grows with every event of the topic.
      await tx.execute(
        `INSERT INTO ${t.forum_posts} (id, topic_id, space_id, seq, opening, author_id, body, reply_to, created_at, edited_at, deleted, version)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, NULL, 0, 1)
         ON CONFLICT (id) DO NOTHING`,
        [d.postId, event.data.topicId, d.spaceId, recorded.revision, opening ? 1 : 0, d.by, d.body, replyTo, d.at],
      );
      await tx.execute(
        `INSERT INTO ${t.forum_post_versions} (post_id, version, body, at, by_user_id) VALUES ($1, 1, $2, $3, $4)
         ON CONFLICT (post_id, version) DO NOTHING`,
        [d.postId, d.body, d.at, d.by],
      );
    };
    switch (event.type) {
      case 'TopicOpened':
        return addPost(event.data, true, null);
      case 'ReplyPosted':
        return addPost(event.data, false, event.data.replyTo ?? null);
      case 'PostEdited': {
        const d = event.data;
        await tx.execute(`UPDATE ${t.forum_posts} SET body = $2, edited_at = $3, version = $4 WHERE id = $1`, [d.postId, d.body, d.at, d.version]);
        await tx.execute(
          `INSERT INTO ${t.forum_post_versions} (post_id, version, body, at, by_user_id) VALUES ($1, $2, $3, $4, $5)
           ON CONFLICT (post_id, version) DO NOTHING`,
          [d.postId, d.version, d.body, d.at, d.by],
        );
        return;
      }
      case 'PostDeleted':
        await tx.execute(`UPDATE ${t.forum_posts} SET body = '', deleted = 1 WHERE id = $1`, [event.data.postId]);
        await tx.execute(`UPDATE ${t.forum_post_versions} SET body = '' WHERE post_id = $1`, [event.data.postId]);
        return;
      case 'ReactionAdded':
        await tx.execute(
          `INSERT INTO ${t.forum_reactions} (post_id, emoji, user_id) VALUES ($1, $2, $3) ON CONFLICT (post_id, emoji, user_id) DO NOTHING`,
          [event.data.postId, event.data.emoji, event.data.by],
        );
        return;
      case 'ReactionRemoved':
        await tx.execute(`DELETE FROM ${t.forum_reactions} WHERE post_id = $1 AND emoji = $2 AND user_id = $3`, [
          event.data.postId,
          event.data.emoji,
          event.data.by,
        ]);
        return;
      case 'TopicPinned':
      case 'TopicUnpinned':
      case 'TopicLocked':
      case 'TopicUnlocked':
      case 'SolutionChosen':
      case 'SolutionCleared':
      case 'TopicRead':
      case 'TopicCaughtUp':
        return;
      default: {
        const _exhaustive: never = event;
        return;
      }
    }
  },
};
