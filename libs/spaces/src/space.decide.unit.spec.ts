import { type Actor, DomainError, foldEvents } from '#ruche/domain-kit';
import { DeciderSpecification } from '#ruche/domain-kit/testing';
// Relative imports: the lib's index also exports its NestJS adapters, which a pure spec does not need.
import { type CreateSpace, spaceDecider } from './space.decide.js';
import { isSpaceEvent, spaceEventTypes, spaceStreamName } from './space.js';
import {
  about,
  actors,
  at,
  command,
  joinRequestApproved,
  memberAdded,
  memberJoined,
  memberRoleChanged,
  OTHER_UAI,
  otherSpaceId,
  populatedSpace,
  spaceCreated,
  spaceId,
  UAI,
} from './space.fixtures.js';

const given = DeciderSpecification.for(spaceDecider);
const { dane, rrupnOfUai, rrupnOfOtherUai, chefOfUai, manager, secondManager, contributor, reader, outsider } = actors;

const create = (data: Partial<CreateSpace['data']>, actor: Actor = manager) =>
  command('CreateSpace', { spaceId, name: 'TRIBU PIX', kind: 'thematic', visibility: 'public', ...data }, actor);

/** The two events of a creation: the space, then its creator as first manager. */
const creation = (data: Parameters<typeof spaceCreated>[0], by: Actor) => [
  spaceCreated({ ...data, by: by.userId }),
  memberAdded(by.userId, 'manager', by.userId),
];

describe('space streams', () => {
  it('are named space-<id> and list every event type once', () => {
    expect(spaceStreamName(spaceId)).toBe(`space-${spaceId}`);
    expect(new Set(spaceEventTypes).size).toBe(spaceEventTypes.length);
    expect([...spaceEventTypes].sort()).toEqual(
      [
        'SpaceCreated',
        'SpaceRenamed',
        'SpaceDescriptionChanged',
        'SpaceVisibilityChanged',
        'MemberAdded',
        'MemberJoined',
        'MemberRoleChanged',
        'MemberRemoved',
        'MemberLeft',
        'JoinRequested',
        'JoinRequestApproved',
        'JoinRequestRejected',
        'JoinRequestCancelled',
      ].sort(),
    );
    expect(isSpaceEvent(spaceCreated())).toBe(true);
    expect(isSpaceEvent({ type: 'UserRegistered' })).toBe(false);
  });
});

