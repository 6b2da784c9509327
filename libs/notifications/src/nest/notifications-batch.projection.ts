import type { RecordedEvent } from '#ruche/eventstore';
import { isTopicEvent, type TopicEvent } from '#ruche/forums';
import { isUserEvent, type UserEvent } from '#ruche/identity';
import { inKeyOrder, insertRows, selectIn, type PhysicalTables, type ReplayFold, type SqlExecutor, type SqlValue } from '#ruche/projections';
import { isSpaceEvent, type SpaceEvent } from '#ruche/spaces';
import { findMentions, type MentionCandidate } from '../mentions.js';
import { isNotificationsEvent, type NotificationKind, type NotificationsEvent } from '../notifications.js';
import { notificationId } from './notification-id.js';
import type { NotificationsTables } from './notifications.projection.js';

/*
 * The notifications projection applied many events at a time, to the same tables as `apply` one
 * event at a time (tests hold them equal), in two ways that share the rules below
 * (NotificationsMemory):
 * - applyBatch: a batch is cut into segments at the rare events that change or remove what
 *   others decide on (a profile or visibility change, a member leaving, a post edited or deleted,
 *   a chosen solution, an approved request, a read mark): each segment reads what it decides on
 *   in a few queries up front, is applied in memory and written by a few multi-row inserts; the
 *   rare event then goes through `apply`, which sees every earlier write. A lookup of anything
 *   not read throws, and the runner applies the batch again one event at a time: a gap costs
 *   speed, never exactness.
 * - NotificationsFold, a rebuild's replay from 0: every fact held in memory over the whole log,
 *   nothing read back, the notifications written batch by batch and the facts once at the end.
 */

type Tables = PhysicalTables<NotificationsTables>;
type Apply = (event: RecordedEvent, tx: SqlExecutor, t: Tables) => Promise<void>;

type Context = 'user' | 'space' | 'topic' | 'notifications' | 'none';
const contexts = new Map<string, Context>();

/** Which of `apply`'s branches takes an event of this type, found with the very guards it dispatches on. */
function contextOf(type: string): Context {
  let context = contexts.get(type);
  if (context) return context;
  const probe = { type };
  context = isUserEvent(probe) ? 'user' : isSpaceEvent(probe) ? 'space' : isTopicEvent(probe) ? 'topic' : isNotificationsEvent(probe) ? 'notifications' : 'none';
  contexts.set(type, context);
  return context;
}

/** What a segment applies in memory; any other event `apply` handles cuts the batch. */
const SEGMENT_TYPES = new Set(['UserRegistered', 'SpaceCreated', 'MemberAdded', 'MemberJoined', 'TopicOpened', 'ReplyPosted']);
/** What `apply` does something with; the rest of the log tells nobody anything. */
const HANDLED: Readonly<Record<Context, ReadonlySet<string>>> = {
  user: new Set(['UserRegistered', 'UserProfileUpdated']),
  space: new Set(['SpaceCreated', 'SpaceVisibilityChanged', 'MemberAdded', 'MemberJoined', 'JoinRequestApproved', 'MemberRemoved', 'MemberLeft']),
  topic: new Set(['TopicOpened', 'ReplyPosted', 'PostEdited', 'PostDeleted', 'SolutionChosen']),
  notifications: new Set(['NotificationsRead']),
  none: new Set(),
};

const handled = (event: RecordedEvent): boolean => HANDLED[contextOf(event.type)].has(event.type);

