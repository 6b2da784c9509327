import { DomainError, textLength } from '#ruche/domain-kit';
import { queryWords, type QueryWords } from './french-text.js';

/** What a hit can be: a topic (its title and opening post), a reply, an FAQ entry, a fiche PIX. */
export const SEARCH_TYPES = ['topic', 'post', 'faq', 'document'] as const;
export type SearchType = (typeof SEARCH_TYPES)[number];

/** Longest query accepted, in characters. */
export const SEARCH_QUERY_MAX = 200;

export interface SearchText extends QueryWords {
  /** The query as typed, trimmed. No words (only stop words or punctuation): nothing can match. */
  text: string;
}

/** `q` checked: a string, not blank, at most SEARCH_QUERY_MAX characters; VALIDATION on `q` otherwise. */
export function parseSearchText(q: unknown): SearchText {
  if (typeof q !== 'string' || q.trim() === '') throw DomainError.validation('q', 'q must not be empty');
  const text = q.trim();
  if (textLength(text) > SEARCH_QUERY_MAX) throw DomainError.validation('q', `q must have at most ${SEARCH_QUERY_MAX} characters`);
  return { text, ...queryWords(text) };
}

/** Where a hit leads in the web app. */
export function hitUrl(hit: { type: SearchType; id: string; topicId?: string | null; spaceId: string }): string {
  switch (hit.type) {
    case 'topic':
      return `/topics/${hit.id}`;
    case 'post':
      return `/topics/${hit.topicId}#post-${hit.id}`;
    case 'faq':
      return `/spaces/${hit.spaceId}/faq#faq-${hit.id}`;
    case 'document':
      return `/documents/${hit.id}`;
    default: {
      const _exhaustive: never = hit.type;
      throw new Error(`Unknown hit type ${String(_exhaustive)}`);
    }
  }
}