describe('given no space', () => {
  describe('who may create which kind', () => {
    it.each([
      ['academic', undefined],
      ['establishment', OTHER_UAI],
      ['thematic', undefined],
    ] as const)('dane creates an %s space', (kind, uai) => {
      given([])
        .when(create({ kind, uai }, dane))
        .then(creation({ kind, ...(uai ? { uai } : {}) }, dane));
    });

    it.each([
      ['rrupn', rrupnOfUai],
      ['chef_etablissement', chefOfUai],
    ])('%s creates the establishment space of their own UAI (UAI upper-cased on input)', (_role, actor) => {
      given([])
        .when(create({ kind: 'establishment', uai: ' 0061234x ', visibility: 'restricted' }, actor))
        .then(creation({ kind: 'establishment', uai: UAI, visibility: 'restricted' }, actor));
    });

    it('an rrupn or a chef may not create the space of another UAI', () => {
      given([]).when(create({ kind: 'establishment', uai: OTHER_UAI }, rrupnOfUai)).thenThrows('FORBIDDEN');
      given([]).when(create({ kind: 'establishment', uai: UAI }, rrupnOfOtherUai)).thenThrows('FORBIDDEN');
      given([]).when(create({ kind: 'establishment', uai: OTHER_UAI }, chefOfUai)).thenThrows('FORBIDDEN');
    });

    it('an rrupn without a UAI of their own may not create an establishment space', () => {
      given([])
        .when(create({ kind: 'establishment', uai: UAI }, { userId: 'u-rrupn-x', roles: ['rrupn'] }))
        .thenThrows('FORBIDDEN');
    });

    it('a UAI alone gives no right: an enseignant of that UAI may not create its space', () => {
      given([])
        .when(create({ kind: 'establishment', uai: UAI }, { userId: 'u-prof', roles: ['enseignant'], uai: UAI }))
        .thenThrows('FORBIDDEN');
    });

    it.each([['rrupn', rrupnOfUai], ['chef_etablissement', chefOfUai], ['enseignant', outsider], ['cmine', { userId: 'u-cmine', roles: ['cmine'] }]])(
      'only dane creates academic spaces, not %s',
      (_role, actor) => {
        given([]).when(create({ kind: 'academic' }, actor)).thenThrows('FORBIDDEN');
      },
    );

    it.each([['enseignant', outsider], ['rrupn', rrupnOfOtherUai], ['inspecteur', reader]])(
      'anyone signed in (%s) creates a thematic space and becomes its first manager',
      (_role, actor) => {
        given([])
          .when(create({ kind: 'thematic', visibility: 'private' }, actor))
          .then(creation({ kind: 'thematic', visibility: 'private' }, actor));
      },
    );

    it('nobody creates anything without being signed in', () => {
      given([]).when(create({}, { userId: '', roles: [] })).thenThrows('UNAUTHENTICATED');
    });
  });

  describe('what a space carries', () => {
    it('trims the name and the description', () => {
      given([])
        .when(create({ name: '  Fiches PIX  ', description: '  Les ressources du collège  ' }))
        .then(creation({ name: 'Fiches PIX', description: 'Les ressources du collège' }, manager));
    });

    it('accepts a name of 120 characters and a description of 2,000', () => {
      const name = 'n'.repeat(120);
      const description = 'd'.repeat(2000);
      given([])
        .when(create({ name, description }))
        .then(creation({ name, description }, manager));
    });

    it.each([
      ['an empty name', { name: '' }, 'name'],
      ['a blank name', { name: '   ' }, 'name'],
      ['a name of 121 characters', { name: 'n'.repeat(121) }, 'name'],
      ['a description of 2,001 characters', { description: 'd'.repeat(2001) }, 'description'],
      ['an unknown kind', { kind: 'national' }, 'kind'],
      ['an unknown visibility', { visibility: 'secret' }, 'visibility'],
      ['an establishment space without a UAI', { kind: 'establishment' }, 'uai'],
      ['an establishment space with a malformed UAI', { kind: 'establishment', uai: '006123X' }, 'uai'],
      ['a thematic space with a UAI', { kind: 'thematic', uai: UAI }, 'uai'],
      ['an academic space with a UAI', { kind: 'academic', uai: UAI }, 'uai'],
      ['no space id', { spaceId: '' }, 'spaceId'],
    ])('refuses %s (VALIDATION on %s)', (_what, data, field) => {
      given([])
        .when(create(data as Partial<CreateSpace['data']>, dane))
        .thenThrows('VALIDATION', field);
    });

    it('takes an empty or null UAI on a thematic space as none', () => {
      given([]).when(create({ uai: '' })).then(creation({}, manager));
      given([]).when(create({ uai: null })).then(creation({}, manager));
    });
  });

  describe('a parent space', () => {
    it('is kept when the handler found it and the actor may see it', () => {
      given([])
        .when(create({ parentSpaceId: otherSpaceId, parent: { exists: true, visibleToActor: true } }))
        .then(creation({ parentSpaceId: otherSpaceId }, manager));
    });

    it('may be passed as the parent state the handler loaded', () => {
      const publicParent = foldEvents(spaceDecider, [spaceCreated({ spaceId: otherSpaceId })]);
      given([])
        .when(create({ parentSpaceId: otherSpaceId, parent: publicParent }, outsider))
        .then(creation({ parentSpaceId: otherSpaceId }, outsider));
    });

    it.each([
      ['does not exist', { exists: false, visibleToActor: false }],
      ['is hidden from the actor', { exists: true, visibleToActor: false }],
      ['was not looked up', undefined],
    ])('is refused as "does not exist" when it %s', (_why, parent) => {
      given([])
        .when(create({ parentSpaceId: otherSpaceId, parent }))
        .thenThrows('VALIDATION', 'parentSpaceId');
    });

    it('leaks nothing: a hidden parent gets the very message of a missing one', () => {
      const messageFor = (parent: CreateSpace['data']['parent']): string => {
        try {
          spaceDecider.decide(create({ parentSpaceId: otherSpaceId, parent }), spaceDecider.initialState());
        } catch (error) {
          return (error as DomainError).message;
        }
        throw new Error('expected a refusal');
      };
      const hiddenState = foldEvents(spaceDecider, [spaceCreated({ spaceId: otherSpaceId, visibility: 'private' })]);
      const missing = messageFor({ exists: false, visibleToActor: false });
      expect(missing).toMatch(/does not exist/);
      expect(messageFor({ exists: true, visibleToActor: false })).toBe(missing);
      expect(messageFor(hiddenState)).toBe(missing);
      expect(messageFor(spaceDecider.initialState())).toBe(missing);
    });

    it('a private parent the actor is a member of is fine, as is any parent for a dane', () => {
      const privateParent = [spaceCreated({ spaceId: otherSpaceId, visibility: 'private' })];
      const readerOfParent = memberAdded(manager.userId, 'reader');
      const asMember = foldEvents(spaceDecider, [...privateParent, { ...readerOfParent, data: { ...readerOfParent.data, spaceId: otherSpaceId } }]);
      given([])
        .when(create({ parentSpaceId: otherSpaceId, parent: asMember }))
        .then(creation({ parentSpaceId: otherSpaceId }, manager));
      given([])
        .when(create({ parentSpaceId: otherSpaceId, parent: foldEvents(spaceDecider, privateParent) }, dane))
        .then(creation({ parentSpaceId: otherSpaceId }, dane));
    });

    it('cannot be the space itself', () => {
      given([])
        .when(create({ parentSpaceId: spaceId, parent: { exists: true, visibleToActor: true } }))
        .thenThrows('VALIDATION', 'parentSpaceId');
    });
  });

  it.each([
    ['UpdateSpace', command('UpdateSpace', { spaceId, name: 'x' }, dane)],
    ['AddMember', command('AddMember', { spaceId, userId: outsider.userId, role: 'reader' }, dane)],
    ['ChangeMemberRole', command('ChangeMemberRole', { spaceId, userId: outsider.userId, role: 'reader' }, dane)],
    ['RemoveMember', command('RemoveMember', { spaceId, userId: outsider.userId }, outsider)],
    ['JoinSpace', command('JoinSpace', { spaceId }, outsider)],
    ['ApproveJoinRequest', command('ApproveJoinRequest', { spaceId, userId: outsider.userId }, dane)],
    ['RejectJoinRequest', command('RejectJoinRequest', { spaceId, userId: outsider.userId }, dane)],
  ])('%s answers NOT_FOUND', (_type, cmd) => {
    given([]).when(cmd).thenThrows('NOT_FOUND');
  });
});

