import type { DomainEvent, EventSchemaVersions } from '#ruche/domain-kit';
import type { GlobalRole } from '#ruche/domain-kit';

/** Users live in streams `user-<userId>`. */
export const USER_STREAM_CATEGORY = 'user';

export function userStreamName(userId: string): string {
  return `${USER_STREAM_CATEGORY}-${userId}`;
}

/**
 * A user exists from now on: at their first sign-in, or when a space manager adds them by
 * e-mail. `email` is normalised (lower case); `uai` is upper case; `by` is who registered them
 * (the user themself at sign-in).
 */
export type UserRegistered = DomainEvent<
  'UserRegistered',
  {
    userId: string;
    email: string;
    displayName: string;
    roles: readonly GlobalRole[];
    uai?: string;
    at: string;
    by: string;
  }
>;

/**
 * Some of a user's profile changed; only the fields that changed are present. `uai: null` means
 * the user no longer belongs to an establishment.
 */
export type UserProfileUpdated = DomainEvent<
  'UserProfileUpdated',
  {
    userId: string;
    displayName?: string;
    roles?: readonly GlobalRole[];
    uai?: string | null;
    at: string;
    by: string;
  }
>;

export type UserEvent = UserRegistered | UserProfileUpdated;
export type UserEventType = UserEvent['type'];

/** The shape version each user event is written with (a record: none can be left out). */
export const USER_EVENT_SCHEMA_VERSIONS: EventSchemaVersions<UserEventType> = { UserRegistered: 1, UserProfileUpdated: 1 };

/** Every event type of a `user-` stream, for the API layer to register. */
export const userEventTypes = Object.keys(USER_EVENT_SCHEMA_VERSIONS) as readonly UserEventType[];

export function isUserEvent(event: { type: string }): event is UserEvent {
  return (userEventTypes as readonly string[]).includes(event.type);
}

export interface RegisteredUser {
  status: 'registered';
  userId: string;
  email: string;
  displayName: string;
  roles: readonly GlobalRole[];
  uai?: string;
}

/** A user stream's state: nothing yet, or the user's current profile. */
export type UserState = { status: 'unregistered' } | RegisteredUser;

export function initialUserState(): UserState {
  return { status: 'unregistered' };
}

export function evolveUser(state: UserState, event: UserEvent): UserState {
  switch (event.type) {
    case 'UserRegistered': {
      const { userId, email, displayName, roles, uai } = event.data;
      return { status: 'registered', userId, email, displayName, roles, ...(uai ? { uai } : {}) };
    }
    case 'UserProfileUpdated': {
      if (state.status !== 'registered') return state;
      const { displayName, roles, uai } = event.data;
      const next: RegisteredUser = {
        ...state,
        ...(displayName !== undefined ? { displayName } : {}),
        ...(roles !== undefined ? { roles } : {}),
      };
      if (uai === null) delete next.uai;
      else if (uai !== undefined) next.uai = uai;
      return next;
    }
    default: {
      // Unknown types (from a newer writer) leave the state as it is.
      const _exhaustive: never = event;
      return state;
    }
  }
}
