import { DOCUMENT_STREAM_CATEGORY, type DocumentEvent } from '#ruche/documents';
import { FAQ_STREAM_CATEGORY, type FaqEvent } from '#ruche/faq';
import { TOPIC_STREAM_CATEGORY, type TopicEvent } from '#ruche/forums';
import { SPACE_STREAM_CATEGORY, type SpaceEvent } from '#ruche/spaces';
import type { FigureField } from './figures.js';

/*
 * Which events count, and for which figure: the definitions of docs/indicators.md, in code.
 * Each event counts for at most one of the counted fields, on the Paris day of its own `at`.
 */

/** The figures that are plain counts of events. */
export const COUNTED_FIELDS = ['topics', 'replies', 'newMembers', 'documents', 'revisions', 'faqPublished', 'views'] as const satisfies readonly FigureField[];
export type CountedField = (typeof COUNTED_FIELDS)[number];

/** Events that make their author a contributor, and a space not dormant. */
export const CONTRIBUTION_FIELDS = ['topics', 'replies', 'documents', 'revisions', 'faqPublished'] as const satisfies readonly CountedField[];
export type ContributionField = (typeof CONTRIBUTION_FIELDS)[number];

export function isContribution(field: CountedField): field is ContributionField {
  return (CONTRIBUTION_FIELDS as readonly string[]).includes(field);
}

/** One event as a figure counts it. */
export interface CountedFact {
  field: CountedField;
  spaceId: string;
  /**
   * The person it is about: the author of a contribution, the new member, the reader of a
   * consultation. Distinct counts (contributors, uniqueVisitors) count these.
   */
  userId: string;
  /** The event's own time (ISO 8601 UTC), which fixes its day. */
  at: string;
}

/** The event as the log recorded it, as far as counting needs. */
export interface LoggedEvent {
  type: string;
  data: unknown;
  streamName: string;
}

const categoryOf = (streamName: string): string => streamName.slice(0, streamName.indexOf('-'));

/**
 * What one event counts for, or undefined when it counts for no figure. Edits, deletions,
 * reactions, pins, locks, solutions, role changes, departures, FAQ drafts and edits, document
 * retitles and re-tags, and TopicCaughtUp (a read mark, not a consultation) count for nothing.
 */
export function countedFactOf(event: LoggedEvent): CountedFact | undefined {
  switch (categoryOf(event.streamName)) {
    case SPACE_STREAM_CATEGORY: {
      const e = event as SpaceEvent;
      switch (e.type) {
        case 'MemberAdded':
        case 'MemberJoined':
        case 'JoinRequestApproved':
          return { field: 'newMembers', spaceId: e.data.spaceId, userId: e.data.userId, at: e.data.at };
        default:
          return undefined;
      }
    }
    case TOPIC_STREAM_CATEGORY: {
      const e = event as TopicEvent;
      switch (e.type) {
        case 'TopicOpened':
          return { field: 'topics', spaceId: e.data.spaceId, userId: e.data.by, at: e.data.at };
        case 'ReplyPosted':
          return { field: 'replies', spaceId: e.data.spaceId, userId: e.data.by, at: e.data.at };
        case 'TopicRead':
          return { field: 'views', spaceId: e.data.spaceId, userId: e.data.userId, at: e.data.at };
        default:
          return undefined;
      }
    }
    case DOCUMENT_STREAM_CATEGORY: {
      const e = event as DocumentEvent;
      switch (e.type) {
        case 'DocumentCreated':
          return { field: 'documents', spaceId: e.data.spaceId, userId: e.data.by, at: e.data.at };
        case 'DocumentRevised':
          return { field: 'revisions', spaceId: e.data.spaceId, userId: e.data.by, at: e.data.at };
        case 'DocumentRead':
          return { field: 'views', spaceId: e.data.spaceId, userId: e.data.userId, at: e.data.at };
        default:
          return undefined;
      }
    }
    case FAQ_STREAM_CATEGORY: {
      const e = event as FaqEvent;
      // Published again after an unpublication: the same entry, counted once.
      if (e.type === 'FaqEntryPublished' && e.data.firstTime) {
        return { field: 'faqPublished', spaceId: e.data.spaceId, userId: e.data.by, at: e.data.at };
      }
      return undefined;
    }
    default:
      return undefined;
  }
}