describe('given a public space with a manager, a contributor and a reader', () => {
  const history = populatedSpace();

  it('cannot be created again', () => {
    given(history).when(create({})).thenThrows('CONFLICT');
  });

  describe('updating its details', () => {
    const update = (data: { name?: string; description?: string; visibility?: string }, actor: Actor = manager) =>
      command('UpdateSpace', { spaceId, ...data }, actor);

    it('a manager renames it, describes it and changes its visibility, one event per change', () => {
      given(history)
        .when(update({ name: ' PIX au collège ', description: 'Tout sur PIX', visibility: 'restricted' }))
        .then([
          { type: 'SpaceRenamed', data: { spaceId, name: 'PIX au collège', at, by: manager.userId } },
          { type: 'SpaceDescriptionChanged', data: { spaceId, description: 'Tout sur PIX', at, by: manager.userId } },
          { type: 'SpaceVisibilityChanged', data: { spaceId, visibility: 'restricted', at, by: manager.userId } },
        ]);
    });

    it('only what changed produces an event; no change produces none', () => {
      given(history)
        .when(update({ name: 'TRIBU PIX', description: 'Nouveau' }))
        .then([{ type: 'SpaceDescriptionChanged', data: { spaceId, description: 'Nouveau', at, by: manager.userId } }]);
      given(history).when(update({ name: '  TRIBU PIX ', visibility: 'public', description: '' })).thenNothingHappens();
      given(history).when(update({})).thenNothingHappens();
    });

    it('a dane may update any space without being a member', () => {
      given(history)
        .when(update({ visibility: 'private' }, dane))
        .then([{ type: 'SpaceVisibilityChanged', data: { spaceId, visibility: 'private', at, by: dane.userId } }]);
    });

    it.each([
      ['a contributor', contributor],
      ['a reader', reader],
      ['a signed-in non-member', outsider],
      ['the rrupn of another UAI', rrupnOfOtherUai],
    ])('%s may not (FORBIDDEN)', (_who, actor) => {
      given(history).when(update({ name: 'Mine' }, actor)).thenThrows('FORBIDDEN');
    });

    it('checks access before input: a contributor sending a bad name is FORBIDDEN, not told what is wrong', () => {
      given(history).when(update({ name: '' }, contributor)).thenThrows('FORBIDDEN');
    });

    it.each([
      [{ name: '' }, 'name'],
      [{ name: 'x'.repeat(121) }, 'name'],
      [{ description: 'x'.repeat(2001) }, 'description'],
      [{ visibility: 'hidden' }, 'visibility'],
    ])('refuses %p (VALIDATION on %s)', (data, field) => {
      given(history).when(update(data)).thenThrows('VALIDATION', field);
    });

    it('folds the changes: a renamed space compares against its new name', () => {
      const renamed = [...history, { type: 'SpaceRenamed' as const, data: { spaceId, name: 'PIX', at, by: manager.userId } }];
      given(renamed).when(update({ name: 'PIX' })).thenNothingHappens();
    });
  });

  describe('adding members', () => {
    const add = (userId: string, role: string, actor: Actor = manager) => command('AddMember', { spaceId, userId, role }, actor);

    it.each(['manager', 'contributor', 'reader'] as const)('a manager adds someone as %s', (role) => {
      given(history).when(add(outsider.userId, role)).then([memberAdded(outsider.userId, role)]);
    });

    it('a dane adds someone without being a member', () => {
      given(history).when(add(outsider.userId, 'reader', dane)).then([memberAdded(outsider.userId, 'reader', dane.userId)]);
    });

    it('adding a member again with the same role does nothing', () => {
      given(history).when(add(contributor.userId, 'contributor')).thenNothingHappens();
    });

    it('adding a member again with another role is a CONFLICT (change the role instead)', () => {
      given(history).when(add(contributor.userId, 'manager')).thenThrows('CONFLICT');
    });

    it.each([['a contributor', contributor], ['a reader', reader], ['a non-member', outsider]])('%s may not (FORBIDDEN)', (_who, actor) => {
      given(history).when(add('u-new', 'reader', actor)).thenThrows('FORBIDDEN');
    });

    it('refuses an unknown role and a missing user', () => {
      given(history).when(add('u-new', 'owner')).thenThrows('VALIDATION', 'role');
      given(history).when(add('', 'reader')).thenThrows('VALIDATION', 'userId');
    });
  });

  describe('changing roles', () => {
    const change = (userId: string, role: string, actor: Actor = manager) => command('ChangeMemberRole', { spaceId, userId, role }, actor);

    it('a manager promotes a contributor, recording the previous role', () => {
      given(history)
        .when(change(contributor.userId, 'manager'))
        .then([memberRoleChanged(contributor.userId, 'manager', 'contributor')]);
    });

    it('a manager turns a reader into a contributor; a dane may too', () => {
      given(history).when(change(reader.userId, 'contributor')).then([memberRoleChanged(reader.userId, 'contributor', 'reader')]);
      given(history)
        .when(change(reader.userId, 'contributor', dane))
        .then([memberRoleChanged(reader.userId, 'contributor', 'reader', dane.userId)]);
    });

    it('the same role does nothing', () => {
      given(history).when(change(reader.userId, 'reader')).thenNothingHappens();
    });

    it('the last manager cannot be demoted, not even by a dane (CONFLICT)', () => {
      given(history).when(change(manager.userId, 'contributor')).thenThrows('CONFLICT');
      given(history).when(change(manager.userId, 'reader', dane)).thenThrows('CONFLICT');
    });

    it('a non-member has no role to change (NOT_FOUND)', () => {
      given(history).when(change(outsider.userId, 'reader')).thenThrows('NOT_FOUND');
    });

    it('a contributor may not change roles, not even their own (FORBIDDEN)', () => {
      given(history).when(change(contributor.userId, 'manager', contributor)).thenThrows('FORBIDDEN');
    });

    it('refuses an unknown role', () => {
      given(history).when(change(reader.userId, 'admin')).thenThrows('VALIDATION', 'role');
    });
  });

  describe('removing and leaving', () => {
    const remove = (userId: string, actor: Actor) => command('RemoveMember', { spaceId, userId }, actor);

    it('a manager removes a member', () => {
      given(history).when(remove(contributor.userId, manager)).then([about('MemberRemoved', contributor.userId, manager.userId)]);
    });

    it('a dane removes a member', () => {
      given(history).when(remove(reader.userId, dane)).then([about('MemberRemoved', reader.userId, dane.userId)]);
    });

    it('a member leaves by themself', () => {
      given(history).when(remove(contributor.userId, contributor)).then([about('MemberLeft', contributor.userId, contributor.userId)]);
      given(history).when(remove(reader.userId, reader)).then([about('MemberLeft', reader.userId, reader.userId)]);
    });

    it('the last manager can neither leave nor be removed (CONFLICT)', () => {
      given(history).when(remove(manager.userId, manager)).thenThrows('CONFLICT');
      given(history).when(remove(manager.userId, dane)).thenThrows('CONFLICT');
    });

    it('a contributor may not remove someone else (FORBIDDEN)', () => {
      given(history).when(remove(reader.userId, contributor)).thenThrows('FORBIDDEN');
    });

    it('removing a non-member, or a non-member leaving, does nothing', () => {
      given(history).when(remove(outsider.userId, manager)).thenNothingHappens();
      given(history).when(remove(outsider.userId, outsider)).thenNothingHappens();
    });

    it('a removed member is no longer one: removing again does nothing, and they may join again', () => {
      const removed = [...history, about('MemberRemoved', contributor.userId, manager.userId)];
      given(removed).when(remove(contributor.userId, manager)).thenNothingHappens();
      given(removed).when(command('JoinSpace', { spaceId }, contributor)).then([memberJoined(contributor.userId)]);
    });
  });

  describe('joining', () => {
    it('a signed-in non-member becomes a contributor', () => {
      given(history).when(command('JoinSpace', { spaceId }, outsider)).then([memberJoined(outsider.userId)]);
    });

    it('a dane joins as a contributor too', () => {
      given(history).when(command('JoinSpace', { spaceId }, dane)).then([memberJoined(dane.userId)]);
    });

    it.each([['a manager', manager], ['a contributor', contributor], ['a reader', reader]])('%s joining does nothing', (_who, actor) => {
      given(history).when(command('JoinSpace', { spaceId }, actor)).thenNothingHappens();
    });

    it('once joined, joining again does nothing, and the new member may leave', () => {
      const joined = [...history, memberJoined(outsider.userId)];
      given(joined).when(command('JoinSpace', { spaceId }, outsider)).thenNothingHappens();
      given(joined).when(command('RemoveMember', { spaceId, userId: outsider.userId }, outsider)).then([about('MemberLeft', outsider.userId, outsider.userId)]);
    });
  });

  it('approving a request nobody made is NOT_FOUND; rejecting it does nothing', () => {
    given(history).when(command('ApproveJoinRequest', { spaceId, userId: outsider.userId }, manager)).thenThrows('NOT_FOUND');
    given(history).when(command('RejectJoinRequest', { spaceId, userId: outsider.userId }, manager)).thenNothingHappens();
  });

  it('approving a member is a retry that does nothing', () => {
    given(history).when(command('ApproveJoinRequest', { spaceId, userId: reader.userId }, manager)).thenNothingHappens();
  });
});

