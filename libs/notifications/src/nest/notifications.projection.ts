import type { RecordedEvent } from '#ruche/eventstore';
import { isTopicEvent, type TopicEvent } from '#ruche/forums';
import { isUserEvent } from '#ruche/identity';
import { clusteredByKey, REPLAY_FOLD_MAX_ROWS, type PhysicalTables, type Projection, type SqlExecutor } from '#ruche/projections';
import { isSpaceEvent } from '#ruche/spaces';
import { findMentions, type MentionCandidate } from '../mentions.js';
import { isNotificationsEvent, type NotificationKind } from '../notifications.js';
import { notificationId } from './notification-id.js';
import { applyNotificationsBatch, NotificationsFold } from './notifications-batch.projection.js';

export type NotificationsTables =
  | 'notifications'
  | 'notification_marks'
  | 'notification_spaces'
  | 'notification_members'
  | 'notification_users'
  | 'notification_topics'
  | 'notification_participants'
  | 'notification_mentions';

/**
 * Who is told what (API.md, "Notifications"), one row per person and event, with each person's
 * read mark. The projection keeps its own copies of the facts it decides on (visibilities,
 * members, names, topic authors and participants) instead of reading other read models, which
 * may be at another position: replaying the log always gives the same notifications, and the
 * runner's checkpoint (same transaction) makes each one exactly once, across restarts.
 *
 * Rules: a reply notifies the topic's author and everyone who replied before; an @mention (by
 * display name or e-mail local part, among the space's members, in an opening post, a reply or
 * an edit that adds it) notifies the person named, once per post, instead of a reply
 * notification; an approved join request notifies the requester; a chosen solution notifies
 * the topic's author. Never the author of the action, never someone who may not read the space
 * at that point of the log. A deleted post takes its notifications with it.
 */
