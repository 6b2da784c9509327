import {
  type Actor,
  type DomainCommand,
  type Decider,
  DomainError,
  hasRole,
  normaliseUai,
  parseUai,
  requireOneOf,
  requireText,
} from '#ruche/domain-kit';
import {
  evolveSpace,
  initialSpaceState,
  SPACE_EVENT_SCHEMA_VERSIONS,
  SPACE_DESCRIPTION_MAX,
  SPACE_KINDS,
  SPACE_NAME_MAX,
  SPACE_ROLES,
  SPACE_VISIBILITIES,
  type Space,
  type SpaceEvent,
  type SpaceKind,
  type SpaceRole,
  type SpaceState,
  type SpaceVisibility,
} from './space.js';
import {
  lookupParentSpace,
  managerCount,
  type ParentSpaceLookup,
  requireCanManage,
  requireKnownSpace,
  roleOf,
} from './space.access.js';

/**
 * Creates a space; its creator becomes its first manager. dane may create any kind;
 * rrupn and chef_etablissement an establishment space of their own UAI; anyone signed in a
 * thematic space. An establishment space needs a UAI (normalised to upper case); the other kinds
 * take none. With `parentSpaceId`, the handler loads the parent and passes what it found as
 * `parent` (a ParentSpaceLookup, or the parent's state); a parent that does not exist or that the
 * actor may not see is refused alike, as "does not exist".
 */
export type CreateSpace = DomainCommand<
  'CreateSpace',
  {
    spaceId: string;
    name: string;
    kind: string;
    visibility: string;
    description?: string;
    uai?: string | null;
    parentSpaceId?: string | null;
    parent?: ParentSpaceLookup | SpaceState;
  }
>;

/** Changes a space's name, description and/or visibility (PATCH: absent fields stay). Managers and dane. */
export type UpdateSpace = DomainCommand<
  'UpdateSpace',
  {
    spaceId: string;
    name?: string;
    description?: string;
    visibility?: string;
  }
>;

/**
 * Makes an existing user a member with `role`. The handler resolves the e-mail (registering the
 * user when unknown) and passes the userId. Managers and dane. Adding a member again with the
 * same role is a no-op; with another role it is a CONFLICT (ChangeMemberRole says what you mean).
 */
export type AddMember = DomainCommand<'AddMember', { spaceId: string; userId: string; role: string }>;

/** Changes a member's role. Managers and dane; the last manager cannot be demoted. */
export type ChangeMemberRole = DomainCommand<'ChangeMemberRole', { spaceId: string; userId: string; role: string }>;

/**
 * DELETE a membership: a manager (or dane) removes `userId`, or the actor leaves when `userId` is
 * the actor (a pending join request of theirs is then withdrawn). The last manager can neither be
 * removed nor leave.
 */
export type RemoveMember = DomainCommand<'RemoveMember', { spaceId: string; userId: string }>;

/**
 * The actor joins: a public space makes them a contributor; a restricted one records a join
 * request for a manager to approve; a private one cannot be joined (added by a manager only).
 */
export type JoinSpace = DomainCommand<'JoinSpace', { spaceId: string }>;

/** Approves a pending join request: the requester becomes a contributor. Managers and dane. */
export type ApproveJoinRequest = DomainCommand<'ApproveJoinRequest', { spaceId: string; userId: string }>;

/** Rejects a pending join request; the user may ask again later. Managers and dane. */
export type RejectJoinRequest = DomainCommand<'RejectJoinRequest', { spaceId: string; userId: string }>;

export type SpaceCommand =
  | CreateSpace
  | UpdateSpace
  | AddMember
  | ChangeMemberRole
  | RemoveMember
  | JoinSpace
  | ApproveJoinRequest
  | RejectJoinRequest;

export type SpaceCommandType = SpaceCommand['type'];

const parseName = (value: unknown): string => requireText(value, 'name', { min: 1, max: SPACE_NAME_MAX });
const parseDescription = (value: unknown): string => requireText(value, 'description', { min: 0, max: SPACE_DESCRIPTION_MAX });
const parseVisibility = (value: unknown): SpaceVisibility => requireOneOf(value, SPACE_VISIBILITIES, 'visibility');
const parseRole = (value: unknown): SpaceRole => requireOneOf(value, SPACE_ROLES, 'role');

function parseId(value: unknown, field: string): string {
  if (typeof value !== 'string' || value.trim() === '') throw DomainError.validation(field, `${field} must be given`);
  return value;
}

const isBlank = (value: unknown): boolean => value === undefined || value === null || (typeof value === 'string' && value.trim() === '');

/** The acting user; decisions need one (the API answers 401 before getting here). */
function actorOf(command: SpaceCommand): Actor {
  const actor = command.metadata.actor;
  if (!actor?.userId) throw DomainError.unauthenticated();
  return actor;
}

const stamp = (command: SpaceCommand, actor: Actor) => ({ at: command.metadata.now.toISOString(), by: actor.userId });

