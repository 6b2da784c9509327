import type { RecordedEvent } from '#ruche/eventstore';
import { insertRows, type PhysicalTables, type SqlExecutor, type SqlValue } from '#ruche/projections';
import { isTopicEvent } from '../topic.js';
import type { ForumPostsTables } from './forum-posts.projection.js';

/*
 * The forum_posts projection applied a batch at a time: the same tables as one event at a time
 * (tests hold them equal). The common events only insert (posts and their version 1 on
 * TopicOpened/ReplyPosted, reactions on ReactionAdded), all ON CONFLICT DO NOTHING: they are
 * gathered, first one per key kept, and written by multi-row inserts. The rare events that
 * change or delete rows (PostEdited, PostDeleted, ReactionRemoved) go through `apply`, after
 * the gathered rows they touch are written, so that every row sees its events in log order;
 * rows with other keys are untouched by them, so their writes may come later. Everything
 * happens in the caller's transaction (exactly once, as `apply`); no clock.
 */

type Apply = (event: RecordedEvent, tx: SqlExecutor, t: PhysicalTables<ForumPostsTables>) => Promise<void>;

export async function applyForumPostsBatch(
  events: readonly RecordedEvent[],
  tx: SqlExecutor,
  t: PhysicalTables<ForumPostsTables>,
  applyOne: Apply,
): Promise<void> {
  /** postId → [post row, version 1 row] not written yet; the first insert per post wins. */
  let posts = new Map<string, { post: SqlValue[]; version: SqlValue[] }>();
  /** `${postId}\n${emoji}\n${userId}` → reaction row not written yet. */
  let reactions = new Map<string, SqlValue[]>();

  const flush = async (): Promise<void> => {
    if (posts.size > 0) {
      const pending = [...posts.values()];
      posts = new Map();
      await insertRows(
        tx,
        `INSERT INTO ${t.forum_posts} (id, topic_id, space_id, seq, opening, author_id, body, reply_to, created_at, edited_at, deleted, version)`,
        12,
        pending.map((p) => p.post),
        'ON CONFLICT (id) DO NOTHING',
      );
      await insertRows(
        tx,
        `INSERT INTO ${t.forum_post_versions} (post_id, version, body, at, by_user_id)`,
        5,
        pending.map((p) => p.version),
        'ON CONFLICT (post_id, version) DO NOTHING',
      );
    }
    if (reactions.size > 0) {
      const pending = [...reactions.values()];
      reactions = new Map();
      await insertRows(tx, `INSERT INTO ${t.forum_reactions} (post_id, emoji, user_id)`, 3, pending, 'ON CONFLICT (post_id, emoji, user_id) DO NOTHING');
    }
  };

  for (const event of events) {
    if (!isTopicEvent(event)) continue;
    switch (event.type) {
      case 'TopicOpened':
      case 'ReplyPosted': {
        const d = event.data;
        if (posts.has(d.postId)) break;
        const replyTo = event.type === 'ReplyPosted' ? (event.data.replyTo ?? null) : null;
        // The stream's revision orders the thread: it grows with every event of the topic.
        posts.set(d.postId, {
          post: [d.postId, d.topicId, d.spaceId, event.revision, event.type === 'TopicOpened' ? 1 : 0, d.by, d.body, replyTo, d.at, null, 0, 1],
          version: [d.postId, 1, d.body, d.at, d.by],
        });
        break;
      }
      case 'ReactionAdded': {
        const d = event.data;
        const key = `${d.postId}\n${d.emoji}\n${d.by}`;
        if (!reactions.has(key)) reactions.set(key, [d.postId, d.emoji, d.by]);
        break;
      }
      case 'PostEdited':
      case 'PostDeleted':
        if (posts.has(event.data.postId)) await flush();
        await applyOne(event, tx, t);
        break;
      case 'ReactionRemoved':
        if (reactions.has(`${event.data.postId}\n${event.data.emoji}\n${event.data.by}`)) await flush();
        await applyOne(event, tx, t);
        break;
      default:
        // The other topic events write nothing here.
        break;
    }
  }
  await flush();
}
