import { type Actor, MARKDOWN_MAX_BYTES, NO_SPACE_RIGHTS, type SpaceRights } from '#ruche/domain-kit';
import { DeciderSpecification } from '#ruche/domain-kit/testing';
import { entryVisibility, mayEditEntry } from './faq-entry.access.js';
import { type FaqCommand, faqEntryDecider, type TopicToPromote } from './faq-entry.decide.js';
import {
  type FaqEntryDrafted,
  type FaqEntryEdited,
  type FaqEntryMoved,
  type FaqEntryPublished,
  type FaqEntryUnpublished,
  faqEventTypes,
  faqStreamName,
  isFaqEvent,
} from './faq-entry.js';

const now = new Date('2026-03-02T09:00:00.000Z');
const at = now.toISOString();
const entryId = '0195a1b2-0000-7000-8000-00000000f001';
const spaceId = '0195a1b2-0000-7000-8000-00000000a001';
const topicId = '0195a1b2-0000-7000-8000-00000000b001';

const actors = {
  dane: { userId: 'u-dane', roles: ['dane'] },
  manager: { userId: 'u-manager', roles: ['enseignant'] },
  author: { userId: 'u-author', roles: ['referent_pix'] },
  contributor: { userId: 'u-contributor', roles: ['enseignant'] },
  reader: { userId: 'u-reader', roles: ['inspecteur'] },
  outsider: { userId: 'u-outsider', roles: ['enseignant'] },
} satisfies Record<string, Actor>;

/** The rights each actor has in the space, as spaceRights would compute them. */
const rights = {
  manager: { mayKnow: true, read: true, contribute: true, manage: true },
  contributor: { mayKnow: true, read: true, contribute: true, manage: false },
  reader: { mayKnow: true, read: true, contribute: false, manage: false },
  restrictedOutsider: { mayKnow: true, read: false, contribute: false, manage: false },
  privateOutsider: NO_SPACE_RIGHTS,
} satisfies Record<string, SpaceRights>;

type Data<T extends FaqCommand['type']> = Extract<FaqCommand, { type: T }>['data'];
function command<T extends FaqCommand['type']>(type: T, data: Data<T>, actor: Actor): Extract<FaqCommand, { type: T }> {
  return { type, data, metadata: { actor, now, correlationId: 'c-1' } } as Extract<FaqCommand, { type: T }>;
}

const stamp = (by: string) => ({ entryId, spaceId, at, by });

const drafted = (data: Partial<FaqEntryDrafted['data']> = {}): FaqEntryDrafted => ({
  type: 'FaqEntryDrafted',
  data: { question: 'Comment activer Pix Orga ?', answer: 'Depuis **l’ENT**.', category: 'Général', order: 0, ...stamp(actors.author.userId), ...data },
});
const edited = (data: Omit<FaqEntryEdited['data'], 'entryId' | 'spaceId' | 'at' | 'by'>, by: string): FaqEntryEdited => ({
  type: 'FaqEntryEdited',
  data: { ...data, ...stamp(by) },
});
const published = (firstTime = true, by = actors.manager.userId): FaqEntryPublished => ({ type: 'FaqEntryPublished', data: { firstTime, ...stamp(by) } });
const unpublished = (by = actors.manager.userId): FaqEntryUnpublished => ({ type: 'FaqEntryUnpublished', data: stamp(by) });
const moved = (order: number, by = actors.manager.userId): FaqEntryMoved => ({ type: 'FaqEntryMoved', data: { order, ...stamp(by) } });

const given = DeciderSpecification.for(faqEntryDecider);

const draft = (data: Partial<Data<'DraftFaqEntry'>> = {}, actor: Actor = actors.author, r: SpaceRights = rights.contributor) =>
  command('DraftFaqEntry', { entryId, spaceId, rights: r, question: 'Comment activer Pix Orga ?', answer: 'Depuis **l’ENT**.', ...data }, actor);
const edit = (data: Omit<Data<'EditFaqEntry'>, 'rights'>, actor: Actor, r: SpaceRights) => command('EditFaqEntry', { rights: r, ...data }, actor);
const publish = (actor: Actor, r: SpaceRights) => command('PublishFaqEntry', { rights: r }, actor);
const unpublish = (actor: Actor, r: SpaceRights) => command('UnpublishFaqEntry', { rights: r }, actor);

const solvedTopic = (overrides: Partial<TopicToPromote> = {}): TopicToPromote => ({
  topicId,
  spaceId,
  title: '  Où trouver les fiches PIX ?  ',
  authorId: actors.author.userId,
  solution: { postId: 'p-2', body: 'Dans l’onglet **Documents**.' },
  ...overrides,
});
const promote = (topic: TopicToPromote | undefined, actor: Actor, r: SpaceRights, category?: unknown) =>
  command('PromoteTopicToFaq', { entryId, rights: r, topic, ...(category === undefined ? {} : { category }) }, actor);

