import type { Actor } from '#ruche/domain-kit';
import type { SpaceCommand } from './space.decide.js';
import type { SpaceCreated, SpaceEvent, SpaceRole } from './space.js';

/*
 * Shared fixtures of the spaces specs: named actors and event/command builders, so that each
 * test reads as given/when/then on events. Imported by *.unit.spec.ts only.
 */

export const now = new Date('2026-03-02T09:00:00.000Z');
export const at = now.toISOString();
export const spaceId = '0195a1b2-0000-7000-8000-00000000a001';
export const otherSpaceId = '0195a1b2-0000-7000-8000-00000000a002';
export const UAI = '0061234X';
export const OTHER_UAI = '0831234B';

/** Global roles only: none of these is a member of any space until an event says so. */
export const actors = {
  dane: { userId: 'u-dane', roles: ['dane'] },
  rrupnOfUai: { userId: 'u-rrupn-a', roles: ['rrupn', 'enseignant'], uai: UAI },
  rrupnOfOtherUai: { userId: 'u-rrupn-b', roles: ['rrupn'], uai: OTHER_UAI },
  chefOfUai: { userId: 'u-chef-a', roles: ['chef_etablissement'], uai: UAI },
  manager: { userId: 'u-manager', roles: ['enseignant'] },
  secondManager: { userId: 'u-manager-2', roles: ['ian'] },
  contributor: { userId: 'u-contributor', roles: ['referent_pix'] },
  reader: { userId: 'u-reader', roles: ['inspecteur'] },
  outsider: { userId: 'u-outsider', roles: ['enseignant'] },
} satisfies Record<string, Actor>;

type Data<T extends SpaceCommand['type']> = Extract<SpaceCommand, { type: T }>['data'];

/** A command of `type`, sent by `actor` at `now`. */
export function command<T extends SpaceCommand['type']>(type: T, data: Data<T>, actor: Actor): Extract<SpaceCommand, { type: T }> {
  return { type, data, metadata: { actor, now, correlationId: 'c-1' } } as Extract<SpaceCommand, { type: T }>;
}

export function spaceCreated(data: Partial<SpaceCreated['data']> = {}): SpaceCreated {
  return {
    type: 'SpaceCreated',
    data: { spaceId, name: 'TRIBU PIX', description: '', kind: 'thematic', visibility: 'public', at, by: actors.manager.userId, ...data },
  };
}

type MemberEvent<T extends SpaceEvent['type']> = Extract<SpaceEvent, { type: T }>;

export const memberAdded = (userId: string, role: SpaceRole, by = actors.manager.userId): MemberEvent<'MemberAdded'> => ({
  type: 'MemberAdded',
  data: { spaceId, userId, role, at, by },
});

/** A space event about `userId` whose data is just { spaceId, userId, at, by } (+ role when given). */
export function about<T extends 'MemberRemoved' | 'MemberLeft' | 'JoinRequested' | 'JoinRequestRejected' | 'JoinRequestCancelled'>(
  type: T,
  userId: string,
  by: string,
): MemberEvent<T> {
  return { type, data: { spaceId, userId, at, by } } as MemberEvent<T>;
}

export const memberJoined = (userId: string): MemberEvent<'MemberJoined'> => ({
  type: 'MemberJoined',
  data: { spaceId, userId, role: 'contributor', at, by: userId },
});

export const joinRequestApproved = (userId: string, by = actors.manager.userId): MemberEvent<'JoinRequestApproved'> => ({
  type: 'JoinRequestApproved',
  data: { spaceId, userId, role: 'contributor', at, by },
});

export const memberRoleChanged = (
  userId: string,
  role: SpaceRole,
  previousRole: SpaceRole,
  by = actors.manager.userId,
): MemberEvent<'MemberRoleChanged'> => ({
  type: 'MemberRoleChanged',
  data: { spaceId, userId, role, previousRole, at, by },
});

/**
 * A space as most specs start from it: created by the manager (its first manager), with a
 * contributor and a reader.
 */
export function populatedSpace(data: Partial<SpaceCreated['data']> = {}): SpaceEvent[] {
  return [
    spaceCreated(data),
    memberAdded(actors.manager.userId, 'manager'),
    memberAdded(actors.contributor.userId, 'contributor'),
    memberAdded(actors.reader.userId, 'reader'),
  ];
}
