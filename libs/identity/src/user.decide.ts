import {
  type DomainCommand,
  type Decider,
  DomainError,
  type GlobalRole,
  hasRole,
  isGlobalRole,
  parseUai,
  requireText,
} from '#ruche/domain-kit';
import { emailLocalPart, parseEmail } from './email.js';
import { evolveUser, initialUserState, USER_EVENT_SCHEMA_VERSIONS, type UserEvent, type UserProfileUpdated, type UserState } from './user.js';

export const DISPLAY_NAME_MAX = 120;

/** What a user is when nobody said otherwise. */
export const DEFAULT_ROLE: GlobalRole = 'enseignant';

/**
 * Creates the user of stream `user-<userId>`: at the first (dev or OIDC) sign-in, where the actor
 * is the user themself and `roles`/`uai` are the claims the sign-in asserted; or when a space
 * manager adds someone by e-mail, where only a dane may set roles other than the default or a UAI.
 * `displayName` defaults to the e-mail's local part, `roles` to `['enseignant']`.
 * Registering again the same e-mail is a no-op; the handler must look the e-mail up first (and
 * serialise concurrent first sign-ins), since this stream cannot see other users.
 */
export type RegisterUser = DomainCommand<
  'RegisterUser',
  {
    userId: string;
    email: string;
    displayName?: string;
    roles?: readonly string[];
    uai?: string | null;
  }
>;

/**
 * Changes a profile (PATCH semantics: absent fields stay as they are; `uai: null` or '' clears it).
 * The user may change their display name, a dane anything. Roles and UAI change only by a dane, or
 * by the user's own sign-in (`viaSignIn`, set by the sign-in handler alone, never from a request
 * body) when the identity provider asserts new claims.
 */
export type UpdateUserProfile = DomainCommand<
  'UpdateUserProfile',
  {
    userId: string;
    displayName?: string;
    roles?: readonly string[];
    uai?: string | null;
    viaSignIn?: boolean;
  }
>;

export type UserCommand = RegisterUser | UpdateUserProfile;

const parseDisplayName = (value: unknown): string => requireText(value, 'displayName', { min: 1, max: DISPLAY_NAME_MAX });

/** Known roles, without duplicates, in the order given; at least one. */
function parseRoles(value: unknown): GlobalRole[] {
  if (!Array.isArray(value) || value.length === 0) throw DomainError.validation('roles', 'roles must be a non-empty list');
  const unknown = value.filter((role) => !isGlobalRole(role));
  if (unknown.length > 0) throw DomainError.validation('roles', `unknown roles: ${unknown.map(String).join(', ')}`);
  return [...new Set(value as GlobalRole[])];
}

/** undefined: not given; null: none; otherwise a valid UAI. */
function parseOptionalUai(value: unknown): string | null | undefined {
  if (value === undefined) return undefined;
  if (value === null || (typeof value === 'string' && value.trim() === '')) return null;
  return parseUai(value);
}

const sameRoles = (a: readonly GlobalRole[], b: readonly GlobalRole[]): boolean =>
  a.length === b.length && a.every((role) => b.includes(role));

function requireActor(command: UserCommand): string {
  const userId = command.metadata.actor?.userId;
  if (!userId) throw DomainError.unauthenticated();
  return userId;
}

function register(command: RegisterUser, state: UserState): UserEvent[] {
  const by = requireActor(command);
  const { userId } = command.data;
  if (typeof userId !== 'string' || userId.trim() === '') throw DomainError.validation('userId', 'userId must be given');
  const email = parseEmail(command.data.email);
  const displayName =
    command.data.displayName === undefined ? parseDisplayName(emailLocalPart(email)) : parseDisplayName(command.data.displayName);
  const roles = command.data.roles === undefined ? [DEFAULT_ROLE] : parseRoles(command.data.roles);
  const uai = parseOptionalUai(command.data.uai);

  if (state.status === 'registered') {
    if (state.email === email) return [];
    throw DomainError.conflict('This user is already registered with another e-mail');
  }
  const grantsMore = !sameRoles(roles, [DEFAULT_ROLE]) || uai != null;
  if (by !== userId && grantsMore && !hasRole(command.metadata.actor, 'dane')) {
    throw DomainError.forbidden('Only a dane may give roles or an establishment to someone else');
  }
  return [
    {
      type: 'UserRegistered',
      data: { userId, email, displayName, roles, ...(uai ? { uai } : {}), at: command.metadata.now.toISOString(), by },
    },
  ];
}

function updateProfile(command: UpdateUserProfile, state: UserState): UserEvent[] {
  const by = requireActor(command);
  if (state.status !== 'registered') throw DomainError.notFound('No such user');
  const actor = command.metadata.actor;
  const isSelf = by === state.userId;
  const isDane = hasRole(actor, 'dane');
  if (!isSelf && !isDane) throw DomainError.forbidden("Only the user themself or a dane may change a user's profile");

  const displayName = command.data.displayName === undefined ? undefined : parseDisplayName(command.data.displayName);
  const roles = command.data.roles === undefined ? undefined : parseRoles(command.data.roles);
  const uai = parseOptionalUai(command.data.uai);

  const changes: Omit<UserProfileUpdated['data'], 'userId' | 'at' | 'by'> = {
    ...(displayName !== undefined && displayName !== state.displayName ? { displayName } : {}),
    ...(roles !== undefined && !sameRoles(roles, state.roles) ? { roles } : {}),
    ...(uai !== undefined && uai !== (state.uai ?? null) ? { uai } : {}),
  };
  const touchesClaims = 'roles' in changes || 'uai' in changes;
  if (touchesClaims && !isDane && !(isSelf && command.data.viaSignIn === true)) {
    throw DomainError.forbidden('Only a dane, or your sign-in, may change your roles or establishment');
  }
  if (Object.keys(changes).length === 0) return [];
  return [{ type: 'UserProfileUpdated', data: { userId: state.userId, ...changes, at: command.metadata.now.toISOString(), by } }];
}

export function decideUser(command: UserCommand, state: UserState): UserEvent[] {
  switch (command.type) {
    case 'RegisterUser':
      return register(command, state);
    case 'UpdateUserProfile':
      return updateProfile(command, state);
    default: {
      const _exhaustive: never = command;
      throw new Error(`Unknown user command ${(command as { type: string }).type}`);
    }
  }
}

/** The `user-<id>` stream's decider. */
export const userDecider: Decider<UserCommand, UserEvent, UserState> = {
  decide: decideUser,
  evolve: evolveUser,
  initialState: initialUserState,
  eventSchemaVersions: USER_EVENT_SCHEMA_VERSIONS,
};
