import { type Actor, type Decider, type DomainCommand, DomainError, requireMarkdown, requireText, type SpaceRights } from '#ruche/domain-kit';
import { entryVisibility, mayEditEntry, mayPromoteTopic } from './faq-entry.access.js';
import {
  evolveFaqEntry,
  FAQ_CATEGORY_MAX,
  FAQ_DEFAULT_CATEGORY,
  FAQ_DEFAULT_ORDER,
  FAQ_EVENT_SCHEMA_VERSIONS,
  FAQ_ORDER_MAX,
  FAQ_ORDER_MIN,
  FAQ_QUESTION_MAX,
  type FaqEntry,
  type FaqEntryState,
  type FaqEvent,
  initialFaqEntryState,
} from './faq-entry.js';

/*
 * Every command carries `rights`: the actor's SpaceRights in the entry's space, computed by the
 * handler from the space's stream (SpaceAccess.forCommand), so this decider never loads a space.
 */

/** A contributor drafts a new entry in a space. `category` defaults to FAQ_DEFAULT_CATEGORY. */
export type DraftFaqEntry = DomainCommand<
  'DraftFaqEntry',
  { entryId: string; spaceId: string; rights: SpaceRights; question: unknown; answer: unknown; category?: unknown }
>;

/**
 * PATCH: absent fields stay. question, answer, category: the author while draft, managers always;
 * order: managers only.
 */
export type EditFaqEntry = DomainCommand<
  'EditFaqEntry',
  { rights: SpaceRights; question?: unknown; answer?: unknown; category?: unknown; order?: unknown }
>;

/** Managers publish a draft: every reader of the space sees it. */
export type PublishFaqEntry = DomainCommand<'PublishFaqEntry', { rights: SpaceRights }>;

/** Managers take a published entry back to draft. */
export type UnpublishFaqEntry = DomainCommand<'UnpublishFaqEntry', { rights: SpaceRights }>;

/**
 * What the handler found of the topic to promote (from the forums context): its title, its
 * author, and its solution, whose body is null when that post was deleted.
 */
export interface TopicToPromote {
  topicId: string;
  spaceId: string;
  title: string;
  authorId: string;
  solution?: { postId: string; body: string | null };
}

/**
 * A solved topic becomes a draft entry: question = the topic's title, answer = the solution's
 * body, linked back with `fromTopicId`. `topic` is undefined when the topic does not exist;
 * `rights` are the actor's in the topic's space.
 */
export type PromoteTopicToFaq = DomainCommand<
  'PromoteTopicToFaq',
  { entryId: string; rights: SpaceRights; topic: TopicToPromote | undefined; category?: unknown }
>;

export type FaqCommand = DraftFaqEntry | EditFaqEntry | PublishFaqEntry | UnpublishFaqEntry | PromoteTopicToFaq;

export type FaqCommandType = FaqCommand['type'];

const parseQuestion = (value: unknown): string => requireText(value, 'question', { min: 1, max: FAQ_QUESTION_MAX });
const parseAnswer = (value: unknown): string => requireMarkdown(value, 'answer');
const parseCategory = (value: unknown): string => requireText(value, 'category', { min: 1, max: FAQ_CATEGORY_MAX });

function parseOrder(value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < FAQ_ORDER_MIN || value > FAQ_ORDER_MAX) {
    throw DomainError.validation('order', `order must be an integer from ${FAQ_ORDER_MIN} to ${FAQ_ORDER_MAX}`);
  }
  return value;
}

function actorOf(command: FaqCommand): Actor {
  const actor = command.metadata.actor;
  if (!actor?.userId) throw DomainError.unauthenticated();
  return actor;
}

const stampOf = (command: FaqCommand, actor: Actor, entry: { entryId: string; spaceId: string }) => ({
  entryId: entry.entryId,
  spaceId: entry.spaceId,
  at: command.metadata.now.toISOString(),
  by: actor.userId,
});

/** NOT_FOUND for no entry or one the actor may not see (a draft of someone else), FORBIDDEN when they may not read the space. */
function requireVisibleEntry(state: FaqEntryState, rights: SpaceRights, actor: Actor): FaqEntry {
  if (state.status === 'none') throw DomainError.notFound('FAQ entry not found');
  const visibility = entryVisibility(state, rights, actor.userId);
  if (visibility === 'hidden') throw DomainError.notFound('FAQ entry not found');
  if (visibility === 'forbidden') throw DomainError.forbidden('Only members read this space');
  return state;
}

function requireManage(rights: SpaceRights, action: string): void {
  if (!rights.manage) throw DomainError.forbidden(`Only the managers of this space may ${action} an FAQ entry`);
}

function draftFaqEntry(command: DraftFaqEntry, state: FaqEntryState): FaqEvent[] {
  const actor = actorOf(command);
  const { entryId, spaceId, rights } = command.data;
  if (!rights.mayKnow) throw DomainError.notFound('Space not found');
  if (!rights.read) throw DomainError.forbidden('Only members read this space');
  if (!rights.contribute) throw DomainError.forbidden('Only the contributors and managers of this space may draft an FAQ entry');
  const question = parseQuestion(command.data.question);
  const answer = parseAnswer(command.data.answer);
  const category = command.data.category === undefined || command.data.category === null ? FAQ_DEFAULT_CATEGORY : parseCategory(command.data.category);
  if (state.status !== 'none') throw DomainError.conflict('This FAQ entry already exists', { entryId: state.entryId });
  return [
    {
      type: 'FaqEntryDrafted',
      data: { question, answer, category, order: FAQ_DEFAULT_ORDER, ...stampOf(command, actor, { entryId, spaceId }) },
    },
  ];
}

