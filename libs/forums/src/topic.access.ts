import { DomainError, type SpaceRights } from '#ruche/domain-kit';
import type { Topic, TopicState } from './topic.js';

/*
 * Who may do what in a forum, from the actor's rights in the topic's space (libs/spaces decides
 * them: readers read, contributors write, managers moderate; a private space's non-member may
 * not even know a topic exists) and from who wrote what:
 * - open a topic, reply, react: contributors (and managers);
 * - edit or delete a post: its author while still a contributor, or a manager;
 * - read a post's earlier versions: its author (who may read the space) or a manager;
 * - pin, unpin, lock, unlock: managers;
 * - choose the solution: the topic's author while still a contributor, or a manager.
 * The command side (decide) and the query side (versions) use the same functions.
 */

/** NOT_FOUND when there is no topic or the actor may not know its space; FORBIDDEN when they may not read it. */
export function requireReadableTopic(state: TopicState, rights: SpaceRights): Topic {
  if (state.status !== 'open' || !rights.mayKnow) throw DomainError.notFound('Topic not found');
  if (!rights.read) throw DomainError.forbidden('Only members read this space');
  return state;
}

export function requireContributor(rights: SpaceRights): void {
  if (!rights.contribute) throw DomainError.forbidden('Only the contributors and managers of this space may write here');
}

export function requireManager(rights: SpaceRights): void {
  if (!rights.manage) throw DomainError.forbidden('Only the managers of this space may do this');
}

/** May the actor edit or delete a post written by `authorId`? */
export function mayChangePost(authorId: string, userId: string, rights: SpaceRights): boolean {
  return rights.manage || (authorId === userId && rights.contribute);
}

/** May the actor read the earlier versions of a post written by `authorId`? */
export function mayReadVersions(authorId: string, userId: string, rights: SpaceRights): boolean {
  return rights.manage || (authorId === userId && rights.read);
}

/** May the actor choose the topic's solution? */
export function mayChooseSolution(topic: Pick<Topic, 'authorId'>, userId: string, rights: SpaceRights): boolean {
  return rights.manage || (topic.authorId === userId && rights.contribute);
}
