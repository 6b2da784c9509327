import type { Actor } from '#ruche/domain-kit';
import { DeciderSpecification } from '#ruche/domain-kit/testing';
// Relative imports: the lib's index also exports its NestJS adapters, which a pure spec does not need.
import { type RegisterUser, type UpdateUserProfile, userDecider } from './user.decide.js';
import { isUserEvent, userEventTypes, type UserProfileUpdated, type UserRegistered, userStreamName } from './user.js';

const now = new Date('2026-03-02T09:00:00.000Z');
const at = now.toISOString();
const userId = '0195a1b2-0000-7000-8000-000000000001';
const otherId = '0195a1b2-0000-7000-8000-000000000002';
const self: Actor = { userId, roles: ['enseignant'] };
const dane: Actor = { userId: '0195a1b2-0000-7000-8000-00000000da1e', roles: ['dane'] };
const manager: Actor = { userId: otherId, roles: ['enseignant'] };

const given = DeciderSpecification.for(userDecider);

const register = (data: Partial<RegisterUser['data']> = {}, actor: Actor = self): RegisterUser => ({
  type: 'RegisterUser',
  data: { userId, email: 'jean.dupont@ac-nice.fr', ...data },
  metadata: { actor, now },
});
const registered = (data: Partial<UserRegistered['data']> = {}): UserRegistered => ({
  type: 'UserRegistered',
  data: { userId, email: 'jean.dupont@ac-nice.fr', displayName: 'jean.dupont', roles: ['enseignant'], at, by: userId, ...data },
});
const update = (data: Omit<UpdateUserProfile['data'], 'userId'>, actor: Actor = self): UpdateUserProfile => ({
  type: 'UpdateUserProfile',
  data: { userId, ...data },
  metadata: { actor, now },
});
const updated = (data: Omit<UserProfileUpdated['data'], 'userId' | 'at' | 'by'>, by = userId): UserProfileUpdated => ({
  type: 'UserProfileUpdated',
  data: { userId, ...data, at, by },
});

describe('user streams', () => {
  it('are named user-<id> and list their event types', () => {
    expect(userStreamName(userId)).toBe(`user-${userId}`);
    expect(userEventTypes).toEqual(['UserRegistered', 'UserProfileUpdated']);
    expect(isUserEvent(registered())).toBe(true);
    expect(isUserEvent({ type: 'SpaceCreated' })).toBe(false);
  });
});

describe('given no user yet', () => {
  it('the first sign-in registers the user with the defaults: name from the e-mail, enseignant', () => {
    given([]).when(register()).then([registered()]);
  });

  it('normalises the e-mail to lower case and trims it', () => {
    given([])
      .when(register({ email: '  Jean.Dupont@AC-Nice.FR ' }))
      .then([registered()]);
  });

  it('keeps the display name, roles and UAI the sign-in asserts (UAI upper-cased, roles deduplicated)', () => {
    given([])
      .when(register({ displayName: '  Jean Dupont ', roles: ['rrupn', 'enseignant', 'rrupn'], uai: '0061234x' }))
      .then([registered({ displayName: 'Jean Dupont', roles: ['rrupn', 'enseignant'], uai: '0061234X' })]);
  });

  it('treats an empty or null UAI as none', () => {
    given([]).when(register({ uai: '' })).then([registered()]);
    given([]).when(register({ uai: null })).then([registered()]);
  });

  it.each(['', 'jean', 'jean@', '@ac-nice.fr', 'jean dupont@ac-nice.fr', 'jean@ac-nice', 'a@b@c.fr', `${'x'.repeat(65)}@ac-nice.fr`])(
    'refuses the e-mail %p',
    (email) => {
      given([]).when(register({ email })).thenThrows('VALIDATION', 'email');
    },
  );

  it('refuses a blank or too long display name, and accepts 120 characters', () => {
    given([]).when(register({ displayName: '   ' })).thenThrows('VALIDATION', 'displayName');
    given([]).when(register({ displayName: 'é'.repeat(121) })).thenThrows('VALIDATION', 'displayName');
    given([])
      .when(register({ displayName: 'é'.repeat(120) }))
      .then([registered({ displayName: 'é'.repeat(120) })]);
  });

  it('refuses unknown roles and an empty role list', () => {
    given([]).when(register({ roles: ['admin'] })).thenThrows('VALIDATION', 'roles');
    given([]).when(register({ roles: ['DANE'] })).thenThrows('VALIDATION', 'roles');
    given([]).when(register({ roles: [] })).thenThrows('VALIDATION', 'roles');
  });

  it('refuses a malformed UAI', () => {
    given([]).when(register({ uai: '006123X' })).thenThrows('VALIDATION', 'uai');
  });

  it('refuses a missing user id', () => {
    given([]).when(register({ userId: '' })).thenThrows('VALIDATION', 'userId');
  });

  it('lets a space manager register someone else by e-mail, with the defaults', () => {
    given([])
      .when(register({ email: 'marie.curie@ac-nice.fr' }, manager))
      .then([registered({ email: 'marie.curie@ac-nice.fr', displayName: 'marie.curie', by: otherId })]);
  });

  it('forbids anyone but a dane to give someone else roles or a UAI', () => {
    given([]).when(register({ roles: ['dane'] }, manager)).thenThrows('FORBIDDEN');
    given([]).when(register({ uai: '0061234X' }, manager)).thenThrows('FORBIDDEN');
    given([])
      .when(register({ roles: ['enseignant'] }, manager))
      .then([registered({ by: otherId })]);
    given([])
      .when(register({ roles: ['rrupn'], uai: '0061234X' }, dane))
      .then([registered({ roles: ['rrupn'], uai: '0061234X', by: dane.userId })]);
  });

  it('needs a signed-in actor', () => {
    given([])
      .when(register({}, { userId: '', roles: [] }))
      .thenThrows('UNAUTHENTICATED');
  });

  it('cannot update a profile that does not exist', () => {
    given([]).when(update({ displayName: 'Jean' })).thenThrows('NOT_FOUND');
  });
});

