import type { RecordedEvent } from '#ruche/eventstore';
import { isTopicEvent, type TopicEvent } from '#ruche/forums';
import { isUserEvent, type UserEvent } from '#ruche/identity';
import { insertRows, selectIn, type PhysicalTables, type SqlExecutor, type SqlValue } from '#ruche/projections';
import { isSpaceEvent, type SpaceEvent } from '#ruche/spaces';
import { findMentions, type MentionCandidate } from '../mentions.js';
import { isNotificationsEvent, type NotificationKind } from '../notifications.js';
import { notificationId } from './notification-id.js';
import type { NotificationsTables } from './notifications.projection.js';

/*
 * The notifications projection applied a batch at a time: the same tables as `apply` one event
 * at a time (a test holds them equal). A batch is cut into segments at the rare events that
 * change or remove what others decide on (a profile or visibility change, a member leaving, a
 * post edited or deleted, a chosen solution, an approved request, a read mark): each segment is
 * applied in memory and written by a few multi-row inserts, then the rare event goes through
 * `apply`, which sees every earlier write, and the next segment reads the tables afresh.
 *
 * A segment reads what it decides on in a few queries up front (topics, participants, spaces,
 * members, users, earlier mentions); a lookup of anything not read then throws, and the
 * runner applies the batch again one event at a time, so a gap here costs speed, never
 * exactness. Events the projection ignores (most of the log: reads, reactions) cost a lookup.
 */

type Tables = PhysicalTables<NotificationsTables>;
type Apply = (event: RecordedEvent, tx: SqlExecutor, t: Tables) => Promise<void>;

/** What a segment applies in memory; any other event `apply` handles cuts the batch. */
const SEGMENT_TYPES = new Set(['UserRegistered', 'SpaceCreated', 'MemberAdded', 'MemberJoined', 'TopicOpened', 'ReplyPosted']);
const BOUNDARY_TYPES: Readonly<Record<string, readonly string[]>> = {
  user: ['UserProfileUpdated'],
  space: ['SpaceVisibilityChanged', 'JoinRequestApproved', 'MemberRemoved', 'MemberLeft'],
  topic: ['PostEdited', 'PostDeleted', 'SolutionChosen'],
};

type Role = 'segment' | 'boundary' | 'ignored';
const roles = new Map<string, Role>();

/** What `apply` does with an event of this type, found with the very guards it dispatches on. */
function roleOf(type: string): Role {
  let role = roles.get(type);
  if (role) return role;
  const probe = { type };
  if (isUserEvent(probe)) role = SEGMENT_TYPES.has(type) ? 'segment' : BOUNDARY_TYPES.user!.includes(type) ? 'boundary' : 'ignored';
  else if (isSpaceEvent(probe)) role = SEGMENT_TYPES.has(type) ? 'segment' : BOUNDARY_TYPES.space!.includes(type) ? 'boundary' : 'ignored';
  else if (isTopicEvent(probe)) role = SEGMENT_TYPES.has(type) ? 'segment' : BOUNDARY_TYPES.topic!.includes(type) ? 'boundary' : 'ignored';
  else if (isNotificationsEvent(probe)) role = 'boundary';
  else role = 'ignored';
  roles.set(type, role);
  return role;
}

/** Applies `events` (in position order) to the notification tables; `apply` takes the rare ones. */
export async function applyNotificationsBatch(events: readonly RecordedEvent[], tx: SqlExecutor, t: Tables, apply: Apply): Promise<void> {
  let segment: RecordedEvent[] = [];
  for (const event of events) {
    const role = roleOf(event.type);
    if (role === 'ignored') continue;
    if (role === 'segment') {
      segment.push(event);
      continue;
    }
    if (segment.length > 0) await applySegment(segment, tx, t);
    segment = [];
    await apply(event, tx, t);
  }
  if (segment.length > 0) await applySegment(segment, tx, t);
}


interface User {
  displayName: string;
  email: string;
  dane: boolean;
}

interface Topic {
  spaceId: string;
  authorId: string;
}

interface About {
  spaceId: string;
  by: string;
  topicId: string;
  postId: string;
}

const missing = (what: string, id: string): Error => new Error(`notifications batch: ${what} ${id} was not read for this segment`);

type Reply = Extract<TopicEvent, { type: 'ReplyPosted' }>;
type Opened = Extract<TopicEvent, { type: 'TopicOpened' }>;

