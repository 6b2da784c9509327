import type { DomainEvent, EventSchemaVersions } from '#ruche/domain-kit';
import { PersistentMap } from './persistent-map.js';

/** A forum topic and its posts live in one stream `topic-<topicId>`. */
export const TOPIC_STREAM_CATEGORY = 'topic';

export function topicStreamName(topicId: string): string {
  return `${TOPIC_STREAM_CATEGORY}-${topicId}`;
}

export const TOPIC_TITLE_MAX = 200;
/** Tags are short words: letters (accents included), digits, '-' and '_', lower-cased. */
export const TAG_MAX_LENGTH = 30;
export const TAGS_MAX = 10;

/** The reactions a post may get; anything else is refused. */
export const REACTION_EMOJIS = ['👍', '❤️', '🎉', '😄', '🤔', '👀'] as const;
export type ReactionEmoji = (typeof REACTION_EMOJIS)[number];

/** One consultation per person and topic in this window: reloads do not flood the log. */
export const CONSULTATION_WINDOW_MS = 30 * 60 * 1000;

/**
 * Every topic event says which topic and space it belongs to, when (`at`, ISO 8601 UTC) and who
 * (`by`, the actor's user id), so that indicators can count them without another read.
 */
interface Stamp {
  topicId: string;
  spaceId: string;
  at: string;
  by: string;
}

/**
 * A topic was opened by `by` with its opening post `postId` (the post's version 1 is `body`).
 * `tags` are lower-cased, unique, in the order given.
 */
export type TopicOpened = DomainEvent<'TopicOpened', { postId: string; title: string; body: string; tags: string[] } & Stamp>;

/** `by` replied (version 1 of post `postId`); `replyTo` is a post of the same topic being quoted. */
export type ReplyPosted = DomainEvent<'ReplyPosted', { postId: string; body: string; replyTo?: string } & Stamp>;

/**
 * Post `postId` (opening post or reply) got a new body, its version number `version` (2 for the
 * first edit); earlier versions stay in the log and in the versions read model.
 */
export type PostEdited = DomainEvent<'PostEdited', { postId: string; body: string; version: number } & Stamp>;

/**
 * Post `postId` was deleted: the thread keeps a "message supprimé" placeholder, and no answer
 * shows its body (any version) again.
 */
export type PostDeleted = DomainEvent<'PostDeleted', { postId: string } & Stamp>;

export type TopicPinned = DomainEvent<'TopicPinned', Stamp>;
export type TopicUnpinned = DomainEvent<'TopicUnpinned', Stamp>;
/** Nobody may reply to a locked topic. */
export type TopicLocked = DomainEvent<'TopicLocked', Stamp>;
export type TopicUnlocked = DomainEvent<'TopicUnlocked', Stamp>;

/** Reply `postId` is the topic's solution (replacing any earlier one). */
export type SolutionChosen = DomainEvent<'SolutionChosen', { postId: string } & Stamp>;
/** The topic has no solution any more: its solution post `postId` was deleted. */
export type SolutionCleared = DomainEvent<'SolutionCleared', { postId: string } & Stamp>;

/** `by` added `emoji` to post `postId` (one per person, post and emoji). */
export type ReactionAdded = DomainEvent<'ReactionAdded', { postId: string; emoji: ReactionEmoji } & Stamp>;
export type ReactionRemoved = DomainEvent<'ReactionRemoved', { postId: string; emoji: ReactionEmoji } & Stamp>;

/**
 * A consultation: `userId` (= `by`) read the topic. At most one per person and topic every
 * CONSULTATION_WINDOW_MS, so indicators count these as views. Also moves the user's read mark
 * to everything posted so far.
 */
export type TopicRead = DomainEvent<'TopicRead', { userId: string } & Stamp>;

/**
 * `userId` (= `by`) read the topic again within CONSULTATION_WINDOW_MS of their last
 * consultation, after new posts: moves their read mark (clears `unread`) and is NOT a consultation.
 */
export type TopicCaughtUp = DomainEvent<'TopicCaughtUp', { userId: string } & Stamp>;

export type TopicEvent =
  | TopicOpened
  | ReplyPosted
  | PostEdited
  | PostDeleted
  | TopicPinned
  | TopicUnpinned
  | TopicLocked
  | TopicUnlocked
  | SolutionChosen
  | SolutionCleared
  | ReactionAdded
  | ReactionRemoved
  | TopicRead
  | TopicCaughtUp;

export type TopicEventType = TopicEvent['type'];

export const TOPIC_EVENT_SCHEMA_VERSIONS: EventSchemaVersions<TopicEventType> = {
  TopicOpened: 1,
  ReplyPosted: 1,
  PostEdited: 1,
  PostDeleted: 1,
  TopicPinned: 1,
  TopicUnpinned: 1,
  TopicLocked: 1,
  TopicUnlocked: 1,
  SolutionChosen: 1,
  SolutionCleared: 1,
  ReactionAdded: 1,
  ReactionRemoved: 1,
  TopicRead: 1,
  TopicCaughtUp: 1,
};

