import { type Actor, type Decider, type DomainCommand, DomainError, requireMarkdown, requireText, type SpaceRights, textLength } from '#ruche/domain-kit';
import { mayChangePost, mayChooseSolution, requireContributor, requireManager, requireReadableTopic } from './topic.access.js';
import {
  CONSULTATION_WINDOW_MS,
  evolveTopic,
  initialTopicState,
  REACTION_EMOJIS,
  TAG_MAX_LENGTH,
  TAGS_MAX,
  TOPIC_EVENT_SCHEMA_VERSIONS,
  TOPIC_TITLE_MAX,
  type PostFacts,
  type ReactionEmoji,
  type Topic,
  type TopicEvent,
  type TopicState,
} from './topic.js';

/**
 * Every topic command carries the actor's rights in the topic's space, computed by the handler
 * from the space's stream (SpaceAccess.forCommand), so the decider applies the space's rules
 * without loading the space.
 */
interface WithRights {
  rights: SpaceRights;
}

/** Opens a topic in `spaceId` with its opening post `postId` (contributors). */
export type OpenTopic = DomainCommand<
  'OpenTopic',
  { topicId: string; spaceId: string; postId: string; title: unknown; body: unknown; tags?: unknown } & WithRights
>;
/** Replies to the topic; `replyTo` quotes a post of the same topic (contributors; never in a locked topic). */
export type PostReply = DomainCommand<'PostReply', { postId: string; body: unknown; replyTo?: string | null } & WithRights>;
/** A new version of a post's body (its author or a manager). */
export type EditPost = DomainCommand<'EditPost', { postId: string; body: unknown } & WithRights>;
/** Deletes a post, leaving a placeholder (its author or a manager). */
export type DeletePost = DomainCommand<'DeletePost', { postId: string } & WithRights>;
export type PinTopic = DomainCommand<'PinTopic', WithRights>;
export type UnpinTopic = DomainCommand<'UnpinTopic', WithRights>;
export type LockTopic = DomainCommand<'LockTopic', WithRights>;
export type UnlockTopic = DomainCommand<'UnlockTopic', WithRights>;
/** Makes reply `postId` the topic's solution (the topic's author or a manager). */
export type ChooseSolution = DomainCommand<'ChooseSolution', { postId: unknown } & WithRights>;
export type AddReaction = DomainCommand<'AddReaction', { postId: string; emoji: unknown } & WithRights>;
export type RemoveReaction = DomainCommand<'RemoveReaction', { postId: string; emoji: unknown } & WithRights>;
/** The actor has read the topic up to now (anyone who may read the space). */
export type ReadTopic = DomainCommand<'ReadTopic', WithRights>;

export type TopicCommand =
  | OpenTopic
  | PostReply
  | EditPost
  | DeletePost
  | PinTopic
  | UnpinTopic
  | LockTopic
  | UnlockTopic
  | ChooseSolution
  | AddReaction
  | RemoveReaction
  | ReadTopic;

export type TopicCommandType = TopicCommand['type'];

const TAG = /^[\p{L}\p{N}][\p{L}\p{N}_-]*$/u;

/**
 * Tags from a command: a list of at most TAGS_MAX short words (1–30 letters, digits, '-' or '_',
 * starting with a letter or digit), trimmed, lower-cased and de-duplicated in the order given.
 */
export function parseTags(value: unknown, field = 'tags'): string[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw DomainError.validation(field, `${field} must be a list of short words`);
  const tags: string[] = [];
  for (const raw of value) {
    const tag = typeof raw === 'string' ? raw.trim().normalize('NFC').toLowerCase() : '';
    if (!TAG.test(tag) || textLength(tag) > TAG_MAX_LENGTH) {
      throw DomainError.validation(
        field,
        `${field}: ${JSON.stringify(raw)} is not a short word (1 to ${TAG_MAX_LENGTH} letters, digits, '-' or '_')`,
      );
    }
    if (!tags.includes(tag)) tags.push(tag);
  }
  if (tags.length > TAGS_MAX) throw DomainError.validation(field, `${field}: at most ${TAGS_MAX} tags`);
  return tags;
}

/** Reactions as people type them: a heart without its emoji variation selector is the same heart. */
export function parseEmoji(value: unknown, field = 'emoji'): ReactionEmoji {
  const emoji = value === '❤' ? '❤️' : value;
  if (typeof emoji === 'string' && (REACTION_EMOJIS as readonly string[]).includes(emoji)) return emoji as ReactionEmoji;
  throw DomainError.validation(field, `${field} must be one of ${REACTION_EMOJIS.join(' ')}`);
}