describe('given a space with two managers', () => {
  const history = [...populatedSpace(), memberAdded(secondManager.userId, 'manager')];
  const remove = (userId: string, actor: Actor) => command('RemoveMember', { spaceId, userId }, actor);

  it('a manager may demote themself or the other manager', () => {
    given(history)
      .when(command('ChangeMemberRole', { spaceId, userId: manager.userId, role: 'reader' }, manager))
      .then([memberRoleChanged(manager.userId, 'reader', 'manager')]);
    given(history)
      .when(command('ChangeMemberRole', { spaceId, userId: secondManager.userId, role: 'contributor' }, manager))
      .then([memberRoleChanged(secondManager.userId, 'contributor', 'manager')]);
  });

  it('one manager may leave, or be removed by the other', () => {
    given(history).when(remove(manager.userId, manager)).then([about('MemberLeft', manager.userId, manager.userId)]);
    given(history).when(remove(secondManager.userId, manager)).then([about('MemberRemoved', secondManager.userId, manager.userId)]);
  });

  it('once one has left, the other is the last manager again', () => {
    const oneLeft = [...history, about('MemberLeft', manager.userId, manager.userId)];
    given(oneLeft).when(remove(secondManager.userId, secondManager)).thenThrows('CONFLICT');
    // And the one who left no longer manages anything.
    given(oneLeft).when(command('AddMember', { spaceId, userId: 'u-new', role: 'reader' }, manager)).thenThrows('FORBIDDEN');
  });

  it('a promotion counts: after promoting the contributor, the first manager may leave', () => {
    const single = [...populatedSpace(), memberRoleChanged(contributor.userId, 'manager', 'contributor')];
    given(single).when(remove(manager.userId, manager)).then([about('MemberLeft', manager.userId, manager.userId)]);
  });

  it('a demotion counts: after demoting the second manager, the first is the last again', () => {
    const demoted = [...history, memberRoleChanged(secondManager.userId, 'reader', 'manager')];
    given(demoted).when(remove(manager.userId, manager)).thenThrows('CONFLICT');
  });
});

