import type { Actor } from '#ruche/domain-kit';
import { foldEvents } from '#ruche/domain-kit';
// Relative imports: the lib's index also exports its NestJS adapters, which a pure spec does not need.
import {
  canContribute,
  canManage,
  canRead,
  lookupParentSpace,
  managerCount,
  mayKnowExists,
  requireCanManage,
  requireCanRead,
  requireKnownSpace,
  roleOf,
} from './space.access.js';
import { spaceDecider } from './space.decide.js';
import { initialSpaceState, type SpaceState, type SpaceVisibility } from './space.js';
import { about, actors, memberAdded, populatedSpace, UAI } from './space.fixtures.js';

/** An establishment space of UAI, with a manager, a contributor, a reader and a pending request. */
const spaceWith = (visibility: SpaceVisibility): SpaceState =>
  foldEvents(spaceDecider, [
    ...populatedSpace({ kind: 'establishment', uai: UAI, visibility }),
    about('JoinRequested', actors.outsider.userId, actors.outsider.userId),
  ]);

type Row = [who: string, actor: Actor, role: string | undefined, knows: boolean, reads: boolean, contributes: boolean, manages: boolean];

// The whole access policy in one table (see the doc comment of space.access.ts).
// who                               actor                       role           knows  reads  contrib manages
const table: Record<SpaceVisibility, Row[]> = {
  public: [
    ['dane', actors.dane, undefined, true, true, true, true],
    ['rrupn of the space UAI', actors.rrupnOfUai, undefined, true, true, false, false],
    ['rrupn of another UAI', actors.rrupnOfOtherUai, undefined, true, true, false, false],
    ['manager', actors.manager, 'manager', true, true, true, true],
    ['contributor', actors.contributor, 'contributor', true, true, true, false],
    ['reader', actors.reader, 'reader', true, true, false, false],
    ['signed-in non-member', actors.outsider, undefined, true, true, false, false],
  ],
  restricted: [
    ['dane', actors.dane, undefined, true, true, true, true],
    ['rrupn of the space UAI', actors.rrupnOfUai, undefined, true, false, false, false],
    ['rrupn of another UAI', actors.rrupnOfOtherUai, undefined, true, false, false, false],
    ['manager', actors.manager, 'manager', true, true, true, true],
    ['contributor', actors.contributor, 'contributor', true, true, true, false],
    ['reader', actors.reader, 'reader', true, true, false, false],
    ['signed-in non-member (pending request)', actors.outsider, undefined, true, false, false, false],
  ],
  private: [
    ['dane', actors.dane, undefined, true, true, true, true],
    ['rrupn of the space UAI', actors.rrupnOfUai, undefined, false, false, false, false],
    ['rrupn of another UAI', actors.rrupnOfOtherUai, undefined, false, false, false, false],
    ['manager', actors.manager, 'manager', true, true, true, true],
    ['contributor', actors.contributor, 'contributor', true, true, true, false],
    ['reader', actors.reader, 'reader', true, true, false, false],
    ['signed-in non-member', actors.outsider, undefined, false, false, false, false],
  ],
};

describe.each(['public', 'restricted', 'private'] as const)('given a %s space', (visibility) => {
  const state = spaceWith(visibility);

  it.each(table[visibility])('%s: role %p, knows it exists %p, reads %p, contributes %p, manages %p', (_who, actor, role, knows, reads, contributes, manages) => {
    expect({
      role: roleOf(state, actor.userId),
      knows: mayKnowExists(state, actor),
      reads: canRead(state, actor),
      contributes: canContribute(state, actor),
      manages: canManage(state, actor),
    }).toEqual({ role, knows, reads, contributes, manages });
  });

  it.each(table[visibility])('%s: the guards answer NOT_FOUND, then FORBIDDEN, consistently with the table', (_who, actor, _role, knows, reads, _c, manages) => {
    const outcome = (guard: () => unknown): string => {
      try {
        guard();
        return 'ok';
      } catch (error) {
        return (error as { code: string }).code;
      }
    };
    expect(outcome(() => requireKnownSpace(state, actor))).toBe(knows ? 'ok' : 'NOT_FOUND');
    expect(outcome(() => requireCanRead(state, actor))).toBe(!knows ? 'NOT_FOUND' : reads ? 'ok' : 'FORBIDDEN');
    expect(outcome(() => requireCanManage(state, actor))).toBe(!knows ? 'NOT_FOUND' : manages ? 'ok' : 'FORBIDDEN');
  });

  it('a dane who also holds another role keeps the dane rights', () => {
    const daneTeacher: Actor = { userId: 'u-dane-2', roles: ['enseignant', 'dane'] };
    expect([mayKnowExists(state, daneTeacher), canRead(state, daneTeacher), canManage(state, daneTeacher)]).toEqual([true, true, true]);
  });
});

describe('given no space', () => {
  const none = initialSpaceState();

  it('nobody knows, reads, contributes to or manages it, not even a dane', () => {
    for (const actor of [actors.dane, actors.manager, actors.outsider]) {
      expect([roleOf(none, actor.userId), mayKnowExists(none, actor), canRead(none, actor), canContribute(none, actor), canManage(none, actor)]).toEqual([
        undefined,
        false,
        false,
        false,
        false,
      ]);
    }
    expect(() => requireKnownSpace(none, actors.dane)).toThrow(expect.objectContaining({ code: 'NOT_FOUND' }));
    expect(managerCount(none)).toBe(0);
  });
});

describe('membership changes move the access', () => {
  it('a reader promoted to manager manages; a removed member of a private space no longer knows it', () => {
    const base = populatedSpace({ visibility: 'private' });
    const promoted = foldEvents(spaceDecider, [...base, memberAdded(actors.outsider.userId, 'manager')]);
    expect(canManage(promoted, actors.outsider)).toBe(true);
    expect(managerCount(promoted)).toBe(2);
    const removed = foldEvents(spaceDecider, [...base, memberAdded(actors.outsider.userId, 'manager'), about('MemberRemoved', actors.outsider.userId, actors.manager.userId)]);
    expect(mayKnowExists(removed, actors.outsider)).toBe(false);
    expect(managerCount(removed)).toBe(1);
  });
});

describe('lookupParentSpace', () => {
  it('reports a missing parent, a hidden one, and a visible one', () => {
    expect(lookupParentSpace(initialSpaceState(), actors.dane)).toEqual({ exists: false, visibleToActor: false });
    expect(lookupParentSpace(spaceWith('private'), actors.outsider)).toEqual({ exists: true, visibleToActor: false });
    expect(lookupParentSpace(spaceWith('private'), actors.reader)).toEqual({ exists: true, visibleToActor: true });
    expect(lookupParentSpace(spaceWith('restricted'), actors.outsider)).toEqual({ exists: true, visibleToActor: true });
  });
});