export const notificationsProjection: Projection<NotificationsTables> = {
  name: 'notifications',
  // 3: on SQLite, notifications and the pairs it decides on WITHOUT ROWID.
  version: 3,
  // Seconds to replay a school year (see Projection.replayWeight).
  replayWeight: { sqlite: 11, postgres: 30 },
  // Consultations and reactions tell nobody anything (see Projection.ignores).
  ignores: ['TopicRead', 'TopicCaughtUp', 'DocumentRead', 'ReactionAdded', 'ReactionRemoved'],
  tables: [
    'notifications',
    'notification_marks',
    'notification_spaces',
    'notification_members',
    'notification_users',
    'notification_topics',
    'notification_participants',
    'notification_mentions',
  ],
  async createTables(db: SqlExecutor, t: PhysicalTables<NotificationsTables>): Promise<void> {
    // Keyed by the event's position and the recipient (one notification each; the id is a hash
    // of the same two): a replay adds keys in log order, where the id's key took a random
    // insert per row (notifications alone: 35.7 -> 30.9 s of a school year's rebuild on SQLite).
    await db.execute(
      `CREATE TABLE IF NOT EXISTS ${t.notifications} (
         id TEXT NOT NULL,
         user_id TEXT NOT NULL,
         kind TEXT NOT NULL,
         space_id TEXT NOT NULL,
         topic_id TEXT,
         document_id TEXT,
         post_id TEXT,
         by_user_id TEXT NOT NULL,
         at TEXT NOT NULL,
         position BIGINT NOT NULL,
         PRIMARY KEY (position, user_id)
       )${clusteredByKey(db)}`,
    );
    await db.execute(`CREATE INDEX IF NOT EXISTS ${t.notifications}_by_post ON ${t.notifications} (post_id)`);
    await db.execute(`CREATE TABLE IF NOT EXISTS ${t.notification_marks} (user_id TEXT PRIMARY KEY, read_up_to BIGINT NOT NULL)`);
    await db.execute(`CREATE TABLE IF NOT EXISTS ${t.notification_spaces} (space_id TEXT PRIMARY KEY, visibility TEXT NOT NULL)`);
    await db.execute(
      `CREATE TABLE IF NOT EXISTS ${t.notification_members} (
         space_id TEXT NOT NULL,
         user_id TEXT NOT NULL,
         PRIMARY KEY (space_id, user_id)
       )${clusteredByKey(db)}`,
    );
    await db.execute(
      `CREATE TABLE IF NOT EXISTS ${t.notification_users} (
         user_id TEXT PRIMARY KEY,
         display_name TEXT NOT NULL,
         email TEXT NOT NULL,
         dane INTEGER NOT NULL
       )`,
    );
    await db.execute(
      `CREATE TABLE IF NOT EXISTS ${t.notification_topics} (
         topic_id TEXT PRIMARY KEY,
         space_id TEXT NOT NULL,
         author_id TEXT NOT NULL,
         title TEXT NOT NULL
       )`,
    );
    await db.execute(
      `CREATE TABLE IF NOT EXISTS ${t.notification_participants} (
         topic_id TEXT NOT NULL,
         user_id TEXT NOT NULL,
         PRIMARY KEY (topic_id, user_id)
       )${clusteredByKey(db)}`,
    );
    await db.execute(
      `CREATE TABLE IF NOT EXISTS ${t.notification_mentions} (
         post_id TEXT NOT NULL,
         user_id TEXT NOT NULL,
         PRIMARY KEY (post_id, user_id)
       )${clusteredByKey(db)}`,
    );
  },
  /** Indexes only queries read through (see Projection.createQueryIndexes). */
  async createQueryIndexes(db: SqlExecutor, t: PhysicalTables<NotificationsTables>): Promise<void> {
    await db.execute(`CREATE INDEX IF NOT EXISTS ${t.notifications}_by_user ON ${t.notifications} (user_id, position, id)`);
  },
  applyBatch(events: readonly RecordedEvent[], tx: SqlExecutor, t: PhysicalTables<NotificationsTables>): Promise<void> {
    return applyNotificationsBatch(events, tx, t, applyOne);
  },
  /** A rebuild's replay: every fact notifications decide on held in memory, nothing read back. */
  replayFold: (maxRows = REPLAY_FOLD_MAX_ROWS) => new NotificationsFold(applyOne, maxRows),
  async apply(recorded: RecordedEvent, tx: SqlExecutor, t: PhysicalTables<NotificationsTables>): Promise<void> {
    if (isUserEvent(recorded)) {
      const d = recorded.data;
      if (recorded.type === 'UserRegistered') {
        await tx.execute(
          `INSERT INTO ${t.notification_users} (user_id, display_name, email, dane) VALUES ($1, $2, $3, $4) ON CONFLICT (user_id) DO NOTHING`,
          [d.userId, recorded.data.displayName, recorded.data.email, recorded.data.roles.includes('dane') ? 1 : 0],
        );
      } else if (recorded.type === 'UserProfileUpdated') {
        const u = recorded.data;
        if (u.displayName !== undefined) await tx.execute(`UPDATE ${t.notification_users} SET display_name = $2 WHERE user_id = $1`, [u.userId, u.displayName]);
        if (u.roles !== undefined) await tx.execute(`UPDATE ${t.notification_users} SET dane = $2 WHERE user_id = $1`, [u.userId, u.roles.includes('dane') ? 1 : 0]);
      }
      return;
    }
    if (isSpaceEvent(recorded)) {
      const event = recorded;
      switch (event.type) {
        case 'SpaceCreated':
          await tx.execute(`INSERT INTO ${t.notification_spaces} (space_id, visibility) VALUES ($1, $2) ON CONFLICT (space_id) DO NOTHING`, [
            event.data.spaceId,
            event.data.visibility,
          ]);
          return;
        case 'SpaceVisibilityChanged':
          await tx.execute(`UPDATE ${t.notification_spaces} SET visibility = $2 WHERE space_id = $1`, [event.data.spaceId, event.data.visibility]);
          return;
        case 'MemberAdded':
        case 'MemberJoined':
          await addMember(tx, t, event.data.spaceId, event.data.userId);
          return;
        case 'JoinRequestApproved': {
          const { spaceId, userId, by } = event.data;
          await addMember(tx, t, spaceId, userId);
          await notify(tx, t, recorded, [userId], 'join_approved', { spaceId, by });
          return;
        }
        case 'MemberRemoved':
        case 'MemberLeft':
          await tx.execute(`DELETE FROM ${t.notification_members} WHERE space_id = $1 AND user_id = $2`, [event.data.spaceId, event.data.userId]);
          return;
        default:
          return;
      }
    }
    if (isTopicEvent(recorded)) {
      await applyTopicEvent(recorded as RecordedEvent & TopicEvent, tx, t);
      return;
    }
    if (isNotificationsEvent(recorded)) {
      const { userId, upTo } = recorded.data;
      await tx.execute(
        `INSERT INTO ${t.notification_marks} (user_id, read_up_to) VALUES ($1, $2)
         ON CONFLICT (user_id) DO UPDATE SET read_up_to = CASE WHEN ${t.notification_marks}.read_up_to > excluded.read_up_to
           THEN ${t.notification_marks}.read_up_to ELSE excluded.read_up_to END`,
        [userId, upTo],
      );
    }
  },
};

