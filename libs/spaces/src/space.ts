import type { DomainEvent, EventSchemaVersions } from '#ruche/domain-kit';

/** Spaces live in streams `space-<spaceId>`. */
export const SPACE_STREAM_CATEGORY = 'space';

export function spaceStreamName(spaceId: string): string {
  return `${SPACE_STREAM_CATEGORY}-${spaceId}`;
}

/** académie-wide (DANE only), one establishment's (carries its UAI), or a theme open to anyone. */
export const SPACE_KINDS = ['academic', 'establishment', 'thematic'] as const;
export type SpaceKind = (typeof SPACE_KINDS)[number];

/**
 * public: every signed-in user reads it and may join; restricted: listed, its content is for
 * members, joining needs a manager's approval; private: members only, unlisted.
 */
export const SPACE_VISIBILITIES = ['public', 'restricted', 'private'] as const;
export type SpaceVisibility = (typeof SPACE_VISIBILITIES)[number];

/** What a member may do in a space: manage it, contribute to it, or read it. */
export const SPACE_ROLES = ['manager', 'contributor', 'reader'] as const;
export type SpaceRole = (typeof SPACE_ROLES)[number];

export const SPACE_NAME_MAX = 120;
export const SPACE_DESCRIPTION_MAX = 2000;

/** Every space event says when (`at`, ISO 8601 UTC) and who (`by`, the actor's user id). */
interface Stamp {
  at: string;
  by: string;
}

/**
 * A space was created. `description` is '' when none was given; `uai` is present for an
 * establishment space only. Always followed, in the same append, by a MemberAdded making the
 * creator its first manager.
 */
export type SpaceCreated = DomainEvent<
  'SpaceCreated',
  {
    spaceId: string;
    name: string;
    description: string;
    kind: SpaceKind;
    visibility: SpaceVisibility;
    uai?: string;
    parentSpaceId?: string;
  } & Stamp
>;

/** The space's name changed (trimmed, 1–120 characters). */
export type SpaceRenamed = DomainEvent<'SpaceRenamed', { spaceId: string; name: string } & Stamp>;

/** The space's description changed ('' when cleared). */
export type SpaceDescriptionChanged = DomainEvent<'SpaceDescriptionChanged', { spaceId: string; description: string } & Stamp>;

/** The space's visibility changed; pending join requests stay pending. */
export type SpaceVisibilityChanged = DomainEvent<'SpaceVisibilityChanged', { spaceId: string; visibility: SpaceVisibility } & Stamp>;

/** A manager (or the creation of the space) made `userId` a member; clears their pending join request. */
export type MemberAdded = DomainEvent<'MemberAdded', { spaceId: string; userId: string; role: SpaceRole } & Stamp>;

/** `userId` joined a public space by themself, as a contributor; clears their pending join request. */
export type MemberJoined = DomainEvent<'MemberJoined', { spaceId: string; userId: string; role: 'contributor' } & Stamp>;

/** A manager changed a member's role. */
export type MemberRoleChanged = DomainEvent<
  'MemberRoleChanged',
  { spaceId: string; userId: string; role: SpaceRole; previousRole: SpaceRole } & Stamp
>;

/** A manager removed a member. */
export type MemberRemoved = DomainEvent<'MemberRemoved', { spaceId: string; userId: string } & Stamp>;

/** A member left the space by themself. */
export type MemberLeft = DomainEvent<'MemberLeft', { spaceId: string; userId: string } & Stamp>;

/** `userId` asked to join a restricted space; a manager approves or rejects it. */
export type JoinRequested = DomainEvent<'JoinRequested', { spaceId: string; userId: string } & Stamp>;

/** A manager approved a join request: the requester is now a member with `role` (contributor). */
export type JoinRequestApproved = DomainEvent<'JoinRequestApproved', { spaceId: string; userId: string; role: 'contributor' } & Stamp>;

/** A manager rejected a join request; the user may ask again. */
export type JoinRequestRejected = DomainEvent<'JoinRequestRejected', { spaceId: string; userId: string } & Stamp>;

/** The requester withdrew their pending join request. */
export type JoinRequestCancelled = DomainEvent<'JoinRequestCancelled', { spaceId: string; userId: string } & Stamp>;

export type SpaceEvent =
  | SpaceCreated
  | SpaceRenamed
  | SpaceDescriptionChanged
  | SpaceVisibilityChanged
  | MemberAdded
  | MemberJoined
  | MemberRoleChanged
  | MemberRemoved
  | MemberLeft
  | JoinRequested
  | JoinRequestApproved
  | JoinRequestRejected
  | JoinRequestCancelled;