describe('given a restricted space', () => {
  const history = populatedSpace({ visibility: 'restricted' });

  it('a signed-in non-member asks to join', () => {
    given(history).when(command('JoinSpace', { spaceId }, outsider)).then([about('JoinRequested', outsider.userId, outsider.userId)]);
  });

  it('a member joining does nothing', () => {
    given(history).when(command('JoinSpace', { spaceId }, reader)).thenNothingHappens();
  });

  it('a non-member may not manage it, though they may know it exists (FORBIDDEN, not NOT_FOUND)', () => {
    given(history).when(command('UpdateSpace', { spaceId, name: 'x' }, outsider)).thenThrows('FORBIDDEN');
  });
});

describe('given a restricted space with a pending join request', () => {
  const history = [...populatedSpace({ visibility: 'restricted' }), about('JoinRequested', outsider.userId, outsider.userId)];
  const approve = (userId: string, actor: Actor = manager) => command('ApproveJoinRequest', { spaceId, userId }, actor);
  const reject = (userId: string, actor: Actor = manager) => command('RejectJoinRequest', { spaceId, userId }, actor);

  it('asking again does nothing', () => {
    given(history).when(command('JoinSpace', { spaceId }, outsider)).thenNothingHappens();
  });

  it('a manager approves it: the requester becomes a contributor', () => {
    given(history).when(approve(outsider.userId)).then([joinRequestApproved(outsider.userId)]);
  });

  it('a dane approves it too', () => {
    given(history).when(approve(outsider.userId, dane)).then([joinRequestApproved(outsider.userId, dane.userId)]);
  });

  it('a manager rejects it', () => {
    given(history).when(reject(outsider.userId)).then([about('JoinRequestRejected', outsider.userId, manager.userId)]);
  });

  it.each([['a contributor', contributor], ['a reader', reader], ['the requester', outsider]])(
    '%s may neither approve nor reject it (FORBIDDEN)',
    (_who, actor) => {
      given(history).when(approve(outsider.userId, actor)).thenThrows('FORBIDDEN');
      given(history).when(reject(outsider.userId, actor)).thenThrows('FORBIDDEN');
    },
  );

  it('approving someone who did not ask is NOT_FOUND', () => {
    given(history).when(approve('u-nobody')).thenThrows('NOT_FOUND');
  });

  it('the requester withdraws it by leaving', () => {
    given(history)
      .when(command('RemoveMember', { spaceId, userId: outsider.userId }, outsider))
      .then([about('JoinRequestCancelled', outsider.userId, outsider.userId)]);
  });

  it('grants no membership: the requester has no role to change', () => {
    given(history).when(command('ChangeMemberRole', { spaceId, userId: outsider.userId, role: 'reader' }, manager)).thenThrows('NOT_FOUND');
  });

  it('adding the requester directly settles the request', () => {
    given(history).when(command('AddMember', { spaceId, userId: outsider.userId, role: 'reader' }, manager)).then([memberAdded(outsider.userId, 'reader')]);
    const added = [...history, memberAdded(outsider.userId, 'reader')];
    given(added).when(reject(outsider.userId)).thenNothingHappens();
    given(added).when(approve(outsider.userId)).thenNothingHappens();
  });

  it('when the space turns public, the requester may join by themself', () => {
    const opened = [...history, { type: 'SpaceVisibilityChanged' as const, data: { spaceId, visibility: 'public' as const, at, by: manager.userId } }];
    given(opened).when(command('JoinSpace', { spaceId }, outsider)).then([memberJoined(outsider.userId)]);
    given([...opened, memberJoined(outsider.userId)]).when(reject(outsider.userId)).thenNothingHappens();
  });
});