const over200kB = 'a'.repeat(MARKDOWN_MAX_BYTES + 1);

describe('faq streams', () => {
  it('are named faq-<entryId> and list every event type once', () => {
    expect(faqStreamName(entryId)).toBe(`faq-${entryId}`);
    expect([...faqEventTypes].sort()).toEqual(['FaqEntryDrafted', 'FaqEntryEdited', 'FaqEntryMoved', 'FaqEntryPublished', 'FaqEntryUnpublished']);
    expect(isFaqEvent(drafted())).toBe(true);
    expect(isFaqEvent({ type: 'TopicOpened' })).toBe(false);
  });
});

describe('given no entry', () => {
  it('lets a contributor draft an entry, trimmed, in the default category "Général" at order 0', () => {
    given([])
      .when(draft({ question: '  Comment activer Pix Orga ?  ', answer: '\n\nDepuis **l’ENT**.\n\n' }))
      .then([drafted()]);
  });

  it('keeps the category given, trimmed', () => {
    given([]).when(draft({ category: '  PIX Orga ' })).then([drafted({ category: 'PIX Orga' })]);
  });

  it('lets a manager and the dane draft too', () => {
    given([]).when(draft({}, actors.manager, rights.manager)).then([drafted({ by: actors.manager.userId })]);
    given([]).when(draft({}, actors.dane, rights.manager)).then([drafted({ by: actors.dane.userId })]);
  });

  it('refuses a reader (403), a non-member of a restricted space (403) and of a private one (404)', () => {
    given([]).when(draft({}, actors.reader, rights.reader)).thenThrows('FORBIDDEN');
    given([]).when(draft({}, actors.outsider, rights.restrictedOutsider)).thenThrows('FORBIDDEN');
    given([]).when(draft({}, actors.outsider, rights.privateOutsider)).thenThrows('NOT_FOUND');
  });

  it.each([
    ['an empty question', { question: '' }, 'question'],
    ['a blank question', { question: '   \n ' }, 'question'],
    ['a 301-character question', { question: 'q'.repeat(301) }, 'question'],
    ['a question that is not a string', { question: 42 }, 'question'],
    ['an empty answer', { answer: '' }, 'answer'],
    ['a blank answer', { answer: ' \n\t ' }, 'answer'],
    ['an empty category', { category: '' }, 'category'],
    ['a blank category', { category: '   ' }, 'category'],
    ['a 61-character category', { category: 'c'.repeat(61) }, 'category'],
  ])('refuses %s, naming the field', (_case, data, field) => {
    given([]).when(draft(data)).thenThrows('VALIDATION', field);
  });

  it('accepts a 300-character question and a 60-character category (limits in characters, accents count once)', () => {
    const question = 'é'.repeat(300);
    const category = 'ç'.repeat(60);
    given([]).when(draft({ question, category })).then([drafted({ question, category })]);
  });

  it('refuses an answer over 200 kB as TOO_LARGE (413)', () => {
    given([]).when(draft({ answer: over200kB })).thenThrows('TOO_LARGE', 'answer');
  });

  it('checks access before input: a reader with a bad question is refused as FORBIDDEN', () => {
    given([]).when(draft({ question: '' }, actors.reader, rights.reader)).thenThrows('FORBIDDEN');
  });

  it.each([
    ['edit', edit({ question: 'Nouvelle ?' }, actors.manager, rights.manager)],
    ['publish', publish(actors.manager, rights.manager)],
    ['unpublish', unpublish(actors.manager, rights.manager)],
  ])('cannot %s an entry that does not exist (404)', (_name, cmd) => {
    given([]).when(cmd).thenThrows('NOT_FOUND');
  });
});

