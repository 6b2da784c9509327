import type { DomainEvent, EventSchemaVersions } from '#ruche/domain-kit';

/** FAQ entries live in streams `faq-<entryId>`, one entry per stream. */
export const FAQ_STREAM_CATEGORY = 'faq';

export function faqStreamName(entryId: string): string {
  return `${FAQ_STREAM_CATEGORY}-${entryId}`;
}

export const FAQ_QUESTION_MAX = 300;
export const FAQ_CATEGORY_MAX = 60;
/** The category of an entry drafted without one. */
export const FAQ_DEFAULT_CATEGORY = 'Général';
/**
 * An entry's place within its category: lower first, ties in creation order. Every entry starts
 * at 0, so a category reads in creation order until a manager moves an entry (to -1 to put it
 * first, to 10 to put it last…). No renumbering of the others is ever needed.
 */
export const FAQ_ORDER_MIN = -1_000_000;
export const FAQ_ORDER_MAX = 1_000_000;
export const FAQ_DEFAULT_ORDER = 0;

/** draft: seen by its author, the space's managers and the dane; published: by every reader of the space. */
export const FAQ_STATUSES = ['draft', 'published'] as const;
export type FaqStatus = (typeof FAQ_STATUSES)[number];

/** Every FAQ event names its entry and space, and says when (`at`, ISO 8601 UTC) and who (`by`, a user id). */
interface Stamp {
  entryId: string;
  spaceId: string;
  at: string;
  by: string;
}

/**
 * A new entry, as a draft. `by` is its author. `question` and `category` are trimmed,
 * `answer` is Markdown as typed. `fromTopicId` is set when a solved forum topic was promoted
 * (question from the topic's title, answer from its solution's body).
 */
export type FaqEntryDrafted = DomainEvent<
  'FaqEntryDrafted',
  { question: string; answer: string; category: string; order: number; fromTopicId?: string } & Stamp
>;

/** Some of question, answer and category changed; only the changed fields are present. */
export type FaqEntryEdited = DomainEvent<'FaqEntryEdited', { question?: string; answer?: string; category?: string } & Stamp>;

/**
 * A manager published the entry: every reader of the space sees it. `firstTime` is false when it
 * is published again after an unpublication (indicators count first publications).
 */
export type FaqEntryPublished = DomainEvent<'FaqEntryPublished', { firstTime: boolean } & Stamp>;

/** A manager took the entry back to draft. */
export type FaqEntryUnpublished = DomainEvent<'FaqEntryUnpublished', Stamp>;

/** A manager moved the entry within its category (see FAQ_DEFAULT_ORDER). */
export type FaqEntryMoved = DomainEvent<'FaqEntryMoved', { order: number } & Stamp>;

export type FaqEvent = FaqEntryDrafted | FaqEntryEdited | FaqEntryPublished | FaqEntryUnpublished | FaqEntryMoved;

export type FaqEventType = FaqEvent['type'];

export const FAQ_EVENT_SCHEMA_VERSIONS: EventSchemaVersions<FaqEventType> = {
  FaqEntryDrafted: 1,
  FaqEntryEdited: 1,
  FaqEntryPublished: 1,
  FaqEntryUnpublished: 1,
  FaqEntryMoved: 1,
};

/** Every event type of a `faq-` stream. */
export const faqEventTypes = Object.keys(FAQ_EVENT_SCHEMA_VERSIONS) as readonly FaqEventType[];

export function isFaqEvent(event: { type: string }): event is FaqEvent {
  return (faqEventTypes as readonly string[]).includes(event.type);
}

/** An entry as its stream tells it (one current answer: entries are short streams of small texts). */
export interface FaqEntry {
  status: FaqStatus;
  entryId: string;
  spaceId: string;
  authorId: string;
  question: string;
  answer: string;
  category: string;
  order: number;
  fromTopicId?: string;
  /** Was it ever published? */
  publishedBefore: boolean;
}

export type FaqEntryState = { status: 'none' } | FaqEntry;

export function initialFaqEntryState(): FaqEntryState {
  return { status: 'none' };
}

export function evolveFaqEntry(state: FaqEntryState, event: FaqEvent): FaqEntryState {
  if (event.type === 'FaqEntryDrafted') {
    const { entryId, spaceId, question, answer, category, order, fromTopicId, by } = event.data;
    return {
      status: 'draft',
      entryId,
      spaceId,
      authorId: by,
      question,
      answer,
      category,
      order,
      ...(fromTopicId ? { fromTopicId } : {}),
      publishedBefore: false,
    };
  }
  // Anything before FaqEntryDrafted is not an entry's history: ignore it rather than invent one.
  if (state.status === 'none') return state;
  switch (event.type) {
    case 'FaqEntryEdited': {
      const { question, answer, category } = event.data;
      return {
        ...state,
        ...(question !== undefined ? { question } : {}),
        ...(answer !== undefined ? { answer } : {}),
        ...(category !== undefined ? { category } : {}),
      };
    }
    case 'FaqEntryPublished':
      return { ...state, status: 'published', publishedBefore: true };
    case 'FaqEntryUnpublished':
      return { ...state, status: 'draft' };
    case 'FaqEntryMoved':
      return { ...state, order: event.data.order };
    default: {
      // Unknown types (from a newer writer) leave the state as it is.
      const _exhaustive: never = event;
      return state;
    }
  }
}