describe('given an approved join request', () => {
  const history = [
    ...populatedSpace({ visibility: 'restricted' }),
    about('JoinRequested', outsider.userId, outsider.userId),
    joinRequestApproved(outsider.userId),
  ];

  it('the requester is a contributor: joining or approving again does nothing, and they may leave', () => {
    given(history).when(command('JoinSpace', { spaceId }, outsider)).thenNothingHappens();
    given(history).when(command('ApproveJoinRequest', { spaceId, userId: outsider.userId }, manager)).thenNothingHappens();
    given(history).when(command('AddMember', { spaceId, userId: outsider.userId, role: 'contributor' }, manager)).thenNothingHappens();
    given(history)
      .when(command('RemoveMember', { spaceId, userId: outsider.userId }, outsider))
      .then([about('MemberLeft', outsider.userId, outsider.userId)]);
  });
});

describe('given a rejected join request', () => {
  const history = [
    ...populatedSpace({ visibility: 'restricted' }),
    about('JoinRequested', outsider.userId, outsider.userId),
    about('JoinRequestRejected', outsider.userId, manager.userId),
  ];

  it('rejecting again does nothing, approving is NOT_FOUND, and the user may ask again', () => {
    given(history).when(command('RejectJoinRequest', { spaceId, userId: outsider.userId }, manager)).thenNothingHappens();
    given(history).when(command('ApproveJoinRequest', { spaceId, userId: outsider.userId }, manager)).thenThrows('NOT_FOUND');
    given(history).when(command('JoinSpace', { spaceId }, outsider)).then([about('JoinRequested', outsider.userId, outsider.userId)]);
  });
});