function requireMayCreate(actor: Actor, kind: SpaceKind, uai: string | undefined): void {
  if (hasRole(actor, 'dane') || kind === 'thematic') return;
  if (kind === 'academic') throw DomainError.forbidden('Only the DANE may create an academic space');
  const ownsUai = hasRole(actor, 'rrupn') || hasRole(actor, 'chef_etablissement');
  if (!ownsUai) throw DomainError.forbidden('Only an RRUPN or a chef d’établissement may create an establishment space');
  if (!actor.uai || normaliseUai(actor.uai) !== uai) {
    throw DomainError.forbidden('You may create the establishment space of your own establishment only');
  }
}

function isLookup(parent: ParentSpaceLookup | SpaceState): parent is ParentSpaceLookup {
  return 'exists' in parent;
}

function createSpace(command: CreateSpace, state: SpaceState): SpaceEvent[] {
  const actor = actorOf(command);
  const { data } = command;
  const spaceId = parseId(data.spaceId, 'spaceId');
  if (state.status !== 'none') throw DomainError.conflict('This space already exists');

  const name = parseName(data.name);
  const description = data.description === undefined || data.description === null ? '' : parseDescription(data.description);
  const kind = requireOneOf(data.kind, SPACE_KINDS, 'kind');
  const visibility = parseVisibility(data.visibility);
  let uai: string | undefined;
  if (kind === 'establishment') {
    if (isBlank(data.uai)) throw DomainError.validation('uai', 'An establishment space needs the UAI of its establishment');
    uai = parseUai(data.uai);
  } else if (!isBlank(data.uai)) {
    throw DomainError.validation('uai', `A ${kind} space has no UAI`);
  }
  requireMayCreate(actor, kind, uai);

  let parentSpaceId: string | undefined;
  if (!isBlank(data.parentSpaceId)) {
    parentSpaceId = parseId(data.parentSpaceId, 'parentSpaceId');
    const parent = data.parent === undefined ? undefined : isLookup(data.parent) ? data.parent : lookupParentSpace(data.parent, actor);
    // Same answer for "absent" and "hidden", so that a private space's existence never leaks.
    if (parentSpaceId === spaceId || !parent?.exists || !parent.visibleToActor) {
      throw DomainError.validation('parentSpaceId', 'The parent space does not exist');
    }
  }

  const meta = stamp(command, actor);
  return [
    {
      type: 'SpaceCreated',
      data: {
        spaceId,
        name,
        description,
        kind,
        visibility,
        ...(uai ? { uai } : {}),
        ...(parentSpaceId ? { parentSpaceId } : {}),
        ...meta,
      },
    },
    { type: 'MemberAdded', data: { spaceId, userId: actor.userId, role: 'manager', ...meta } },
  ];
}

function updateSpace(command: UpdateSpace, state: SpaceState): SpaceEvent[] {
  const actor = actorOf(command);
  const space = requireCanManage(state, actor);
  const { data } = command;
  const name = data.name === undefined ? undefined : parseName(data.name);
  const description = data.description === undefined ? undefined : parseDescription(data.description);
  const visibility = data.visibility === undefined ? undefined : parseVisibility(data.visibility);
  const { spaceId } = space;
  const meta = stamp(command, actor);
  const events: SpaceEvent[] = [];
  if (name !== undefined && name !== space.name) events.push({ type: 'SpaceRenamed', data: { spaceId, name, ...meta } });
  if (description !== undefined && description !== space.description) {
    events.push({ type: 'SpaceDescriptionChanged', data: { spaceId, description, ...meta } });
  }
  if (visibility !== undefined && visibility !== space.visibility) {
    events.push({ type: 'SpaceVisibilityChanged', data: { spaceId, visibility, ...meta } });
  }
  return events;
}

function addMember(command: AddMember, state: SpaceState): SpaceEvent[] {
  const actor = actorOf(command);
  const space = requireCanManage(state, actor);
  const userId = parseId(command.data.userId, 'userId');
  const role = parseRole(command.data.role);
  const current = roleOf(space, userId);
  if (current === role) return [];
  if (current !== undefined) throw DomainError.conflict(`Already a member as ${current}: change the role instead`);
  return [{ type: 'MemberAdded', data: { spaceId: space.spaceId, userId, role, ...stamp(command, actor) } }];
}

const isLastManager = (space: Space, userId: string): boolean =>
  roleOf(space, userId) === 'manager' && managerCount(space) === 1;

function changeMemberRole(command: ChangeMemberRole, state: SpaceState): SpaceEvent[] {
  const actor = actorOf(command);
  const space = requireCanManage(state, actor);
  const userId = parseId(command.data.userId, 'userId');
  const role = parseRole(command.data.role);
  const previousRole = roleOf(space, userId);
  if (previousRole === undefined) throw DomainError.notFound('This user is not a member of the space');
  if (previousRole === role) return [];
  if (isLastManager(space, userId)) throw DomainError.conflict('The last manager cannot be demoted: make someone else manager first');
  return [{ type: 'MemberRoleChanged', data: { spaceId: space.spaceId, userId, role, previousRole, ...stamp(command, actor) } }];
}