const parseTitle = (value: unknown): string => requireText(value, 'title', { min: 1, max: TOPIC_TITLE_MAX });

function actorOf(command: TopicCommand): Actor {
  const actor = command.metadata.actor;
  if (!actor?.userId) throw DomainError.unauthenticated();
  return actor;
}

const stamp = (topic: Pick<Topic, 'topicId' | 'spaceId'>, command: TopicCommand, actor: Actor) => ({
  topicId: topic.topicId,
  spaceId: topic.spaceId,
  at: command.metadata.now.toISOString(),
  by: actor.userId,
});

/** A post of this topic, or NOT_FOUND (routes by post id find the topic first, so this is rare). */
function requirePost(topic: Topic, postId: string): PostFacts {
  const post = topic.posts.get(postId);
  if (!post) throw DomainError.notFound('Post not found');
  return post;
}

function openTopic(command: OpenTopic, state: TopicState): TopicEvent[] {
  const actor = actorOf(command);
  const { data } = command;
  if (!data.rights.mayKnow) throw DomainError.notFound('Space not found');
  if (!data.rights.read) throw DomainError.forbidden('Only members read this space');
  requireContributor(data.rights);
  const title = parseTitle(data.title);
  const body = requireMarkdown(data.body, 'body');
  const tags = parseTags(data.tags);
  if (state.status !== 'none') throw DomainError.conflict('This topic already exists');
  return [
    {
      type: 'TopicOpened',
      data: { postId: data.postId, title, body, tags, ...stamp(data, command, actor) },
    },
  ];
}

function postReply(command: PostReply, state: TopicState): TopicEvent[] {
  const actor = actorOf(command);
  const { data } = command;
  const topic = requireReadableTopic(state, data.rights);
  requireContributor(data.rights);
  const body = requireMarkdown(data.body, 'body');
  const replyTo = data.replyTo ?? undefined;
  if (replyTo !== undefined && !topic.posts.has(replyTo)) {
    throw DomainError.validation('replyTo', 'replyTo must name a post of this topic');
  }
  if (topic.locked) throw DomainError.conflict('This topic is locked: nobody may reply');
  if (topic.posts.has(data.postId)) throw DomainError.conflict('This post already exists');
  return [{ type: 'ReplyPosted', data: { postId: data.postId, body, ...(replyTo ? { replyTo } : {}), ...stamp(topic, command, actor) } }];
}

function editPost(command: EditPost, state: TopicState): TopicEvent[] {
  const actor = actorOf(command);
  const { data } = command;
  const topic = requireReadableTopic(state, data.rights);
  const post = requirePost(topic, data.postId);
  if (!mayChangePost(post.authorId, actor.userId, data.rights)) throw DomainError.forbidden('Only its author or a manager may edit this post');
  const body = requireMarkdown(data.body, 'body');
  if (post.deleted) throw DomainError.conflict('This post was deleted: it cannot be edited');
  if (topic.locked && !data.rights.manage) throw DomainError.conflict('This topic is locked: only a manager may edit its posts');
  return [{ type: 'PostEdited', data: { postId: data.postId, body, version: post.version + 1, ...stamp(topic, command, actor) } }];
}

function deletePost(command: DeletePost, state: TopicState): TopicEvent[] {
  const actor = actorOf(command);
  const { data } = command;
  const topic = requireReadableTopic(state, data.rights);
  const post = requirePost(topic, data.postId);
  if (!mayChangePost(post.authorId, actor.userId, data.rights)) throw DomainError.forbidden('Only its author or a manager may delete this post');
  if (post.deleted) return [];
  const meta = stamp(topic, command, actor);
  const events: TopicEvent[] = [{ type: 'PostDeleted', data: { postId: data.postId, ...meta } }];
  if (topic.solutionPostId === data.postId) events.push({ type: 'SolutionCleared', data: { postId: data.postId, ...meta } });
  return events;
}

function moderate(
  command: PinTopic | UnpinTopic | LockTopic | UnlockTopic,
  state: TopicState,
  isAlready: (topic: Topic) => boolean,
  type: 'TopicPinned' | 'TopicUnpinned' | 'TopicLocked' | 'TopicUnlocked',
): TopicEvent[] {
  const actor = actorOf(command);
  const topic = requireReadableTopic(state, command.data.rights);
  requireManager(command.data.rights);
  if (isAlready(topic)) return [];
  return [{ type, data: stamp(topic, command, actor) }];
}