describe('given a private space', () => {
  const history = populatedSpace({ visibility: 'private' });

  it.each([
    ['JoinSpace', command('JoinSpace', { spaceId }, outsider)],
    ['RemoveMember (leave)', command('RemoveMember', { spaceId, userId: outsider.userId }, outsider)],
    ['UpdateSpace', command('UpdateSpace', { spaceId, name: 'x' }, outsider)],
    ['AddMember', command('AddMember', { spaceId, userId: outsider.userId, role: 'reader' }, outsider)],
    ['ChangeMemberRole', command('ChangeMemberRole', { spaceId, userId: reader.userId, role: 'manager' }, outsider)],
    ['ApproveJoinRequest', command('ApproveJoinRequest', { spaceId, userId: outsider.userId }, outsider)],
    ['RejectJoinRequest', command('RejectJoinRequest', { spaceId, userId: outsider.userId }, outsider)],
    ['JoinSpace by the rrupn of another UAI', command('JoinSpace', { spaceId }, rrupnOfOtherUai)],
  ])('a non-member learns nothing: %s is NOT_FOUND', (_what, cmd) => {
    given(history).when(cmd).thenThrows('NOT_FOUND');
  });

  it('a dane knows it exists but may not join it (FORBIDDEN); a dane may add themself', () => {
    given(history).when(command('JoinSpace', { spaceId }, dane)).thenThrows('FORBIDDEN');
    given(history)
      .when(command('AddMember', { spaceId, userId: dane.userId, role: 'reader' }, dane))
      .then([memberAdded(dane.userId, 'reader', dane.userId)]);
  });

  it('members act as in any space: a reader may not manage it (FORBIDDEN), a manager adds people', () => {
    given(history).when(command('UpdateSpace', { spaceId, name: 'x' }, reader)).thenThrows('FORBIDDEN');
    given(history).when(command('AddMember', { spaceId, userId: outsider.userId, role: 'reader' }, manager)).then([memberAdded(outsider.userId, 'reader')]);
    given(history).when(command('JoinSpace', { spaceId }, contributor)).thenNothingHappens();
  });
});