function removeMember(command: RemoveMember, state: SpaceState): SpaceEvent[] {
  const actor = actorOf(command);
  const space = requireKnownSpace(state, actor);
  const userId = parseId(command.data.userId, 'userId');
  const { spaceId } = space;
  if (userId === actor.userId) {
    if (roleOf(space, userId) === undefined) {
      return space.joinRequests.has(userId) ? [{ type: 'JoinRequestCancelled', data: { spaceId, userId, ...stamp(command, actor) } }] : [];
    }
    if (isLastManager(space, userId)) throw DomainError.conflict('The last manager cannot leave: make someone else manager first');
    return [{ type: 'MemberLeft', data: { spaceId, userId, ...stamp(command, actor) } }];
  }
  requireCanManage(space, actor);
  if (roleOf(space, userId) === undefined) return [];
  if (isLastManager(space, userId)) throw DomainError.conflict('The last manager cannot be removed: make someone else manager first');
  return [{ type: 'MemberRemoved', data: { spaceId, userId, ...stamp(command, actor) } }];
}

function joinSpace(command: JoinSpace, state: SpaceState): SpaceEvent[] {
  const actor = actorOf(command);
  const space = requireKnownSpace(state, actor);
  const { spaceId } = space;
  const userId = actor.userId;
  if (roleOf(space, userId) !== undefined) return [];
  switch (space.visibility) {
    case 'public':
      return [{ type: 'MemberJoined', data: { spaceId, userId, role: 'contributor', ...stamp(command, actor) } }];
    case 'restricted':
      if (space.joinRequests.has(userId)) return [];
      return [{ type: 'JoinRequested', data: { spaceId, userId, ...stamp(command, actor) } }];
    case 'private':
      // Only a dane gets here as a non-member: they know the space exists, but nobody joins a private space.
      throw DomainError.forbidden('A private space cannot be joined: ask a manager to add you');
    default: {
      const _exhaustive: never = space.visibility;
      throw new Error(`Unknown visibility ${String(_exhaustive)}`);
    }
  }
}

function approveJoinRequest(command: ApproveJoinRequest, state: SpaceState): SpaceEvent[] {
  const actor = actorOf(command);
  const space = requireCanManage(state, actor);
  const userId = parseId(command.data.userId, 'userId');
  // Already a member (e.g. a retried approval): nothing to do.
  if (roleOf(space, userId) !== undefined) return [];
  // Approving nothing must not look like success: the manager expects a new member.
  if (!space.joinRequests.has(userId)) throw DomainError.notFound('No pending join request from this user');
  return [{ type: 'JoinRequestApproved', data: { spaceId: space.spaceId, userId, role: 'contributor', ...stamp(command, actor) } }];
}

function rejectJoinRequest(command: RejectJoinRequest, state: SpaceState): SpaceEvent[] {
  const actor = actorOf(command);
  const space = requireCanManage(state, actor);
  const userId = parseId(command.data.userId, 'userId');
  // No pending request (already rejected, withdrawn or approved): the outcome is already there.
  if (!space.joinRequests.has(userId)) return [];
  return [{ type: 'JoinRequestRejected', data: { spaceId: space.spaceId, userId, ...stamp(command, actor) } }];
}

/**
 * Decides a space command against the space's state: throws a DomainError before building any
 * event, returns [] when there is nothing to do. Errors about an existing space come in this
 * order: NOT_FOUND (no space, or the actor may not know it), FORBIDDEN, VALIDATION, CONFLICT.
 */
export function decideSpace(command: SpaceCommand, state: SpaceState): SpaceEvent[] {
  switch (command.type) {
    case 'CreateSpace':
      return createSpace(command, state);
    case 'UpdateSpace':
      return updateSpace(command, state);
    case 'AddMember':
      return addMember(command, state);
    case 'ChangeMemberRole':
      return changeMemberRole(command, state);
    case 'RemoveMember':
      return removeMember(command, state);
    case 'JoinSpace':
      return joinSpace(command, state);
    case 'ApproveJoinRequest':
      return approveJoinRequest(command, state);
    case 'RejectJoinRequest':
      return rejectJoinRequest(command, state);
    default: {
      const _exhaustive: never = command;
      throw new Error(`Unknown space command ${(command as { type: string }).type}`);
    }
  }
}

/** The `space-<id>` stream's decider. */
export const spaceDecider: Decider<SpaceCommand, SpaceEvent, SpaceState> = {
  decide: decideSpace,
  evolve: evolveSpace,
  initialState: initialSpaceState,
  eventSchemaVersions: SPACE_EVENT_SCHEMA_VERSIONS,
};