/** Every event type of a `topic-` stream, for the API layer to register. */
export const topicEventTypes = Object.keys(TOPIC_EVENT_SCHEMA_VERSIONS) as readonly TopicEventType[];

export function isTopicEvent(event: { type: string }): event is TopicEvent {
  return (topicEventTypes as readonly string[]).includes(event.type);
}

/** What a decision needs to know of one post: no body, so that long topics stay small. */
export interface PostFacts {
  authorId: string;
  /** true for the topic's opening post. */
  opening: boolean;
  deleted: boolean;
  /** The current version number (1 until the first edit). */
  version: number;
  /** emoji → the users who added it. */
  reactions: ReadonlyMap<ReactionEmoji, ReadonlySet<string>>;
}

/** A user's reading of the topic. */
export interface ReadMark {
  /** When their last consultation (TopicRead) was recorded. */
  consultedAt?: string;
  /** How many posts the topic had when they last read it (or posted). */
  postsSeen: number;
}

/** A topic as its stream tells it. */
export interface Topic {
  status: 'open';
  topicId: string;
  spaceId: string;
  authorId: string;
  openingPostId: string;
  pinned: boolean;
  locked: boolean;
  solutionPostId?: string;
  /** Posts ever written (opening post included, deleted ones too). */
  postCount: number;
  posts: PersistentMap<PostFacts>;
  reads: PersistentMap<ReadMark>;
}

export type TopicState = { status: 'none' } | Topic;

export function initialTopicState(): TopicState {
  return { status: 'none' };
}

const newPost = (authorId: string, opening: boolean): PostFacts => ({ authorId, opening, deleted: false, version: 1, reactions: new Map() });

function withPost(topic: Topic, postId: string, change: (post: PostFacts) => PostFacts): Topic {
  const post = topic.posts.get(postId);
  return post ? { ...topic, posts: topic.posts.set(postId, change(post)) } : topic;
}

function withReaction(post: PostFacts, emoji: ReactionEmoji, userId: string, present: boolean): PostFacts {
  const users = new Set(post.reactions.get(emoji) ?? []);
  if (present) users.add(userId);
  else users.delete(userId);
  const reactions = new Map(post.reactions);
  if (users.size > 0) reactions.set(emoji, users);
  else reactions.delete(emoji);
  return { ...post, reactions };
}

/** Posting implies having read the topic so far. */
const seenByPoster = (topic: Topic, userId: string, postsSeen: number): PersistentMap<ReadMark> =>
  topic.reads.set(userId, { ...topic.reads.get(userId), postsSeen });

export function evolveTopic(state: TopicState, event: TopicEvent): TopicState {
  if (event.type === 'TopicOpened') {
    const { topicId, spaceId, postId, by } = event.data;
    return {
      status: 'open',
      topicId,
      spaceId,
      authorId: by,
      openingPostId: postId,
      pinned: false,
      locked: false,
      postCount: 1,
      posts: PersistentMap.empty<PostFacts>().set(postId, newPost(by, true)),
      reads: PersistentMap.empty<ReadMark>().set(by, { postsSeen: 1 }),
    };
  }
  // Anything before TopicOpened is not a topic's history: ignore it rather than invent a topic.
  if (state.status !== 'open') return state;
  switch (event.type) {
    case 'ReplyPosted': {
      const postCount = state.postCount + 1;
      return {
        ...state,
        postCount,
        posts: state.posts.set(event.data.postId, newPost(event.data.by, false)),
        reads: seenByPoster(state, event.data.by, postCount),
      };
    }
    case 'PostEdited':
      return withPost(state, event.data.postId, (post) => ({ ...post, version: event.data.version }));
    case 'PostDeleted':
      return withPost(state, event.data.postId, (post) => ({ ...post, deleted: true }));
    case 'TopicPinned':
      return { ...state, pinned: true };
    case 'TopicUnpinned':
      return { ...state, pinned: false };
    case 'TopicLocked':
      return { ...state, locked: true };
    case 'TopicUnlocked':
      return { ...state, locked: false };
    case 'SolutionChosen':
      return { ...state, solutionPostId: event.data.postId };
    case 'SolutionCleared': {
      const { solutionPostId: _cleared, ...rest } = state;
      return rest;
    }
    case 'ReactionAdded':
      return withPost(state, event.data.postId, (post) => withReaction(post, event.data.emoji, event.data.by, true));
    case 'ReactionRemoved':
      return withPost(state, event.data.postId, (post) => withReaction(post, event.data.emoji, event.data.by, false));
    case 'TopicRead':
      return { ...state, reads: state.reads.set(event.data.userId, { consultedAt: event.data.at, postsSeen: state.postCount }) };
    case 'TopicCaughtUp':
      return { ...state, reads: seenByPoster(state, event.data.userId, state.postCount) };
    default: {
      // Unknown types (from a newer writer) leave the state as it is.
      const _exhaustive: never = event;
      return state;
    }
  }
}