async function applySegment(events: readonly RecordedEvent[], tx: SqlExecutor, t: Tables): Promise<void> {
  // What the segment's events name.
  const topicIds = new Set<string>();
  const replyTopicIds = new Set<string>();
  const spaceIds = new Set<string>();
  const mentionPosts = new Set<string>();
  const mentionSpaces = new Set<string>();
  const replySpaces = new Set<string>();
  const userIds = new Set<string>();
  for (const event of events) {
    const data = event.data as Record<string, string>;
    switch (event.type) {
      case 'UserRegistered':
        userIds.add(data.userId!);
        break;
      case 'SpaceCreated':
        spaceIds.add(data.spaceId!);
        break;
      case 'MemberAdded':
      case 'MemberJoined':
        userIds.add(data.userId!);
        break;
      case 'TopicOpened':
      case 'ReplyPosted':
        topicIds.add(data.topicId!);
        spaceIds.add(data.spaceId!);
        userIds.add(data.by!);
        if (event.type === 'ReplyPosted') {
          replyTopicIds.add(data.topicId!);
          replySpaces.add(data.spaceId!);
        }
        if (data.body!.includes('@')) {
          mentionPosts.add(data.postId!);
          mentionSpaces.add(data.spaceId!);
        }
        break;
    }
  }

  // Read once, up front.
  const topics = new Map<string, Topic | null>([...topicIds].map((id) => [id, null]));
  for (const row of await selectIn<{ topic_id: string; space_id: string; author_id: string }>(
    tx, `SELECT topic_id, space_id, author_id FROM ${t.notification_topics}`, 'topic_id', topicIds,
  )) {
    topics.set(row.topic_id, { spaceId: row.space_id, authorId: row.author_id });
    userIds.add(row.author_id);
  }
  const participants = new Map<string, Set<string>>([...replyTopicIds].map((id) => [id, new Set<string>()]));
  for (const row of await selectIn<{ topic_id: string; user_id: string }>(
    tx, `SELECT topic_id, user_id FROM ${t.notification_participants}`, 'topic_id', replyTopicIds,
  )) {
    participants.get(row.topic_id)!.add(row.user_id);
    userIds.add(row.user_id);
  }
  const spaces = new Map<string, string | null>([...spaceIds].map((id) => [id, null]));
  for (const row of await selectIn<{ space_id: string; visibility: string }>(
    tx, `SELECT space_id, visibility FROM ${t.notification_spaces}`, 'space_id', spaceIds,
  )) {
    spaces.set(row.space_id, row.visibility);
  }
  // Members of the spaces whose members are looked at: where someone is mentioned, and where a
  // reply's readers are not everyone (the space is not public before the segment).
  const memberSpaces = new Set([...mentionSpaces, ...[...replySpaces].filter((id) => spaces.get(id) !== 'public')]);
  const members = new Map<string, Set<string>>([...memberSpaces].map((id) => [id, new Set<string>()]));
  for (const row of await selectIn<{ space_id: string; user_id: string }>(
    tx, `SELECT space_id, user_id FROM ${t.notification_members}`, 'space_id', memberSpaces,
  )) {
    members.get(row.space_id)!.add(row.user_id);
    userIds.add(row.user_id);
  }
  const mentions = new Map<string, Set<string>>([...mentionPosts].map((id) => [id, new Set<string>()]));
  for (const row of await selectIn<{ post_id: string; user_id: string }>(
    tx, `SELECT post_id, user_id FROM ${t.notification_mentions}`, 'post_id', mentionPosts,
  )) {
    mentions.get(row.post_id)!.add(row.user_id);
  }
  const users = new Map<string, User | null>([...userIds].map((id) => [id, null]));
  for (const row of await selectIn<{ user_id: string; display_name: string; email: string; dane: number }>(
    tx, `SELECT user_id, display_name, email, dane FROM ${t.notification_users}`, 'user_id', userIds,
  )) {
    users.set(row.user_id, { displayName: row.display_name, email: row.email, dane: Number(row.dane) === 1 });
  }

  // What the segment writes, all inserts.
  const newUsers: SqlValue[][] = [];
  const newSpaces: SqlValue[][] = [];
  const newMembers = new Map<string, SqlValue[]>();
  const newTopics: SqlValue[][] = [];
  const newParticipants = new Map<string, SqlValue[]>();
  const newMentions = new Map<string, SqlValue[]>();
  const notifications = new Map<string, SqlValue[]>();

  const userOf = (userId: string): User | null => {
    const user = users.get(userId);
    if (user === undefined) throw missing('user', userId);
    return user;
  };
  const isMember = (spaceId: string, userId: string): boolean => {
    const set = members.get(spaceId);
    if (!set) throw missing('members of space', spaceId);
    return set.has(userId);
  };
  /** Who among `userIds` may read the space: anyone when it is public, else its members and the dane. */
  const mayRead = (spaceId: string, userIds: readonly string[]): Set<string> => {
    const visibility = spaces.get(spaceId);
    if (visibility === undefined) throw missing('space', spaceId);
    if (visibility === null) return new Set();
    if (visibility === 'public') return new Set(userIds);
    return new Set(userIds.filter((userId) => {
      const user = userOf(userId);
      return user !== null && (user.dane || isMember(spaceId, userId));
    }));
  };
  const notify = (event: RecordedEvent, userIds: Iterable<string>, kind: NotificationKind, about: About): Set<string> => {
    const candidates = [...new Set(userIds)].filter((userId) => userId !== about.by);
    const notified = new Set<string>();
    if (candidates.length === 0) return notified;
    const readers = mayRead(about.spaceId, candidates);
    for (const userId of candidates) {
      if (!readers.has(userId)) continue;
      const id = notificationId(event.id, userId);
      if (!notifications.has(id)) {
        notifications.set(id, [id, userId, kind, about.spaceId, about.topicId, null, about.postId, about.by, (event.data as { at: string }).at, event.position]);
      }
      notified.add(userId);
    }
    return notified;
  };
  const notifyMentions = (event: RecordedEvent, post: About & { body: string }): Set<string> => {
    if (!post.body.includes('@')) return new Set();
    const spaceMembers = members.get(post.spaceId);
    if (!spaceMembers) throw missing('members of space', post.spaceId);
    const candidates: MentionCandidate[] = [];
    for (const userId of spaceMembers) {
      const user = userOf(userId);
      if (user) candidates.push({ userId, displayName: user.displayName, email: user.email });
    }
    const mentioned = findMentions(post.body, candidates);
    mentioned.delete(post.by);
    if (mentioned.size === 0) return mentioned;
    const known = mentions.get(post.postId);
    if (!known) throw missing('mentions of post', post.postId);
    const fresh = [...mentioned].filter((userId) => !known.has(userId));
    for (const userId of notify(event, fresh, 'mention', post)) {
      known.add(userId);
      newMentions.set(`${post.postId}\u0000${userId}`, [post.postId, userId]);
    }
    return mentioned;
  };

  for (const event of events) {
    switch (event.type) {
      case 'UserRegistered': {
        const d = (event as unknown as Extract<UserEvent, { type: 'UserRegistered' }>).data;
        if (userOf(d.userId) !== null) break;
        const dane = d.roles.includes('dane');
        users.set(d.userId, { displayName: d.displayName, email: d.email, dane });
        newUsers.push([d.userId, d.displayName, d.email, dane ? 1 : 0]);
        break;
      }
      case 'SpaceCreated': {
        const d = (event as unknown as Extract<SpaceEvent, { type: 'SpaceCreated' }>).data;
        if (spaces.get(d.spaceId) !== null) break;
        spaces.set(d.spaceId, d.visibility);
        newSpaces.push([d.spaceId, d.visibility]);
        break;
      }
      case 'MemberAdded':
      case 'MemberJoined': {
        const d = (event as unknown as Extract<SpaceEvent, { type: 'MemberAdded' | 'MemberJoined' }>).data;
        members.get(d.spaceId)?.add(d.userId);
        newMembers.set(`${d.spaceId}\u0000${d.userId}`, [d.spaceId, d.userId]);
        break;
      }
      case 'TopicOpened': {
        const d = (event as unknown as Opened).data;
        if (topics.get(d.topicId) === null) {
          topics.set(d.topicId, { spaceId: d.spaceId, authorId: d.by });
          newTopics.push([d.topicId, d.spaceId, d.by, d.title]);
        }
        notifyMentions(event, { spaceId: d.spaceId, topicId: d.topicId, postId: d.postId, by: d.by, body: d.body });
        break;
      }
      case 'ReplyPosted': {
        const d = (event as unknown as Reply).data;
        const about = { spaceId: d.spaceId, topicId: d.topicId, postId: d.postId, by: d.by };
        const mentioned = notifyMentions(event, { ...about, body: d.body });
        const topic = topics.get(d.topicId);
        const following = participants.get(d.topicId);
        if (topic === undefined || !following) throw missing('topic', d.topicId);
        const followers = topic ? [topic.authorId, ...following] : [...following];
        notify(event, followers.filter((userId) => !mentioned.has(userId)), 'reply', about);
        if (!following.has(d.by)) {
          following.add(d.by);
          newParticipants.set(`${d.topicId}\u0000${d.by}`, [d.topicId, d.by]);
        }
        break;
      }
    }
  }

  await insertRows(tx, `INSERT INTO ${t.notification_users} (user_id, display_name, email, dane)`, 4, newUsers, 'ON CONFLICT (user_id) DO NOTHING');
  await insertRows(tx, `INSERT INTO ${t.notification_spaces} (space_id, visibility)`, 2, newSpaces, 'ON CONFLICT (space_id) DO NOTHING');
  await insertRows(tx, `INSERT INTO ${t.notification_members} (space_id, user_id)`, 2, [...newMembers.values()], 'ON CONFLICT (space_id, user_id) DO NOTHING');
  await insertRows(tx, `INSERT INTO ${t.notification_topics} (topic_id, space_id, author_id, title)`, 4, newTopics, 'ON CONFLICT (topic_id) DO NOTHING');
  await insertRows(
    tx,
    `INSERT INTO ${t.notification_participants} (topic_id, user_id)`,
    2,
    [...newParticipants.values()],
    'ON CONFLICT (topic_id, user_id) DO NOTHING',
  );
  await insertRows(tx, `INSERT INTO ${t.notification_mentions} (post_id, user_id)`, 2, [...newMentions.values()], 'ON CONFLICT (post_id, user_id) DO NOTHING');
  await insertRows(
    tx,
    `INSERT INTO ${t.notifications} (id, user_id, kind, space_id, topic_id, document_id, post_id, by_user_id, at, position)`,
    10,
    [...notifications.values()],
    'ON CONFLICT (position, user_id) DO NOTHING',
  );
}