type Tables = PhysicalTables<NotificationsTables>;

const applyOne = (event: RecordedEvent, tx: SqlExecutor, t: Tables): Promise<void> => notificationsProjection.apply(event, tx, t);

async function addMember(tx: SqlExecutor, t: Tables, spaceId: string, userId: string): Promise<void> {
  await tx.execute(`INSERT INTO ${t.notification_members} (space_id, user_id) VALUES ($1, $2) ON CONFLICT (space_id, user_id) DO NOTHING`, [
    spaceId,
    userId,
  ]);
}

async function applyTopicEvent(event: RecordedEvent & TopicEvent, tx: SqlExecutor, t: Tables): Promise<void> {
  switch (event.type) {
    case 'TopicOpened': {
      const { topicId, spaceId, postId, by, title, body } = event.data;
      await tx.execute(
        `INSERT INTO ${t.notification_topics} (topic_id, space_id, author_id, title) VALUES ($1, $2, $3, $4) ON CONFLICT (topic_id) DO NOTHING`,
        [topicId, spaceId, by, title],
      );
      await notifyMentions(tx, t, event, { spaceId, topicId, postId, by, body });
      return;
    }
    case 'ReplyPosted': {
      const { topicId, spaceId, postId, by, body } = event.data;
      const mentioned = await notifyMentions(tx, t, event, { spaceId, topicId, postId, by, body });
      const followers = await tx.query<{ user_id: string }>(
        `SELECT author_id AS user_id FROM ${t.notification_topics} WHERE topic_id = $1
         UNION SELECT user_id FROM ${t.notification_participants} WHERE topic_id = $1`,
        [topicId],
      );
      const recipients = followers.map((row) => row.user_id).filter((userId) => !mentioned.has(userId));
      await notify(tx, t, event, recipients, 'reply', { spaceId, topicId, postId, by });
      await tx.execute(
        `INSERT INTO ${t.notification_participants} (topic_id, user_id) VALUES ($1, $2) ON CONFLICT (topic_id, user_id) DO NOTHING`,
        [topicId, by],
      );
      return;
    }
    case 'PostEdited': {
      const { topicId, spaceId, postId, by, body } = event.data;
      await notifyMentions(tx, t, event, { spaceId, topicId, postId, by, body });
      return;
    }
    case 'PostDeleted':
      // What they pointed at is gone: nothing is left to read, and its body never shows again.
      await tx.execute(`DELETE FROM ${t.notifications} WHERE post_id = $1`, [event.data.postId]);
      return;
    case 'SolutionChosen': {
      const { topicId, spaceId, postId, by } = event.data;
      const topic = await tx.queryOne<{ author_id: string }>(`SELECT author_id FROM ${t.notification_topics} WHERE topic_id = $1`, [topicId]);
      if (topic) await notify(tx, t, event, [topic.author_id], 'solution', { spaceId, topicId, postId, by });
      return;
    }
    default:
      return;
  }
}

