import { DomainError, foldEvents, MARKDOWN_MAX_BYTES } from '#ruche/domain-kit';
import { DeciderSpecification } from '#ruche/domain-kit/testing';
import { documentDecider } from './document.decide.js';
import { documentEventTypes, documentStreamName, isDocumentEvent, type DocumentEvent } from './document.js';
import { actors, at, command, created, documentId, now, read, revised, spaceId, type Who } from './document.fixtures.js';

const given = DeciderSpecification.for(documentDecider);

const stamp = (by: string = actors.contributor.userId, when: string = at) => ({ documentId, spaceId, at: when, by });
const minutesLater = (minutes: number): Date => new Date(now.getTime() + minutes * 60_000);

const create = (data: Record<string, unknown> = {}, who: Who = 'contributor') =>
  command('CreateDocument', { spaceId, title: 'Évaluer avec PIX', body: '# Fiche\n\nPremière version', competences: ['3.1', '1.1'], ...data }, who);
const write = (data: Record<string, unknown>, who: Who = 'contributor') =>
  command('WriteDocumentContent', { body: 'Nouvelle version', baseRevision: 1, ...data }, who);
const restore = (revision: unknown, body: string | undefined, who: Who = 'contributor', summary?: unknown) =>
  command('RestoreDocumentRevision', { revision, body, ...(summary === undefined ? {} : { summary }) }, who);
const update = (data: Record<string, unknown>, who: Who = 'contributor') => command('UpdateDocument', data, who);
const consult = (who: Who, when: Date = now) => command('ReadDocument', {}, who, when);

/** A document at revision 3: created, then two revisions. */
const atRevision3: DocumentEvent[] = [created(), revised(2, 'Deuxième version'), revised(3, 'Troisième version', {}, actors.manager.userId)];

describe('document streams', () => {
  it('are named document-<id> and list every event type once', () => {
    expect(documentStreamName(documentId)).toBe(`document-${documentId}`);
    expect([...documentEventTypes].sort()).toEqual(
      ['DocumentCompetencesChanged', 'DocumentCreated', 'DocumentRead', 'DocumentRetitled', 'DocumentRevised'].sort(),
    );
    expect(isDocumentEvent(created())).toBe(true);
    expect(isDocumentEvent({ type: 'TopicOpened' })).toBe(false);
  });

  it('keep only the current body in the state, however many revisions there were', () => {
    const events = [created(), ...Array.from({ length: 50 }, (_, i) => revised(i + 2, `version ${i + 2}`))];
    const state = foldEvents(documentDecider, events);
    expect(state).toMatchObject({ revision: 51, currentBody: 'version 51' });
    expect(JSON.stringify({ ...state, lastReadAt: [] })).not.toContain('version 50');
  });

  it('evolve returns a new state and leaves the one it is given alone (states are cached)', () => {
    const before = foldEvents(documentDecider, [created()]);
    const snapshot = JSON.stringify({ ...before, lastReadAt: [] });
    const after = documentDecider.evolve(before, read(actors.reader.userId));
    documentDecider.evolve(after, revised(2, 'x'));
    expect(JSON.stringify({ ...before, lastReadAt: [] })).toBe(snapshot);
    expect(before.status === 'active' && before.lastReadAt.size).toBe(0);
  });

  it('ignore events before the creation', () => {
    expect(foldEvents(documentDecider, [revised(2, 'orphan')])).toEqual({ status: 'none' });
  });
});