export type SpaceEventType = SpaceEvent['type'];

/**
 * The shape version each space event is written with (a record, so that the compiler refuses a
 * SpaceEvent type left out). SpaceCreated is at 2: version 1 had no `description` (see
 * upcastSpaceCreatedV1).
 */
export const SPACE_EVENT_SCHEMA_VERSIONS: EventSchemaVersions<SpaceEventType> = {
  SpaceCreated: 2,
  SpaceRenamed: 1,
  SpaceDescriptionChanged: 1,
  SpaceVisibilityChanged: 1,
  MemberAdded: 1,
  MemberJoined: 1,
  MemberRoleChanged: 1,
  MemberRemoved: 1,
  MemberLeft: 1,
  JoinRequested: 1,
  JoinRequestApproved: 1,
  JoinRequestRejected: 1,
  JoinRequestCancelled: 1,
};

/** Every event type of a `space-` stream, for the API layer to register. */
export const spaceEventTypes = Object.keys(SPACE_EVENT_SCHEMA_VERSIONS) as readonly SpaceEventType[];

/** SpaceCreated@1 → @2: the first spaces had no description; they read as an empty one. */
export function upcastSpaceCreatedV1(data: Record<string, unknown>): SpaceCreated['data'] {
  return { ...data, description: typeof data.description === 'string' ? data.description : '' } as SpaceCreated['data'];
}

export function isSpaceEvent(event: { type: string }): event is SpaceEvent {
  return (spaceEventTypes as readonly string[]).includes(event.type);
}

/** A space as its stream tells it. */
export interface Space {
  status: 'active';
  spaceId: string;
  name: string;
  description: string;
  kind: SpaceKind;
  visibility: SpaceVisibility;
  uai?: string;
  parentSpaceId?: string;
  createdBy: string;
  /** userId → role. */
  members: ReadonlyMap<string, SpaceRole>;
  /** userIds with a pending join request. */
  joinRequests: ReadonlySet<string>;
}

/** A space stream's state: nothing yet, or the space. */
export type SpaceState = { status: 'none' } | Space;

export function initialSpaceState(): SpaceState {
  return { status: 'none' };
}

const withMember = (space: Space, userId: string, role: SpaceRole): Space => {
  const members = new Map(space.members).set(userId, role);
  const joinRequests = new Set(space.joinRequests);
  joinRequests.delete(userId);
  return { ...space, members, joinRequests };
};

const withoutMember = (space: Space, userId: string): Space => {
  const members = new Map(space.members);
  members.delete(userId);
  return { ...space, members };
};

const withoutRequest = (space: Space, userId: string): Space => {
  const joinRequests = new Set(space.joinRequests);
  joinRequests.delete(userId);
  return { ...space, joinRequests };
};

export function evolveSpace(state: SpaceState, event: SpaceEvent): SpaceState {
  if (event.type === 'SpaceCreated') {
    const { spaceId, name, description, kind, visibility, uai, parentSpaceId, by } = event.data;
    return {
      status: 'active',
      spaceId,
      name,
      description,
      kind,
      visibility,
      ...(uai ? { uai } : {}),
      ...(parentSpaceId ? { parentSpaceId } : {}),
      createdBy: by,
      members: new Map(),
      joinRequests: new Set(),
    };
  }
  // Anything before SpaceCreated is not a space's history: ignore it rather than invent a space.
  if (state.status !== 'active') return state;
  switch (event.type) {
    case 'SpaceRenamed':
      return { ...state, name: event.data.name };
    case 'SpaceDescriptionChanged':
      return { ...state, description: event.data.description };
    case 'SpaceVisibilityChanged':
      return { ...state, visibility: event.data.visibility };
    case 'MemberAdded':
    case 'MemberJoined':
    case 'JoinRequestApproved':
    case 'MemberRoleChanged':
      return withMember(state, event.data.userId, event.data.role);
    case 'MemberRemoved':
    case 'MemberLeft':
      return withoutMember(state, event.data.userId);
    case 'JoinRequested':
      return { ...state, joinRequests: new Set(state.joinRequests).add(event.data.userId) };
    case 'JoinRequestRejected':
    case 'JoinRequestCancelled':
      return withoutRequest(state, event.data.userId);
    default: {
      // Unknown types (from a newer writer) leave the state as it is.
      const _exhaustive: never = event;
      return state;
    }
  }
}