describe('given a draft', () => {
  const history = [drafted()];

  it('refuses drafting it again (409)', () => {
    given(history).when(draft()).thenThrows('CONFLICT');
  });

  describe('who sees it', () => {
    it('is visible to its author and the managers, hidden (404) from other contributors, readers and outsiders', () => {
      given(history).when(edit({ order: 1 }, actors.contributor, rights.contributor)).thenThrows('NOT_FOUND');
      given(history).when(publish(actors.reader, rights.reader)).thenThrows('NOT_FOUND');
      given(history).when(publish(actors.outsider, rights.restrictedOutsider)).thenThrows('NOT_FOUND');
      given(history).when(publish(actors.outsider, rights.privateOutsider)).thenThrows('NOT_FOUND');
    });

    it('the access rules say the same for the query side', () => {
      const entry = { status: 'draft' as const, authorId: actors.author.userId };
      expect(entryVisibility(entry, rights.contributor, actors.author.userId)).toBe('visible');
      expect(entryVisibility(entry, rights.manager, actors.manager.userId)).toBe('visible');
      expect(entryVisibility(entry, rights.contributor, actors.contributor.userId)).toBe('hidden');
      expect(entryVisibility(entry, rights.reader, actors.reader.userId)).toBe('hidden');
      expect(entryVisibility({ ...entry, status: 'published' }, rights.reader, actors.reader.userId)).toBe('visible');
      expect(entryVisibility({ ...entry, status: 'published' }, rights.restrictedOutsider, actors.outsider.userId)).toBe('forbidden');
      expect(entryVisibility({ ...entry, status: 'published' }, rights.privateOutsider, actors.outsider.userId)).toBe('hidden');
    });
  });

  describe('editing', () => {
    it('lets the author edit question, answer and category; only changed fields are recorded', () => {
      given(history)
        .when(edit({ question: ' Comment activer Pix Orga ? ', answer: 'Depuis le **GAR**.', category: 'PIX' }, actors.author, rights.contributor))
        .then([edited({ answer: 'Depuis le **GAR**.', category: 'PIX' }, actors.author.userId)]);
    });

    it('lets a manager edit it', () => {
      given(history).when(edit({ question: 'Autre ?' }, actors.manager, rights.manager)).then([edited({ question: 'Autre ?' }, actors.manager.userId)]);
    });

    it('does nothing when nothing changes', () => {
      given(history).when(edit({ question: 'Comment activer Pix Orga ?', category: 'Général' }, actors.author, rights.contributor)).thenNothingHappens();
      given(history).when(edit({}, actors.author, rights.contributor)).thenNothingHappens();
    });

    it('refuses an author who is now a reader of the space (403)', () => {
      given(history).when(edit({ question: 'Autre ?' }, actors.author, rights.reader)).thenThrows('FORBIDDEN');
    });

    it('refuses the author a new order (managers order entries)', () => {
      given(history).when(edit({ order: 3 }, actors.author, rights.contributor)).thenThrows('FORBIDDEN');
    });

    it.each([
      ['an empty question', { question: '' }, 'question'],
      ['a 301-character question', { question: 'x'.repeat(301) }, 'question'],
      ['a blank answer', { answer: '  ' }, 'answer'],
      ['a blank category', { category: ' ' }, 'category'],
      ['a question set to null', { question: null }, 'question'],
    ])('refuses %s, naming the field', (_case, data, field) => {
      given(history).when(edit(data, actors.author, rights.contributor)).thenThrows('VALIDATION', field);
    });

    it('refuses an answer over 200 kB (413)', () => {
      given(history).when(edit({ answer: over200kB }, actors.author, rights.contributor)).thenThrows('TOO_LARGE', 'answer');
    });
  });

  describe('ordering', () => {
    it('lets a manager move it within its category', () => {
      given(history).when(edit({ order: -5 }, actors.manager, rights.manager)).then([moved(-5)]);
    });

    it('records an edit and a move together', () => {
      given(history)
        .when(edit({ category: 'PIX', order: 2 }, actors.manager, rights.manager))
        .then([edited({ category: 'PIX' }, actors.manager.userId), moved(2)]);
    });

    it('does nothing when the order is the same', () => {
      given(history).when(edit({ order: 0 }, actors.manager, rights.manager)).thenNothingHappens();
    });

    it.each([[1.5], [1_000_001], [-1_000_001], ['3'], [null], [Number.NaN]])('refuses order %p', (order) => {
      given(history).when(edit({ order }, actors.manager, rights.manager)).thenThrows('VALIDATION', 'order');
    });
  });

  describe('publishing', () => {
    it('lets a manager (or the dane) publish it, the first time', () => {
      given(history).when(publish(actors.manager, rights.manager)).then([published(true)]);
      given(history).when(publish(actors.dane, rights.manager)).then([published(true, actors.dane.userId)]);
    });

    it('refuses the author, a contributor (403)', () => {
      given(history).when(publish(actors.author, rights.contributor)).thenThrows('FORBIDDEN');
    });

    it('does nothing when unpublishing a draft', () => {
      given(history).when(unpublish(actors.manager, rights.manager)).thenNothingHappens();
    });

    it('refuses the author to unpublish (403)', () => {
      given(history).when(unpublish(actors.author, rights.contributor)).thenThrows('FORBIDDEN');
    });
  });
});