describe('given no document', () => {
  it('a contributor creates it as revision 1, title trimmed, competences in the framework order', () => {
    given([])
      .when(create({ title: '  Évaluer avec PIX  ' }))
      .then([
        {
          type: 'DocumentCreated',
          data: { title: 'Évaluer avec PIX', body: '# Fiche\n\nPremière version', competences: ['1.1', '3.1'], revision: 1, ...stamp() },
        },
      ]);
  });

  it('a manager creates one too', () => {
    given([])
      .when(create({}, 'manager'))
      .then(created({}, actors.manager.userId));
  });

  it('accepts a title of 200 characters (counted in code points) and a body of exactly 200 kB', () => {
    const title = 'é'.repeat(150) + '🐝'.repeat(50);
    const body = 'x'.repeat(MARKDOWN_MAX_BYTES);
    given([])
      .when(create({ title, body }))
      .then(created({ title, body }));
  });

  it('a reader may not create; an outsider neither; a stranger to a private space gets NOT_FOUND', () => {
    given([]).when(create({}, 'reader')).thenThrows('FORBIDDEN');
    given([]).when(create({}, 'outsider')).thenThrows('FORBIDDEN');
    given([]).when(create({}, 'stranger')).thenThrows('NOT_FOUND');
  });

  it('access comes before input: a stranger with a blank title still gets NOT_FOUND, a reader FORBIDDEN', () => {
    given([]).when(create({ title: ' ' }, 'stranger')).thenThrows('NOT_FOUND');
    given([]).when(create({ title: ' ' }, 'reader')).thenThrows('FORBIDDEN');
  });

  it.each([
    ['an empty title', { title: '' }, 'VALIDATION', 'title'],
    ['a blank title', { title: ' \t ' }, 'VALIDATION', 'title'],
    ['a title of 201 characters', { title: 't'.repeat(201) }, 'VALIDATION', 'title'],
    ['a title of 300 characters', { title: 't'.repeat(300) }, 'VALIDATION', 'title'],
    ['a title that is not text', { title: 42 }, 'VALIDATION', 'title'],
    ['an empty body', { body: '' }, 'VALIDATION', 'body'],
    ['a blank body', { body: '  \n\n ' }, 'VALIDATION', 'body'],
    ['a body over 200 kB', { body: 'x'.repeat(MARKDOWN_MAX_BYTES + 1) }, 'TOO_LARGE', 'body'],
    ['a body over 200 kB in UTF-8 only', { body: 'é'.repeat(MARKDOWN_MAX_BYTES / 2 + 1) }, 'TOO_LARGE', 'body'],
    ['an unknown competence code', { competences: ['1.1', '6.1'] }, 'VALIDATION', 'competences'],
    ['a competence that is not a code', { competences: [1.1] }, 'VALIDATION', 'competences'],
    ['no competence', { competences: [] }, 'VALIDATION', 'competences'],
    ['competences that are not a list', { competences: '1.1' }, 'VALIDATION', 'competences'],
    ['no document id', { documentId: '' }, 'VALIDATION', 'documentId'],
  ] as const)('refuses %s (%s on %s)', (_what, data, code, field) => {
    given([]).when(create(data)).thenThrows(code, field);
  });

  it('names the unknown code in the message', () => {
    expect(() => documentDecider.decide(create({ competences: ['9.9'] }), documentDecider.initialState())).toThrow(/"9\.9"/);
  });

  it('drops duplicate competences', () => {
    given([])
      .when(create({ competences: ['3.1', '1.1', '3.1'] }))
      .then(created());
  });

  it.each([
    ['a content write', () => write({})],
    ['a restore', () => restore(1, 'x')],
    ['a change of title', () => update({ title: 'x' })],
    ['a consultation', () => consult('reader')],
  ])('%s is NOT_FOUND', (_what, make) => {
    given([]).when(make()).thenThrows('NOT_FOUND');
  });

  it('nobody acts without being signed in', () => {
    const anonymous = { ...create(), metadata: { actor: { userId: '', roles: [] }, now } };
    given([]).when(anonymous).thenThrows('UNAUTHENTICATED');
  });
});