interface About {
  spaceId: string;
  by: string;
  topicId?: string;
  documentId?: string;
  postId?: string;
}

/**
 * Notifies, about `event`, those of `userIds` who are not its author and may read the space
 * now (at this point of the log); answers who was notified.
 */
async function notify(tx: SqlExecutor, t: Tables, event: RecordedEvent, userIds: readonly string[], kind: NotificationKind, about: About): Promise<Set<string>> {
  const candidates = [...new Set(userIds)].filter((userId) => userId !== about.by);
  const notified = new Set<string>();
  if (candidates.length === 0) return notified;
  const readers = await mayRead(tx, t, about.spaceId, candidates);
  for (const userId of candidates) {
    if (!readers.has(userId)) continue;
    await tx.execute(
      `INSERT INTO ${t.notifications} (id, user_id, kind, space_id, topic_id, document_id, post_id, by_user_id, at, position)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (position, user_id) DO NOTHING`,
      [
        notificationId(event.id, userId),
        userId,
        kind,
        about.spaceId,
        about.topicId ?? null,
        about.documentId ?? null,
        about.postId ?? null,
        about.by,
        (event.data as { at: string }).at,
        event.position,
      ],
    );
    notified.add(userId);
  }
  return notified;
}

/** Who among `userIds` may read the space: anyone when it is public, else its members and the dane. */
async function mayRead(tx: SqlExecutor, t: Tables, spaceId: string, userIds: readonly string[]): Promise<Set<string>> {
  const space = await tx.queryOne<{ visibility: string }>(`SELECT visibility FROM ${t.notification_spaces} WHERE space_id = $1`, [spaceId]);
  if (!space) return new Set();
  if (space.visibility === 'public') return new Set(userIds);
  const placeholders = userIds.map((_, i) => `$${i + 2}`).join(', ');
  const rows = await tx.query<{ user_id: string }>(
    `SELECT u.user_id FROM ${t.notification_users} u
      WHERE u.user_id IN (${placeholders})
        AND (u.dane = 1 OR EXISTS (SELECT 1 FROM ${t.notification_members} m WHERE m.space_id = $1 AND m.user_id = u.user_id))`,
    [spaceId, ...userIds],
  );
  return new Set(rows.map((row) => row.user_id));
}

/** Notifies the members newly mentioned in a post's body; answers everyone it mentions now. */
async function notifyMentions(
  tx: SqlExecutor,
  t: Tables,
  event: RecordedEvent,
  post: { spaceId: string; topicId: string; postId: string; by: string; body: string },
): Promise<Set<string>> {
  if (!post.body.includes('@')) return new Set();
  const candidates = await tx.query<{ user_id: string; display_name: string; email: string }>(
    `SELECT u.user_id, u.display_name, u.email FROM ${t.notification_members} m
       JOIN ${t.notification_users} u ON u.user_id = m.user_id
      WHERE m.space_id = $1`,
    [post.spaceId],
  );
  const mentioned = findMentions(
    post.body,
    candidates.map((row): MentionCandidate => ({ userId: row.user_id, displayName: row.display_name, email: row.email })),
  );
  mentioned.delete(post.by);
  if (mentioned.size === 0) return mentioned;
  const already = await tx.query<{ user_id: string }>(`SELECT user_id FROM ${t.notification_mentions} WHERE post_id = $1`, [post.postId]);
  const known = new Set(already.map((row) => row.user_id));
  const fresh = [...mentioned].filter((userId) => !known.has(userId));
  const notified = await notify(tx, t, event, fresh, 'mention', { spaceId: post.spaceId, topicId: post.topicId, postId: post.postId, by: post.by });
  for (const userId of notified) {
    await tx.execute(`INSERT INTO ${t.notification_mentions} (post_id, user_id) VALUES ($1, $2) ON CONFLICT (post_id, user_id) DO NOTHING`, [
      post.postId,
      userId,
    ]);
  }
  return mentioned;
}