describe('given a published entry', () => {
  const history = [drafted(), published()];

  it('is visible to every reader, and forbidden (403) to a non-member of a restricted space', () => {
    given(history).when(publish(actors.reader, rights.reader)).thenThrows('FORBIDDEN');
    given(history).when(publish(actors.outsider, rights.restrictedOutsider)).thenThrows('FORBIDDEN');
    given(history).when(publish(actors.outsider, rights.privateOutsider)).thenThrows('NOT_FOUND');
  });

  it('does nothing when published again', () => {
    given(history).when(publish(actors.manager, rights.manager)).thenNothingHappens();
  });

  it('lets a manager unpublish it back to draft', () => {
    given(history).when(unpublish(actors.manager, rights.manager)).then([unpublished()]);
  });

  it('refuses a contributor to unpublish it (403)', () => {
    given(history).when(unpublish(actors.contributor, rights.contributor)).thenThrows('FORBIDDEN');
  });

  it('is edited by managers only: its author and other contributors get 403', () => {
    given(history).when(edit({ question: 'Autre ?' }, actors.manager, rights.manager)).then([edited({ question: 'Autre ?' }, actors.manager.userId)]);
    given(history).when(edit({ question: 'Autre ?' }, actors.author, rights.contributor)).thenThrows('FORBIDDEN');
    given(history).when(edit({ question: 'Autre ?' }, actors.contributor, rights.contributor)).thenThrows('FORBIDDEN');
    given(history).when(edit({ question: 'Autre ?' }, actors.reader, rights.reader)).thenThrows('FORBIDDEN');
  });

  it('checks rights before input: the author with a blank question gets 403, not 400', () => {
    given(history).when(edit({ question: '' }, actors.author, rights.contributor)).thenThrows('FORBIDDEN');
  });

  it('the access rules agree: author may edit a draft only, managers always', () => {
    const entry = { status: 'published' as const, authorId: actors.author.userId };
    expect(mayEditEntry(entry, rights.contributor, actors.author.userId)).toBe(false);
    expect(mayEditEntry({ ...entry, status: 'draft' }, rights.contributor, actors.author.userId)).toBe(true);
    expect(mayEditEntry(entry, rights.manager, actors.manager.userId)).toBe(true);
  });
});

describe('given an unpublished entry', () => {
  const history = [drafted(), published(), unpublished()];

  it('is a draft again: hidden from readers, editable by its author', () => {
    given(history).when(unpublish(actors.reader, rights.reader)).thenThrows('NOT_FOUND');
    given(history).when(edit({ answer: 'Mise à jour.' }, actors.author, rights.contributor)).then([edited({ answer: 'Mise à jour.' }, actors.author.userId)]);
  });

  it('published again is not a first publication', () => {
    given(history).when(publish(actors.manager, rights.manager)).then([published(false)]);
  });

  it('keeps the order a manager gave it', () => {
    given([...history, moved(4)]).when(edit({ order: 4 }, actors.manager, rights.manager)).thenNothingHappens();
  });
});

describe('promoting a topic', () => {
  const promotedDraft = (by: string, category = 'Général') =>
    drafted({ question: 'Où trouver les fiches PIX ?', answer: 'Dans l’onglet **Documents**.', category, fromTopicId: topicId, by });

  it('lets a manager turn a solved topic into a draft linked to the topic', () => {
    given([]).when(promote(solvedTopic(), actors.manager, rights.manager)).then([promotedDraft(actors.manager.userId)]);
  });

  it("lets the topic's author (a contributor) promote it, into the category asked", () => {
    given([]).when(promote(solvedTopic(), actors.author, rights.contributor, ' PIX ')).then([promotedDraft(actors.author.userId, 'PIX')]);
  });

  it('refuses another contributor and a reader (403)', () => {
    given([]).when(promote(solvedTopic(), actors.contributor, rights.contributor)).thenThrows('FORBIDDEN');
    given([]).when(promote(solvedTopic({ authorId: actors.reader.userId }), actors.reader, rights.reader)).thenThrows('FORBIDDEN');
  });

  it('answers 404 for a topic that does not exist or lives in a private space the actor may not know', () => {
    given([]).when(promote(undefined, actors.manager, rights.manager)).thenThrows('NOT_FOUND');
    given([]).when(promote(solvedTopic(), actors.outsider, rights.privateOutsider)).thenThrows('NOT_FOUND');
  });

  it('refuses a topic with no solution, or whose solution was deleted (409)', () => {
    const { solution: _none, ...unsolved } = solvedTopic();
    given([]).when(promote(unsolved, actors.manager, rights.manager)).thenThrows('CONFLICT');
    given([]).when(promote(solvedTopic({ solution: { postId: 'p-2', body: null } }), actors.manager, rights.manager)).thenThrows('CONFLICT');
  });

  it('refuses a blank category, naming it', () => {
    given([]).when(promote(solvedTopic(), actors.manager, rights.manager, '  ')).thenThrows('VALIDATION', 'category');
  });

  it('refuses to promote the same topic twice (409: its entry exists)', () => {
    given([promotedDraft(actors.manager.userId)]).when(promote(solvedTopic(), actors.manager, rights.manager)).thenThrows('CONFLICT');
  });
});