describe('given a document', () => {
  it('refuses to create it again', () => {
    given([created()]).when(create()).thenThrows('CONFLICT');
  });

  describe('writing its content', () => {
    it('on the current revision makes the next one, with the author, the time and the summary (trimmed)', () => {
      given([created()])
        .when(write({ body: 'Nouvelle version', summary: '  Ajout des exemples  ' }))
        .then([{ type: 'DocumentRevised', data: { revision: 2, body: 'Nouvelle version', summary: 'Ajout des exemples', ...stamp() } }]);
    });

    it('without a summary (or a blank one) records none', () => {
      given([created()]).when(write({})).then(revised(2, 'Nouvelle version'));
      given([created()]).when(write({ summary: '   ' })).then(revised(2, 'Nouvelle version'));
      given([created()]).when(write({ summary: null })).then(revised(2, 'Nouvelle version'));
    });

    it('accepts a summary of 300 characters and refuses 301', () => {
      given([created()]).when(write({ summary: 's'.repeat(300) })).then(revised(2, 'Nouvelle version', { summary: 's'.repeat(300) }));
      given([created()]).when(write({ summary: 's'.repeat(301) })).thenThrows('VALIDATION', 'summary');
    });

    it('by a manager too; a reader, an outsider and a stranger may not', () => {
      given(atRevision3)
        .when(write({ baseRevision: 3 }, 'manager'))
        .then(revised(4, 'Nouvelle version', {}, actors.manager.userId));
      given(atRevision3).when(write({ baseRevision: 3 }, 'reader')).thenThrows('FORBIDDEN');
      given(atRevision3).when(write({ baseRevision: 3 }, 'outsider')).thenThrows('FORBIDDEN');
      given(atRevision3).when(write({ baseRevision: 3 }, 'stranger')).thenThrows('NOT_FOUND');
    });

    it('on a stale base is a CONFLICT carrying the current revision and its body', () => {
      given(atRevision3).when(write({ baseRevision: 2 })).thenThrows('CONFLICT');
      try {
        documentDecider.decide(write({ baseRevision: 1 }), foldEvents(documentDecider, atRevision3));
        throw new Error('expected a conflict');
      } catch (error) {
        expect(error).toBeInstanceOf(DomainError);
        expect((error as DomainError).details).toEqual({ currentRevision: 3, currentBody: 'Troisième version' });
      }
    });

    it('on a base in the future is a VALIDATION error on baseRevision', () => {
      given(atRevision3).when(write({ baseRevision: 4 })).thenThrows('VALIDATION', 'baseRevision');
      given([created()]).when(write({ baseRevision: 99 })).thenThrows('VALIDATION', 'baseRevision');
    });

    it.each([[0], [-1], [1.5], ['1'], [null], [undefined]])('refuses baseRevision %p (VALIDATION on baseRevision)', (baseRevision) => {
      given([created()]).when(write({ baseRevision })).thenThrows('VALIDATION', 'baseRevision');
    });

    it('with the current body changes nothing, even from a stale base', () => {
      given(atRevision3).when(write({ body: 'Troisième version', baseRevision: 3 })).thenNothingHappens();
      given(atRevision3).when(write({ body: 'Troisième version', baseRevision: 1 })).thenNothingHappens();
    });

    it.each([
      ['an empty body', { body: '' }, 'VALIDATION', 'body'],
      ['a blank body', { body: '\n  \n' }, 'VALIDATION', 'body'],
      ['a body over 200 kB', { body: 'x'.repeat(MARKDOWN_MAX_BYTES + 1) }, 'TOO_LARGE', 'body'],
    ] as const)('refuses %s (%s on %s), before looking at the base', (_what, data, code, field) => {
      given(atRevision3).when(write({ ...data, baseRevision: 1 })).thenThrows(code, field);
    });
  });

  describe('restoring a revision', () => {
    it('makes a new revision with that content, saying where it came from', () => {
      given(atRevision3)
        .when(restore(1, '# Fiche\n\nPremière version', 'contributor', 'Retour à la première version'))
        .then([
          {
            type: 'DocumentRevised',
            data: { revision: 4, body: '# Fiche\n\nPremière version', summary: 'Retour à la première version', restoredFrom: 1, ...stamp() },
          },
        ]);
    });

    it('without a summary records none', () => {
      given(atRevision3).when(restore(2, 'Deuxième version')).then(revised(4, 'Deuxième version', { restoredFrom: 2 }));
    });

    it('of the content already current changes nothing', () => {
      given(atRevision3).when(restore(3, 'Troisième version')).thenNothingHappens();
    });

    it.each([[4], [0], [-1], [2.5], ['1'], [undefined]])('of revision %p, which does not exist, is NOT_FOUND on revision', (revision) => {
      given(atRevision3).when(restore(revision, 'x')).thenThrows('NOT_FOUND', 'revision');
    });

    it('whose body the handler did not find is NOT_FOUND on revision', () => {
      given(atRevision3).when(restore(2, undefined)).thenThrows('NOT_FOUND', 'revision');
    });

    it('is for contributors: a reader is FORBIDDEN, a stranger NOT_FOUND', () => {
      given(atRevision3).when(restore(1, 'x', 'reader')).thenThrows('FORBIDDEN');
      given(atRevision3).when(restore(1, 'x', 'stranger')).thenThrows('NOT_FOUND');
    });

    it('refuses a summary of 301 characters', () => {
      given(atRevision3).when(restore(1, 'x', 'contributor', 's'.repeat(301))).thenThrows('VALIDATION', 'summary');
    });
  });

  describe('changing its title and competences', () => {
    it('retitles (trimmed) and re-tags, with the previous competences, in one decision', () => {
      given([created()])
        .when(update({ title: '  Sécuriser ses comptes ', competences: ['4.2', '4.1'] }))
        .then([
          { type: 'DocumentRetitled', data: { title: 'Sécuriser ses comptes', ...stamp() } },
          { type: 'DocumentCompetencesChanged', data: { competences: ['4.1', '4.2'], previousCompetences: ['1.1', '3.1'], ...stamp() } },
        ]);
    });

    it('changes only what differs', () => {
      given([created()])
        .when(update({ title: 'Évaluer avec PIX', competences: ['5.1'] }))
        .then([{ type: 'DocumentCompetencesChanged', data: { competences: ['5.1'], previousCompetences: ['1.1', '3.1'], ...stamp() } }]);
      given([created()]).when(update({ title: 'Évaluer avec PIX', competences: ['3.1', '1.1'] })).thenNothingHappens();
      given([created()]).when(update({})).thenNothingHappens();
    });

    it('sees the latest title and competences', () => {
      const retitled: DocumentEvent = { type: 'DocumentRetitled', data: { title: 'Autre titre', ...stamp() } };
      const retagged: DocumentEvent = {
        type: 'DocumentCompetencesChanged',
        data: { competences: ['2.1'], previousCompetences: ['1.1', '3.1'], ...stamp() },
      };
      given([created(), retitled, retagged]).when(update({ title: 'Autre titre', competences: ['2.1'] })).thenNothingHappens();
    });

    it.each([
      ['a blank title', { title: '  ' }, 'title'],
      ['a title of 300 characters', { title: 't'.repeat(300) }, 'title'],
      ['an unknown competence', { competences: ['1.4'] }, 'competences'],
      ['no competence', { competences: [] }, 'competences'],
    ])('refuses %s (VALIDATION on %s)', (_what, data, field) => {
      given([created()]).when(update(data)).thenThrows('VALIDATION', field);
    });

    it('is for contributors: a reader is FORBIDDEN, a stranger NOT_FOUND', () => {
      given([created()]).when(update({ title: 'x' }, 'reader')).thenThrows('FORBIDDEN');
      given([created()]).when(update({ title: 'x' }, 'stranger')).thenThrows('NOT_FOUND');
    });
  });

  describe('consulting it', () => {
    it('counts a first consultation by anyone who may read, a reader included', () => {
      given([created()])
        .when(consult('reader'))
        .then([{ type: 'DocumentRead', data: { userId: actors.reader.userId, ...stamp(actors.reader.userId) } }]);
    });

    it('counts one per person and 30 minutes', () => {
      given([created(), read(actors.reader.userId)]).when(consult('reader', minutesLater(29))).thenNothingHappens();
      given([created(), read(actors.reader.userId)])
        .when(consult('reader', minutesLater(30)))
        .then(read(actors.reader.userId, minutesLater(30).toISOString()));
    });

    it("another person's consultation does not count for them", () => {
      given([created(), read(actors.contributor.userId)]).when(consult('reader', minutesLater(1))).then(
        read(actors.reader.userId, minutesLater(1).toISOString()),
      );
    });

    it('an outsider of a restricted space is FORBIDDEN, a stranger to a private one NOT_FOUND', () => {
      given([created()]).when(consult('outsider')).thenThrows('FORBIDDEN');
      given([created()]).when(consult('stranger')).thenThrows('NOT_FOUND');
    });
  });
});
