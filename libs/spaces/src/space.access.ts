import { type Actor, DomainError, hasRole, NO_SPACE_RIGHTS, type SpaceRights } from '#ruche/domain-kit';
import type { Space, SpaceRole, SpaceState, SpaceVisibility } from './space.js';

/*
 * Who may see and do what in a space. The rules, from DESIGN.md ("Access") and API.md:
 *
 * - A space has a card (name, description, kind, visibility, UAI, parent) and content (members,
 *   topics, FAQ, documents, activity, indicators, its live room).
 * - public: every signed-in user sees the card and reads the content, and may join.
 * - restricted: every signed-in user sees the card (it is listed, so people can ask to join);
 *   the content is for members only. A non-member gets 403 on the content, never 404, since
 *   the card already told them the space exists. A pending join request grants nothing.
 * - private: members only, card included; anyone else gets 404 (they may not know it exists).
 * - dane sees, reads and manages every space, member or not.
 * - Global roles other than dane, and a UAI, give no implicit right in an existing space: the
 *   RRUPN or the chef d'établissement of a UAI may create that establishment's space, but in a
 *   space of their UAI they are members like anyone else. Membership is always explicit.
 * - manager: manages (details, members, join requests) and contributes; contributor: contributes;
 *   reader: reads. Wherever API.md says "(manager)", a dane may do it too.
 */

/** The member's role in the space, or undefined for a non-member (or no space). */
export function roleOf(state: SpaceState, userId: string): SpaceRole | undefined {
  return state.status === 'active' ? state.members.get(userId) : undefined;
}

export function isMember(state: SpaceState, userId: string): boolean {
  return roleOf(state, userId) !== undefined;
}

/**
 * The rules in one place, from the two facts they depend on: the space's visibility and the
 * actor's role in it (undefined for a non-member). The command side computes them from the
 * space's stream, the query side from the read model (SpaceAccess), so both always agree.
 */
export function spaceRights(visibility: SpaceVisibility | undefined, role: SpaceRole | undefined, actor: Actor): SpaceRights {
  if (visibility === undefined) return NO_SPACE_RIGHTS;
  const dane = hasRole(actor, 'dane');
  const member = role !== undefined;
  return {
    mayKnow: visibility !== 'private' || dane || member,
    read: visibility === 'public' || dane || member,
    contribute: dane || role === 'manager' || role === 'contributor',
    manage: dane || role === 'manager',
  };
}

/** spaceRights from a space stream's state. */
export function rightsOf(state: SpaceState, actor: Actor): SpaceRights {
  return state.status === 'active' ? spaceRights(state.visibility, roleOf(state, actor.userId), actor) : NO_SPACE_RIGHTS;
}

/**
 * May the actor know the space exists, and so read its card? false makes the API answer 404
 * (not 403) to anything about the space: false for every non-member (but a dane) of a private
 * space, true for every signed-in user of a public or restricted one.
 */
export function mayKnowExists(state: SpaceState, actor: Actor): boolean {
  return rightsOf(state, actor).mayKnow;
}

/**
 * May the actor read the space's content (members, topics, FAQ, documents, activity, live room)?
 * public: every signed-in user; restricted and private: members (any role) only; dane: always.
 * When mayKnowExists holds and this does not, the API answers 403.
 */
export function canRead(state: SpaceState, actor: Actor): boolean {
  return rightsOf(state, actor).read;
}

/** May the actor write content (topics, posts, FAQ drafts, documents)? Managers, contributors, dane. */
export function canContribute(state: SpaceState, actor: Actor): boolean {
  return rightsOf(state, actor).contribute;
}

/** May the actor manage the space (details, members, join requests, moderation)? Managers and dane. */
export function canManage(state: SpaceState, actor: Actor): boolean {
  return rightsOf(state, actor).manage;
}

/** How many managers the space has: the last one may be neither demoted, removed nor leave. */
export function managerCount(state: SpaceState): number {
  if (state.status !== 'active') return 0;
  let count = 0;
  for (const role of state.members.values()) if (role === 'manager') count++;
  return count;
}

/**
 * Throws NOT_FOUND when there is no space or the actor may not know it exists; returns the space.
 * Every command and query about an existing space starts here.
 */
export function requireKnownSpace(state: SpaceState, actor: Actor): Space {
  if (state.status !== 'active' || !mayKnowExists(state, actor)) throw DomainError.notFound('Space not found');
  return state;
}

/** NOT_FOUND as requireKnownSpace, then FORBIDDEN when the actor may not read the content. */
export function requireCanRead(state: SpaceState, actor: Actor): Space {
  const space = requireKnownSpace(state, actor);
  if (!canRead(space, actor)) throw DomainError.forbidden('Only members may read this space');
  return space;
}

/** NOT_FOUND as requireKnownSpace, then FORBIDDEN when the actor may not manage the space. */
export function requireCanManage(state: SpaceState, actor: Actor): Space {
  const space = requireKnownSpace(state, actor);
  if (!canManage(space, actor)) throw DomainError.forbidden('Only a manager of this space may do this');
  return space;
}

/** What a handler found when it looked up a new space's parent; see CreateSpace. */
export interface ParentSpaceLookup {
  exists: boolean;
  /** May the actor know the parent exists (mayKnowExists)? */
  visibleToActor: boolean;
}

/** Turns the parent's loaded state into the lookup CreateSpace expects. */
export function lookupParentSpace(parent: SpaceState, actor: Actor): ParentSpaceLookup {
  return { exists: parent.status === 'active', visibleToActor: mayKnowExists(parent, actor) };
}