describe('given an establishment space created by the chef of its UAI', () => {
  const history = creation({ kind: 'establishment', uai: UAI, visibility: 'public' }, chefOfUai);

  it('the rrupn of that UAI has no implicit right: they may not manage it (FORBIDDEN)', () => {
    given(history).when(command('UpdateSpace', { spaceId, name: 'x' }, rrupnOfUai)).thenThrows('FORBIDDEN');
  });

  it('the chef, its first manager, adds the rrupn as manager', () => {
    given(history)
      .when(command('AddMember', { spaceId, userId: rrupnOfUai.userId, role: 'manager' }, chefOfUai))
      .then([memberAdded(rrupnOfUai.userId, 'manager', chefOfUai.userId)]);
  });
});

describe('decide', () => {
  it('needs a signed-in actor for every command', () => {
    given(populatedSpace()).when(command('JoinSpace', { spaceId }, { userId: '', roles: [] })).thenThrows('UNAUTHENTICATED');
  });

  it('does not change the state it was given', () => {
    const state = foldEvents(spaceDecider, [...populatedSpace({ visibility: 'restricted' }), about('JoinRequested', 'u-x', 'u-x')]);
    if (state.status !== 'active') throw new Error('expected a space');
    const snapshot = () => JSON.stringify({ ...state, members: [...state.members], joinRequests: [...state.joinRequests] });
    const before = snapshot();
    spaceDecider.decide(command('JoinSpace', { spaceId }, outsider), state);
    spaceDecider.decide(command('ApproveJoinRequest', { spaceId, userId: 'u-x' }, manager), state);
    spaceDecider.decide(command('RemoveMember', { spaceId, userId: reader.userId }, manager), state);
    spaceDecider.decide(command('UpdateSpace', { spaceId, name: 'Autre' }, manager), state);
    expect(snapshot()).toBe(before);
  });

  it('evolve does not change the state it was given either', () => {
    const state = foldEvents(spaceDecider, populatedSpace());
    if (state.status !== 'active') throw new Error('expected a space');
    const next = spaceDecider.evolve(state, about('MemberRemoved', reader.userId, manager.userId));
    expect(state.members.get(reader.userId)).toBe('reader');
    expect(next.status === 'active' && next.members.has(reader.userId)).toBe(false);
  });
});