/** Applies `events` (in position order) to the notification tables; `apply` takes the rare ones. */
export async function applyNotificationsBatch(events: readonly RecordedEvent[], tx: SqlExecutor, t: Tables, apply: Apply): Promise<void> {
  let segment: RecordedEvent[] = [];
  for (const event of events) {
    if (!handled(event)) continue;
    if (SEGMENT_TYPES.has(event.type)) {
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
  title: string;
}

interface About {
  spaceId: string;
  by: string;
  topicId?: string;
  postId?: string;
}

/** `a\0b`: a pair's key in a map of rows. */
const pair = (a: string, b: string): string => `${a}\u0000${b}`;

/** Rows a segment adds to the tables it decides on (a replay's fold writes its whole memory instead). */
interface Added {
  users: SqlValue[][];
  spaces: SqlValue[][];
  members: Map<string, SqlValue[]>;
  topics: SqlValue[][];
  participants: Map<string, SqlValue[]>;
  mentions: Map<string, SqlValue[]>;
}

/**
 * The facts notifications decide on (users, space visibilities, members, topics, participants,
 * mentions already notified, read marks) and `apply`'s rules over them, in memory. A segment's
 * memory holds what it read up front, collects the rows it adds (`added`) and throws on anything
 * else; a replay's (no `added`: it writes itself whole) holds everything since position 0, so
 * anything absent does not exist.
 */
class NotificationsMemory {
  readonly users = new Map<string, User | null>();
  readonly spaces = new Map<string, string | null>();
  readonly members = new Map<string, Set<string>>();
  readonly topics = new Map<string, Topic | null>();
  readonly participants = new Map<string, Set<string>>();
  readonly mentions = new Map<string, Set<string>>();
  readonly marks = new Map<string, number>();
  /** Notifications decided and not written yet, by id (the first wins, as ON CONFLICT DO NOTHING). */
  readonly notifications = new Map<string, SqlValue[]>();
  /** Rows held in the maps above but `notifications`, counted as they are added. */
  held = 0;

  /** A replay's memory is complete; a segment's holds what it read and lists what it adds. */
  private readonly complete: boolean;

  constructor(readonly added?: Added) {
    this.complete = added === undefined;
  }

  private unknown(what: string, id: string): null {
    if (this.complete) return null;
    throw new Error(`notifications batch: ${what} ${id} was not read for this segment`);
  }

  user(userId: string): User | null {
    const user = this.users.get(userId);
    return user === undefined ? this.unknown('user', userId) : user;
  }

  visibility(spaceId: string): string | null {
    const visibility = this.spaces.get(spaceId);
    return visibility === undefined ? this.unknown('space', spaceId) : visibility;
  }

  topic(topicId: string): Topic | null {
    const topic = this.topics.get(topicId);
    return topic === undefined ? this.unknown('topic', topicId) : topic;
  }

  /** The set of `key` in `map`: a new one in a replay's memory, an error in a segment's that did not read it. */
  private setOf(map: Map<string, Set<string>>, what: string, key: string): Set<string> {
    let set = map.get(key);
    if (set) return set;
    this.unknown(what, key);
    map.set(key, (set = new Set()));
    return set;
  }

  private addTo(set: Set<string>, value: string): boolean {
    if (set.has(value)) return false;
    set.add(value);
    this.held++;
    return true;
  }

  private isMember(spaceId: string, userId: string): boolean {
    return this.setOf(this.members, 'members of space', spaceId).has(userId);
  }

  /** Who among `userIds` may read the space: anyone when it is public, else its members and the dane. */
  private mayRead(spaceId: string, userIds: readonly string[]): Set<string> {
    const visibility = this.visibility(spaceId);
    if (visibility === null) return new Set();
    if (visibility === 'public') return new Set(userIds);
    return new Set(
      userIds.filter((userId) => {
        const user = this.user(userId);
        return user !== null && (user.dane || this.isMember(spaceId, userId));
      }),
    );
  }

  /** Notifies, about `event`, those of `userIds` who are not its author and may read the space now; answers who. */
  private notify(event: RecordedEvent, userIds: Iterable<string>, kind: NotificationKind, about: About): Set<string> {
    const candidates = [...new Set(userIds)].filter((userId) => userId !== about.by);
    const notified = new Set<string>();
    if (candidates.length === 0) return notified;
    const readers = this.mayRead(about.spaceId, candidates);
    for (const userId of candidates) {
      if (!readers.has(userId)) continue;
      const id = notificationId(event.id, userId);
      if (!this.notifications.has(id)) {
        const at = (event.data as { at: string }).at;
        this.notifications.set(id, [id, userId, kind, about.spaceId, about.topicId ?? null, null, about.postId ?? null, about.by, at, event.position]);
      }
      notified.add(userId);
    }
    return notified;
  }

  /** Notifies the members newly mentioned in a post's body; answers everyone it mentions now. */
  private notifyMentions(event: RecordedEvent, post: Required<About> & { body: string }): Set<string> {
    if (!post.body.includes('@')) return new Set();
    const candidates: MentionCandidate[] = [];
    for (const userId of this.setOf(this.members, 'members of space', post.spaceId)) {
      const user = this.user(userId);
      if (user) candidates.push({ userId, displayName: user.displayName, email: user.email });
    }
    const mentioned = findMentions(post.body, candidates);
    mentioned.delete(post.by);
    if (mentioned.size === 0) return mentioned;
    const known = this.setOf(this.mentions, 'mentions of post', post.postId);
    const fresh = [...mentioned].filter((userId) => !known.has(userId));
    for (const userId of this.notify(event, fresh, 'mention', post)) {
      this.addTo(known, userId);
      this.added?.mentions.set(pair(post.postId, userId), [post.postId, userId]);
    }
    return mentioned;
  }

  private addMember(spaceId: string, userId: string): void {
    // A segment's memory holds the members of the spaces it looks at only; the row is written anyway.
    const members = this.complete ? this.setOf(this.members, 'members of space', spaceId) : this.members.get(spaceId);
    if (members) this.addTo(members, userId);
    this.added?.members.set(pair(spaceId, userId), [spaceId, userId]);
  }

  /** `apply`'s rules for one event: a segment passes the segment's types only, a replay every event. */
  apply(event: RecordedEvent): void {
    switch (contextOf(event.type)) {
      case 'user':
        return this.applyUserEvent(event as RecordedEvent & UserEvent);
      case 'space':
        return this.applySpaceEvent(event, event as RecordedEvent & SpaceEvent);
      case 'topic':
        return this.applyTopicEvent(event as RecordedEvent & TopicEvent);
      case 'notifications': {
        const { userId, upTo } = (event as RecordedEvent & NotificationsEvent).data;
        const mark = this.marks.get(userId);
        if (mark === undefined) this.held++;
        if (mark === undefined || upTo > mark) this.marks.set(userId, upTo);
        return;
      }
      default:
        return;
    }
  }

  private applyUserEvent(event: UserEvent): void {
    if (event.type === 'UserRegistered') {
      const d = event.data;
      if (this.user(d.userId) !== null) return;
      const dane = d.roles.includes('dane');
      this.users.set(d.userId, { displayName: d.displayName, email: d.email, dane });
      this.held++;
      this.added?.users.push([d.userId, d.displayName, d.email, dane ? 1 : 0]);
    } else if (event.type === 'UserProfileUpdated') {
      const { userId, displayName, roles } = event.data;
      const user = this.user(userId);
      if (!user) return;
      if (displayName !== undefined) user.displayName = displayName;
      if (roles !== undefined) user.dane = roles.includes('dane');
    }
  }

  private applySpaceEvent(recorded: RecordedEvent, event: SpaceEvent): void {
    switch (event.type) {
      case 'SpaceCreated': {
        const { spaceId, visibility } = event.data;
        if (this.visibility(spaceId) !== null) return;
        this.spaces.set(spaceId, visibility);
        this.held++;
        this.added?.spaces.push([spaceId, visibility]);
        return;
      }
      case 'SpaceVisibilityChanged':
        if (this.visibility(event.data.spaceId) !== null) this.spaces.set(event.data.spaceId, event.data.visibility);
        return;
      case 'MemberAdded':
      case 'MemberJoined':
        this.addMember(event.data.spaceId, event.data.userId);
        return;
      case 'JoinRequestApproved': {
        const { spaceId, userId, by } = event.data;
        this.addMember(spaceId, userId);
        this.notify(recorded, [userId], 'join_approved', { spaceId, by });
        return;
      }
      case 'MemberRemoved':
      case 'MemberLeft':
        this.members.get(event.data.spaceId)?.delete(event.data.userId);
        return;
      default:
        return;
    }
  }

  private applyTopicEvent(event: RecordedEvent & TopicEvent): void {
    switch (event.type) {
      case 'TopicOpened': {
        const { topicId, spaceId, postId, by, title, body } = event.data;
        if (this.topic(topicId) === null) {
          this.topics.set(topicId, { spaceId, authorId: by, title });
          this.held++;
          this.added?.topics.push([topicId, spaceId, by, title]);
        }
        this.notifyMentions(event, { spaceId, topicId, postId, by, body });
        return;
      }
      case 'ReplyPosted': {
        const { topicId, spaceId, postId, by, body } = event.data;
        const mentioned = this.notifyMentions(event, { spaceId, topicId, postId, by, body });
        const topic = this.topic(topicId);
        const following = this.setOf(this.participants, 'participants of topic', topicId);
        const followers = topic ? [topic.authorId, ...following] : [...following];
        this.notify(
          event,
          followers.filter((userId) => !mentioned.has(userId)),
          'reply',
          { spaceId, topicId, postId, by },
        );
        if (this.addTo(following, by)) this.added?.participants.set(pair(topicId, by), [topicId, by]);
        return;
      }
      case 'PostEdited': {
        const { topicId, spaceId, postId, by, body } = event.data;
        this.notifyMentions(event, { spaceId, topicId, postId, by, body });
        return;
      }
      case 'SolutionChosen': {
        const { topicId, spaceId, postId, by } = event.data;
        const topic = this.topic(topicId);
        if (topic) this.notify(event, [topic.authorId], 'solution', { spaceId, topicId, postId, by });
        return;
      }
      default:
        // PostDeleted deletes rows: the fold runs it as SQL (see NotificationsFold).
        return;
    }
  }
}

/** Writes the notifications `memory` decided and forgets them. */
async function writeNotifications(memory: NotificationsMemory, tx: SqlExecutor, t: Tables, tail: string): Promise<void> {
  if (memory.notifications.size === 0) return;
  await insertRows(
    tx,
    `INSERT INTO ${t.notifications} (id, user_id, kind, space_id, topic_id, document_id, post_id, by_user_id, at, position)`,
    10,
    [...memory.notifications.values()],
    tail,
  );
  memory.notifications.clear();
}

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
  const added: Added = { users: [], spaces: [], members: new Map(), topics: [], participants: new Map(), mentions: new Map() };
  const memory = new NotificationsMemory(added);
  for (const id of topicIds) memory.topics.set(id, null);
  for (const row of await selectIn<{ topic_id: string; space_id: string; author_id: string; title: string }>(
    tx, `SELECT topic_id, space_id, author_id, title FROM ${t.notification_topics}`, 'topic_id', topicIds,
  )) {
    memory.topics.set(row.topic_id, { spaceId: row.space_id, authorId: row.author_id, title: row.title });
    userIds.add(row.author_id);
  }
  for (const id of replyTopicIds) memory.participants.set(id, new Set());
  for (const row of await selectIn<{ topic_id: string; user_id: string }>(
    tx, `SELECT topic_id, user_id FROM ${t.notification_participants}`, 'topic_id', replyTopicIds,
  )) {
    memory.participants.get(row.topic_id)!.add(row.user_id);
    userIds.add(row.user_id);
  }
  for (const id of spaceIds) memory.spaces.set(id, null);
  for (const row of await selectIn<{ space_id: string; visibility: string }>(
    tx, `SELECT space_id, visibility FROM ${t.notification_spaces}`, 'space_id', spaceIds,
  )) {
    memory.spaces.set(row.space_id, row.visibility);
  }
  // Members of the spaces whose members are looked at: where someone is mentioned, and where a
  // reply's readers are not everyone (the space is not public before the segment).
  const memberSpaces = new Set([...mentionSpaces, ...[...replySpaces].filter((id) => memory.spaces.get(id) !== 'public')]);
  for (const id of memberSpaces) memory.members.set(id, new Set());
  for (const row of await selectIn<{ space_id: string; user_id: string }>(
    tx, `SELECT space_id, user_id FROM ${t.notification_members}`, 'space_id', memberSpaces,
  )) {
    memory.members.get(row.space_id)!.add(row.user_id);
    userIds.add(row.user_id);
  }
  for (const id of mentionPosts) memory.mentions.set(id, new Set());
  for (const row of await selectIn<{ post_id: string; user_id: string }>(
    tx, `SELECT post_id, user_id FROM ${t.notification_mentions}`, 'post_id', mentionPosts,
  )) {
    memory.mentions.get(row.post_id)!.add(row.user_id);
  }
  for (const id of userIds) memory.users.set(id, null);
  for (const row of await selectIn<{ user_id: string; display_name: string; email: string; dane: number }>(
    tx, `SELECT user_id, display_name, email, dane FROM ${t.notification_users}`, 'user_id', userIds,
  )) {
    memory.users.set(row.user_id, { displayName: row.display_name, email: row.email, dane: Number(row.dane) === 1 });
  }

  for (const event of events) memory.apply(event);

  // What the segment writes, all inserts.
  await insertRows(tx, `INSERT INTO ${t.notification_users} (user_id, display_name, email, dane)`, 4, added.users, 'ON CONFLICT (user_id) DO NOTHING');
  await insertRows(tx, `INSERT INTO ${t.notification_spaces} (space_id, visibility)`, 2, added.spaces, 'ON CONFLICT (space_id) DO NOTHING');
  await insertRows(tx, `INSERT INTO ${t.notification_members} (space_id, user_id)`, 2, [...added.members.values()], 'ON CONFLICT (space_id, user_id) DO NOTHING');
  await insertRows(tx, `INSERT INTO ${t.notification_topics} (topic_id, space_id, author_id, title)`, 4, added.topics, 'ON CONFLICT (topic_id) DO NOTHING');
  await insertRows(
    tx,
    `INSERT INTO ${t.notification_participants} (topic_id, user_id)`,
    2,
    [...added.participants.values()],
    'ON CONFLICT (topic_id, user_id) DO NOTHING',
  );
  await insertRows(tx, `INSERT INTO ${t.notification_mentions} (post_id, user_id)`, 2, [...added.mentions.values()], 'ON CONFLICT (post_id, user_id) DO NOTHING');
  await writeNotifications(memory, tx, t, 'ON CONFLICT (position, user_id) DO NOTHING');
}

/** `[key, value]` pairs of a map of sets, flattened in key order: rows that land beside the one before. */
function pairsInKeyOrder(map: ReadonlyMap<string, ReadonlySet<string>>): SqlValue[][] {
  return [...map.keys()].sort(inKeyOrder).flatMap((key) => [...map.get(key)!].sort(inKeyOrder).map((value) => [key, value]));
}

/**
 * A rebuild's replay of the notifications from position 0 into empty tables (Projection.replayFold):
 * every fact they decide on held in memory over the whole log (NotificationsMemory), so no batch
 * reads anything back (a segment's lookups were a third of this projection's replay); the
 * notifications written batch by batch, the facts once by `finish`. Past `maxHeld` facts it writes
 * them and goes on as applyBatch, which reads them back: a larger académie's replay does not run
 * out of memory.
 */
export class NotificationsFold implements ReplayFold<NotificationsTables> {
  private memory: NotificationsMemory | undefined = new NotificationsMemory();

  constructor(
    private readonly apply: Apply,
    private readonly maxHeld = Number.POSITIVE_INFINITY,
  ) {}

  async applyBatch(events: readonly RecordedEvent[], tx: SqlExecutor, t: Tables): Promise<void> {
    const memory = this.memory;
    if (!memory) return applyNotificationsBatch(events, tx, t, this.apply);
    for (const event of events) {
      if (!handled(event)) continue;
      if (event.type === 'PostDeleted') {
        // What it pointed at is gone (see `apply`): rare, so the rows go first, then the delete.
        await writeNotifications(memory, tx, t, '');
        await tx.execute(`DELETE FROM ${t.notifications} WHERE post_id = $1`, [(event.data as { postId: string }).postId]);
        continue;
      }
      memory.apply(event);
    }
    await writeNotifications(memory, tx, t, '');
    if (memory.held > this.maxHeld) await this.finish(tx, t);
  }

  /** Writes the facts held (into empty tables: plain inserts) and forgets them; later batches go through applyBatch. */
  async finish(tx: SqlExecutor, t: Tables): Promise<void> {
    const memory = this.memory;
    if (!memory) return;
    this.memory = undefined;
    await writeNotifications(memory, tx, t, '');
    const keys = <T>(map: ReadonlyMap<string, T | null>): string[] => [...map.keys()].filter((key) => map.get(key) !== null).sort(inKeyOrder);
    await insertRows(
      tx,
      `INSERT INTO ${t.notification_users} (user_id, display_name, email, dane)`,
      4,
      keys(memory.users).map((id) => {
        const user = memory.users.get(id)!;
        return [id, user.displayName, user.email, user.dane ? 1 : 0];
      }),
      '',
    );
    await insertRows(tx, `INSERT INTO ${t.notification_spaces} (space_id, visibility)`, 2, keys(memory.spaces).map((id) => [id, memory.spaces.get(id)!]), '');
    await insertRows(tx, `INSERT INTO ${t.notification_members} (space_id, user_id)`, 2, pairsInKeyOrder(memory.members), '');
    await insertRows(
      tx,
      `INSERT INTO ${t.notification_topics} (topic_id, space_id, author_id, title)`,
      4,
      keys(memory.topics).map((id) => {
        const topic = memory.topics.get(id)!;
        return [id, topic.spaceId, topic.authorId, topic.title];
      }),
      '',
    );
    await insertRows(tx, `INSERT INTO ${t.notification_participants} (topic_id, user_id)`, 2, pairsInKeyOrder(memory.participants), '');
    await insertRows(tx, `INSERT INTO ${t.notification_mentions} (post_id, user_id)`, 2, pairsInKeyOrder(memory.mentions), '');
    await insertRows(tx, `INSERT INTO ${t.notification_marks} (user_id, read_up_to)`, 2, [...memory.marks.keys()].sort(inKeyOrder).map((id) => [id, memory.marks.get(id)!]), '');
  }
}