function editFaqEntry(command: EditFaqEntry, state: FaqEntryState): FaqEvent[] {
  const actor = actorOf(command);
  const { rights } = command.data;
  const entry = requireVisibleEntry(state, rights, actor);
  const changesText = command.data.question !== undefined || command.data.answer !== undefined || command.data.category !== undefined;
  if (changesText && !mayEditEntry(entry, rights, actor.userId)) {
    throw DomainError.forbidden(
      entry.authorId === actor.userId && rights.contribute
        ? 'A published entry is edited by the managers of the space'
        : 'Only the author of a draft and the managers of the space may edit this FAQ entry',
    );
  }
  if (command.data.order !== undefined) requireManage(rights, 'order');
  const question = command.data.question === undefined ? undefined : parseQuestion(command.data.question);
  const answer = command.data.answer === undefined ? undefined : parseAnswer(command.data.answer);
  const category = command.data.category === undefined ? undefined : parseCategory(command.data.category);
  const order = command.data.order === undefined ? undefined : parseOrder(command.data.order);

  const stamp = stampOf(command, actor, entry);
  const events: FaqEvent[] = [];
  const edited = {
    ...(question !== undefined && question !== entry.question ? { question } : {}),
    ...(answer !== undefined && answer !== entry.answer ? { answer } : {}),
    ...(category !== undefined && category !== entry.category ? { category } : {}),
  };
  if (Object.keys(edited).length > 0) events.push({ type: 'FaqEntryEdited', data: { ...edited, ...stamp } });
  if (order !== undefined && order !== entry.order) events.push({ type: 'FaqEntryMoved', data: { order, ...stamp } });
  return events;
}

function publishFaqEntry(command: PublishFaqEntry, state: FaqEntryState): FaqEvent[] {
  const actor = actorOf(command);
  const entry = requireVisibleEntry(state, command.data.rights, actor);
  requireManage(command.data.rights, 'publish');
  if (entry.status === 'published') return [];
  return [{ type: 'FaqEntryPublished', data: { firstTime: !entry.publishedBefore, ...stampOf(command, actor, entry) } }];
}

function unpublishFaqEntry(command: UnpublishFaqEntry, state: FaqEntryState): FaqEvent[] {
  const actor = actorOf(command);
  const entry = requireVisibleEntry(state, command.data.rights, actor);
  requireManage(command.data.rights, 'unpublish');
  if (entry.status === 'draft') return [];
  return [{ type: 'FaqEntryUnpublished', data: stampOf(command, actor, entry) }];
}

function promoteTopicToFaq(command: PromoteTopicToFaq, state: FaqEntryState): FaqEvent[] {
  const actor = actorOf(command);
  const { entryId, rights, topic } = command.data;
  if (!topic || !rights.mayKnow) throw DomainError.notFound('Topic not found');
  if (!rights.read) throw DomainError.forbidden('Only members read this space');
  if (!mayPromoteTopic(topic.authorId, rights, actor.userId)) {
    throw DomainError.forbidden('Only the managers of this space and the author of the topic may promote it to the FAQ');
  }
  const category = command.data.category === undefined || command.data.category === null ? FAQ_DEFAULT_CATEGORY : parseCategory(command.data.category);
  if (!topic.solution) throw DomainError.conflict('This topic has no solution yet: choose one before promoting it to the FAQ');
  if (topic.solution.body === null) throw DomainError.conflict('The solution of this topic was deleted: choose another one first');
  // The title and the body were valid in the forum; they are checked again against the FAQ's limits.
  const question = parseQuestion(topic.title);
  const answer = parseAnswer(topic.solution.body);
  if (state.status !== 'none') throw DomainError.conflict('This topic is already in the FAQ', { entryId: state.entryId });
  return [
    {
      type: 'FaqEntryDrafted',
      data: {
        question,
        answer,
        category,
        order: FAQ_DEFAULT_ORDER,
        fromTopicId: topic.topicId,
        ...stampOf(command, actor, { entryId, spaceId: topic.spaceId }),
      },
    },
  ];
}

/**
 * Decides an FAQ command against the entry's state: throws a DomainError before building any
 * event, returns [] when there is nothing to do. Errors come in this order: NOT_FOUND (no entry,
 * a draft the actor may not see, a space they may not know), FORBIDDEN, VALIDATION, CONFLICT.
 */
export function decideFaqEntry(command: FaqCommand, state: FaqEntryState): FaqEvent[] {
  switch (command.type) {
    case 'DraftFaqEntry':
      return draftFaqEntry(command, state);
    case 'EditFaqEntry':
      return editFaqEntry(command, state);
    case 'PublishFaqEntry':
      return publishFaqEntry(command, state);
    case 'UnpublishFaqEntry':
      return unpublishFaqEntry(command, state);
    case 'PromoteTopicToFaq':
      return promoteTopicToFaq(command, state);
    default: {
      const _exhaustive: never = command;
      throw new Error(`Unknown FAQ command ${(command as { type: string }).type}`);
    }
  }
}

/** The `faq-<entryId>` stream's decider. */
export const faqEntryDecider: Decider<FaqCommand, FaqEvent, FaqEntryState> = {
  decide: decideFaqEntry,
  evolve: evolveFaqEntry,
  initialState: initialFaqEntryState,
  eventSchemaVersions: FAQ_EVENT_SCHEMA_VERSIONS,
};
