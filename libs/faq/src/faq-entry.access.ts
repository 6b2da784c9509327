import type { SpaceRights } from '#ruche/domain-kit';
import type { FaqStatus } from './faq-entry.js';

/*
 * Who may see and do what with an FAQ entry, on top of the space's rights (spaceRights):
 *
 * - a published entry is seen by every reader of its space;
 * - a draft (new, promoted or unpublished) is seen by its author and the space's managers (and
 *   the dane, who manages every space) only; to anyone else it does not exist (404), as a
 *   private space's content does not exist for a non-member;
 * - contributors draft; managers publish, unpublish and order entries;
 * - the author edits their entry while it is a draft (and while they may still contribute);
 *   managers edit any entry, published or not. A published entry is no longer its author's
 *   alone: it speaks for the space.
 * - a solved topic is promoted by the space's managers or by the topic's author (when they may
 *   contribute): the author asked the question and chose or saw the solution chosen.
 */

/** 'hidden': answer 404; 'forbidden': 403 (they know the space but may not read it); 'visible'. */
export type EntryVisibility = 'hidden' | 'forbidden' | 'visible';

export function entryVisibility(entry: { status: FaqStatus; authorId: string }, rights: SpaceRights, userId: string): EntryVisibility {
  if (!rights.mayKnow) return 'hidden';
  if (entry.status === 'draft' && !rights.manage && entry.authorId !== userId) return 'hidden';
  return rights.read ? 'visible' : 'forbidden';
}

/** May the actor change the entry's question, answer or category? */
export function mayEditEntry(entry: { status: FaqStatus; authorId: string }, rights: SpaceRights, userId: string): boolean {
  if (rights.manage) return true;
  return entry.status === 'draft' && entry.authorId === userId && rights.contribute;
}

/** May the actor promote a solved topic of `topicAuthorId` to the FAQ? */
export function mayPromoteTopic(topicAuthorId: string, rights: SpaceRights, userId: string): boolean {
  return rights.manage || (rights.contribute && topicAuthorId === userId);
}