function chooseSolution(command: ChooseSolution, state: TopicState): TopicEvent[] {
  const actor = actorOf(command);
  const { data } = command;
  const topic = requireReadableTopic(state, data.rights);
  if (!mayChooseSolution(topic, actor.userId, data.rights)) {
    throw DomainError.forbidden('Only the topic’s author or a manager may choose its solution');
  }
  const postId = typeof data.postId === 'string' ? data.postId : '';
  const post = topic.posts.get(postId);
  if (!post || post.opening) throw DomainError.validation('postId', 'postId must name a reply of this topic');
  if (post.deleted) throw DomainError.validation('postId', 'postId names a deleted post');
  if (topic.solutionPostId === postId) return [];
  return [{ type: 'SolutionChosen', data: { postId, ...stamp(topic, command, actor) } }];
}

function react(command: AddReaction | RemoveReaction, state: TopicState): TopicEvent[] {
  const actor = actorOf(command);
  const { data } = command;
  const topic = requireReadableTopic(state, data.rights);
  const post = requirePost(topic, data.postId);
  requireContributor(data.rights);
  const emoji = parseEmoji(data.emoji);
  const present = post.reactions.get(emoji)?.has(actor.userId) ?? false;
  const meta = { postId: data.postId, emoji, ...stamp(topic, command, actor) };
  if (command.type === 'RemoveReaction') return present ? [{ type: 'ReactionRemoved', data: meta }] : [];
  if (present) return [];
  if (post.deleted) throw DomainError.conflict('This post was deleted');
  return [{ type: 'ReactionAdded', data: meta }];
}

/**
 * A consultation is recorded at most once per person and topic every 30 minutes. A read within
 * that window still has to clear `unread` when posts came since: it records TopicCaughtUp (a
 * read mark, not a consultation); with nothing new to mark, nothing is written.
 */
function readTopic(command: ReadTopic, state: TopicState): TopicEvent[] {
  const actor = actorOf(command);
  const topic = requireReadableTopic(state, command.data.rights);
  const mark = topic.reads.get(actor.userId);
  const now = command.metadata.now.getTime();
  const meta = { userId: actor.userId, ...stamp(topic, command, actor) };
  if (mark?.consultedAt === undefined || now - Date.parse(mark.consultedAt) >= CONSULTATION_WINDOW_MS) {
    return [{ type: 'TopicRead', data: meta }];
  }
  return mark.postsSeen < topic.postCount ? [{ type: 'TopicCaughtUp', data: meta }] : [];
}

/**
 * Decides a topic command against the topic's state: throws a DomainError before building any
 * event, returns [] when there is nothing to do. Errors come in this order: NOT_FOUND (no topic,
 * or a space the actor may not know), FORBIDDEN, VALIDATION, CONFLICT.
 */
export function decideTopic(command: TopicCommand, state: TopicState): TopicEvent[] {
  switch (command.type) {
    case 'OpenTopic':
      return openTopic(command, state);
    case 'PostReply':
      return postReply(command, state);
    case 'EditPost':
      return editPost(command, state);
    case 'DeletePost':
      return deletePost(command, state);
    case 'PinTopic':
      return moderate(command, state, (t) => t.pinned, 'TopicPinned');
    case 'UnpinTopic':
      return moderate(command, state, (t) => !t.pinned, 'TopicUnpinned');
    case 'LockTopic':
      return moderate(command, state, (t) => t.locked, 'TopicLocked');
    case 'UnlockTopic':
      return moderate(command, state, (t) => !t.locked, 'TopicUnlocked');
    case 'ChooseSolution':
      return chooseSolution(command, state);
    case 'AddReaction':
    case 'RemoveReaction':
      return react(command, state);
    case 'ReadTopic':
      return readTopic(command, state);
    default: {
      const _exhaustive: never = command;
      throw new Error(`Unknown topic command ${(command as { type: string }).type}`);
    }
  }
}

/** The `topic-<id>` stream's decider. */
export const topicDecider: Decider<TopicCommand, TopicEvent, TopicState> = {
  decide: decideTopic,
  evolve: evolveTopic,
  initialState: initialTopicState,
  eventSchemaVersions: TOPIC_EVENT_SCHEMA_VERSIONS,
};