describe('given a registered user', () => {
  const history = [registered()];

  it('registering the same e-mail again does nothing', () => {
    given(history).when(register({ email: 'JEAN.DUPONT@ac-nice.fr', displayName: 'Other' })).thenNothingHappens();
  });

  it('registering another e-mail on the same id is a conflict', () => {
    given(history).when(register({ email: 'someone@ac-nice.fr' })).thenThrows('CONFLICT');
  });

  it('the user may change their display name', () => {
    given(history)
      .when(update({ displayName: ' Jean Dupont ' }))
      .then([updated({ displayName: 'Jean Dupont' })]);
  });

  it('an update that changes nothing produces no event', () => {
    given(history).when(update({ displayName: 'jean.dupont', roles: ['enseignant'] })).thenNothingHappens();
    given(history).when(update({})).thenNothingHappens();
    given(history).when(update({ uai: null })).thenNothingHappens();
  });

  it('the user may not grant themself roles or a UAI outside sign-in', () => {
    given(history).when(update({ roles: ['dane'] })).thenThrows('FORBIDDEN');
    given(history).when(update({ uai: '0061234X' })).thenThrows('FORBIDDEN');
  });

  it("the user's sign-in may update the roles and UAI its identity provider asserts", () => {
    given(history)
      .when(update({ roles: ['rrupn'], uai: '0061234x', viaSignIn: true }))
      .then([updated({ roles: ['rrupn'], uai: '0061234X' })]);
  });

  it("someone else's sign-in flag grants nothing", () => {
    given(history)
      .when(update({ roles: ['dane'], viaSignIn: true }, manager))
      .thenThrows('FORBIDDEN');
  });

  it("another user may not change the profile at all; a dane may change anything", () => {
    given(history).when(update({ displayName: 'X' }, manager)).thenThrows('FORBIDDEN');
    given(history)
      .when(update({ displayName: 'Jean D.', roles: ['referent_pix', 'enseignant'], uai: '0831234b' }, dane))
      .then([updated({ displayName: 'Jean D.', roles: ['referent_pix', 'enseignant'], uai: '0831234B' }, dane.userId)]);
  });

  it('validates what it changes, naming the field', () => {
    given(history).when(update({ displayName: '' })).thenThrows('VALIDATION', 'displayName');
    given(history).when(update({ roles: ['chef'] }, dane)).thenThrows('VALIDATION', 'roles');
    given(history).when(update({ uai: 'nope' }, dane)).thenThrows('VALIDATION', 'uai');
  });
});

describe('given a registered user with roles and a UAI', () => {
  const history = [registered({ roles: ['rrupn', 'enseignant'], uai: '0061234X' })];

  it('the same roles in another order are no change', () => {
    given(history).when(update({ roles: ['enseignant', 'rrupn'], viaSignIn: true })).thenNothingHappens();
  });

  it('a dane may clear the UAI (null or empty)', () => {
    given(history).when(update({ uai: null }, dane)).then([updated({ uai: null }, dane.userId)]);
    given(history).when(update({ uai: '' }, dane)).then([updated({ uai: null }, dane.userId)]);
  });

  it('after the UAI was cleared, clearing it again does nothing, and setting it again is a change', () => {
    const cleared = [...history, updated({ uai: null }, dane.userId)];
    given(cleared).when(update({ uai: null }, dane)).thenNothingHappens();
    given(cleared).when(update({ uai: '0061234X' }, dane)).then([updated({ uai: '0061234X' }, dane.userId)]);
  });

  it('folds profile updates: the latest display name is the one compared', () => {
    const renamed = [...history, updated({ displayName: 'Jean' })];
    given(renamed).when(update({ displayName: 'Jean' })).thenNothingHappens();
    given(renamed).when(update({ displayName: 'jean.dupont' })).then([updated({ displayName: 'jean.dupont' })]);
  });
});
