import type { Response } from 'supertest';
import { freshEmail, startTestApp, storeKinds, type SignedInClient, type TestApp } from './support/test-app.js';

/** API.md, "Shared PIX documents", on every store: each endpoint, access, and bad input writing nothing. */
const kinds = await storeKinds();

const MISSING_ID = '0195a1b2-0000-7000-8000-0000000dead0';

describe.each(kinds)('fiches PIX end to end (%s)', (kind) => {
  let t: TestApp;
  let manager: SignedInClient;
  let contributor: SignedInClient;
  let reader: SignedInClient;
  let stranger: SignedInClient;
  let publicSpace: string;
  let privateSpace: string;
  let restrictedSpace: string;

  const read = (who: SignedInClient, url: string, position?: number) =>
    position === undefined ? who.agent.get(url) : who.agent.get(url).set('X-Min-Position', String(position));

  /** Asserts a problem+json of `status` naming exactly `fields` (none when omitted). */
  const expectProblem = (r: Response, status: number, fields?: string[]) => {
    expect(r.status).toBe(status);
    expect(r.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(r.body).toMatchObject({ status, type: expect.any(String), title: expect.any(String), detail: expect.any(String) });
    if (fields) expect([...new Set((r.body.errors ?? []).map((e: { field: string }) => e.field))].sort()).toEqual([...fields].sort());
  };

  /** Runs `act`, then asserts the log's head has not moved: a refusal writes nothing. */
  const writesNothing = async <T>(act: () => Promise<T>): Promise<T> => {
    const before = await t.store.headPosition();
    const result = await act();
    expect(await t.store.headPosition()).toBe(before);
    return result;
  };

  const newSpace = async (visibility: string): Promise<string> => {
    const created = await manager.agent.post('/api/spaces').send({ name: `Fiches ${visibility} ${Date.now()}`, kind: 'thematic', visibility }).expect(201);
    const id = created.body.id as string;
    await manager.agent.post(`/api/spaces/${id}/members`).send({ email: contributor.email, role: 'contributor' }).expect(201);
    await manager.agent.post(`/api/spaces/${id}/members`).send({ email: reader.email, role: 'reader' }).expect(201);
    return id;
  };

  const createDocument = (who: SignedInClient, spaceId: string, body: object) => who.agent.post(`/api/spaces/${spaceId}/documents`).send(body);
  const fiche = (extra: object = {}) => ({ title: 'Évaluer avec PIX', body: '# Fiche\n\nPremière version', competences: ['3.1', '1.1'], ...extra });
  const newDocument = async (spaceId = publicSpace, extra: object = {}) => {
    const r = await createDocument(contributor, spaceId, fiche(extra)).expect(201);
    return { id: r.body.id as string, position: r.body.position as number };
  };

  beforeAll(async () => {
    t = await startTestApp(kind);
    manager = await t.signIn(freshEmail('manager'), { displayName: 'Morgane Gestion', roles: ['rrupn'], uai: '0061234X' });
    contributor = await t.signIn(freshEmail('contrib'), { displayName: 'Camille Contrib', roles: ['referent_pix'] });
    reader = await t.signIn(freshEmail('reader'), { displayName: 'Rémi Lecteur', roles: ['enseignant'] });
    stranger = await t.signIn(freshEmail('stranger'), { displayName: 'Sacha Inconnu', roles: ['enseignant'] });
    publicSpace = await newSpace('public');
    privateSpace = await newSpace('private');
    restrictedSpace = await newSpace('restricted');
  }, 60_000);
  afterAll(() => t?.close());

  describe('creating and reading a fiche', () => {
    it('creates revision 1 and answers the document with html, competences with labels and contributors', async () => {
      const created = await createDocument(contributor, publicSpace, fiche({ title: '  Évaluer avec PIX  ' })).expect(201);
      expect(created.body).toEqual({ id: expect.any(String), revision: 0, position: expect.any(Number), documentRevision: 1 });
      const doc = await read(reader, `/api/documents/${created.body.id}`, created.body.position).expect(200);
      expect(doc.body).toMatchObject({
        id: created.body.id,
        spaceId: publicSpace,
        title: 'Évaluer avec PIX',
        body: '# Fiche\n\nPremière version',
        revision: 1,
        competences: [
          { code: '1.1', label: 'Mener une recherche et une veille d’information' },
          { code: '3.1', label: 'Développer des documents textuels' },
        ],
        contributors: [{ id: contributor.id, displayName: 'Camille Contrib' }],
        createdBy: contributor.id,
        permissions: { edit: false },
      });
      expect(doc.body.html).toContain('<h1>Fiche</h1>');
      expect(doc.body.createdAt).toBe(doc.body.updatedAt);
      const events = await t.store.readStream(`document-${created.body.id}`);
      expect(events.map((e) => e.type)).toEqual(['DocumentCreated']);
      expect(events[0]!.data).toMatchObject({ documentId: created.body.id, spaceId: publicSpace, by: contributor.id, competences: ['1.1', '3.1'] });
    });

    it('renders Markdown safely: typed HTML shows as text, no script survives', async () => {
      const { id, position } = await newDocument(publicSpace, { body: 'Avant <script>alert(1)</script> [x](javascript:alert(1))' });
      const doc = await read(reader, `/api/documents/${id}`, position).expect(200);
      expect(doc.body.html).not.toMatch(/<script|href="javascript:/i);
      expect(doc.body.html).toContain('&lt;script&gt;');
      expect(doc.body.body).toContain('<script>');
    });

    it('lets a manager create one; a reader, an outsider of a restricted space and a stranger may not', async () => {
      await createDocument(manager, publicSpace, fiche()).expect(201);
      await writesNothing(async () => {
        expectProblem(await createDocument(reader, publicSpace, fiche()), 403);
        expectProblem(await createDocument(stranger, restrictedSpace, fiche()), 403);
        expectProblem(await createDocument(stranger, privateSpace, fiche()), 404);
        expectProblem(await createDocument(contributor, MISSING_ID, fiche()), 404);
      });
    });

    it('lands once with an Idempotency-Key', async () => {
      const key = `fiche-${Date.now()}`;
      const first = await contributor.agent.post(`/api/spaces/${publicSpace}/documents`).set('Idempotency-Key', key).send(fiche()).expect(201);
      const retry = await writesNothing(() =>
        contributor.agent.post(`/api/spaces/${publicSpace}/documents`).set('Idempotency-Key', key).send(fiche()).expect(201),
      );
      expect(retry.body).toEqual(first.body);
    });
  });

  describe('listing a space’s fiches', () => {
    it('lists the latest changed first, filters by competence and title, and pages', async () => {
      const space = await newSpace('public');
      const a = await newDocument(space, { title: 'Sécuriser ses mots de passe', competences: ['4.1'] });
      const b = await newDocument(space, { title: 'Chercher et vérifier', competences: ['1.1', '4.1'] });
      const c = await newDocument(space, { title: 'Programmer un robot', competences: ['3.4'] });
      const all = await read(reader, `/api/spaces/${space}/documents`, c.position).expect(200);
      expect(all.body.items.map((d: { id: string }) => d.id)).toEqual([c.id, b.id, a.id]);
      expect(all.body.items[0]).toMatchObject({
        title: 'Programmer un robot',
        excerpt: 'Fiche Première version',
        competences: [{ code: '3.4', label: 'Programmer' }],
        revision: 1,
        views: 0,
      });
      const byCompetence = await read(reader, `/api/spaces/${space}/documents?competence=4.1`).expect(200);
      expect(byCompetence.body.items.map((d: { id: string }) => d.id)).toEqual([b.id, a.id]);
      const byTitle = await read(reader, `/api/spaces/${space}/documents?q=${encodeURIComponent('SÉCURISER')}`).expect(200);
      expect(byTitle.body.items.map((d: { id: string }) => d.id)).toEqual([a.id]);
      const none = await read(reader, `/api/spaces/${space}/documents?q=${encodeURIComponent('%')}`).expect(200);
      expect(none.body.items).toEqual([]);
      const first = await read(reader, `/api/spaces/${space}/documents?limit=2`).expect(200);
      expect(first.body.items).toHaveLength(2);
      const second = await read(reader, `/api/spaces/${space}/documents?limit=2&cursor=${first.body.nextCursor}`).expect(200);
      expect(second.body).toEqual({ items: [expect.objectContaining({ id: a.id })], nextCursor: null });
    });

    it('refuses an unknown competence filter naming it', async () => {
      expectProblem(await reader.agent.get(`/api/spaces/${publicSpace}/documents?competence=6.1`), 400, ['competence']);
    });
  });

  describe('writing content', () => {
    it('makes revision 2 on revision 1, with the author among the contributors, and ignores the same body', async () => {
      const { id } = await newDocument();
      const written = await manager.agent.put(`/api/documents/${id}/content`).send({ body: 'Deuxième version', baseRevision: 1, summary: 'Réécriture' }).expect(200);
      expect(written.body).toMatchObject({ id, documentRevision: 2 });
      const doc = await read(reader, `/api/documents/${id}`, written.body.position).expect(200);
      expect(doc.body).toMatchObject({ revision: 2, body: 'Deuxième version', html: '<p>Deuxième version</p>\n' });
      expect(doc.body.contributors.map((c: { id: string }) => c.id)).toEqual([contributor.id, manager.id]);
      expect(doc.body.updatedAt >= doc.body.createdAt).toBe(true);
      const again = await writesNothing(() => manager.agent.put(`/api/documents/${id}/content`).send({ body: 'Deuxième version', baseRevision: 2 }).expect(200));
      expect(again.body).toMatchObject({ documentRevision: 2, position: written.body.position });
    });

    it('answers 409 with the current revision and body on a stale base, 400 on a base in the future, writing nothing', async () => {
      const { id } = await newDocument();
      await contributor.agent.put(`/api/documents/${id}/content`).send({ body: 'Deuxième version', baseRevision: 1 }).expect(200);
      await writesNothing(async () => {
        const stale = await manager.agent.put(`/api/documents/${id}/content`).send({ body: 'Ma version', baseRevision: 1 });
        expectProblem(stale, 409);
        expect(stale.body).toMatchObject({ currentRevision: 2, currentBody: 'Deuxième version' });
        expectProblem(await manager.agent.put(`/api/documents/${id}/content`).send({ body: 'Ma version', baseRevision: 3 }), 400, ['baseRevision']);
        expectProblem(await manager.agent.put(`/api/documents/${id}/content`).send({ body: 'Ma version', baseRevision: 0 }), 400, ['baseRevision']);
        expectProblem(await manager.agent.put(`/api/documents/${id}/content`).send({ body: 'Ma version' }), 400, ['baseRevision']);
      });
    });

    it('answers 413 to a body over 200 kB and 400 to a blank one or a 301-character summary, writing nothing', async () => {
      const { id } = await newDocument();
      await writesNothing(async () => {
        const big = await contributor.agent.put(`/api/documents/${id}/content`).send({ body: 'x'.repeat(200 * 1024 + 1), baseRevision: 1 });
        expectProblem(big, 413, ['body']);
        expectProblem(await contributor.agent.put(`/api/documents/${id}/content`).send({ body: '  \n ', baseRevision: 1 }), 400, ['body']);
        expectProblem(
          await contributor.agent.put(`/api/documents/${id}/content`).send({ body: 'ok', baseRevision: 1, summary: 's'.repeat(301) }),
          400,
          ['summary'],
        );
      });
    });
  });

  describe('revisions, diff and restore', () => {
    let id: string;
    let position: number;

    beforeAll(async () => {
      ({ id } = await newDocument(publicSpace, { body: 'Titre\nligne A\nligne B\nligne C' }));
      await contributor.agent.put(`/api/documents/${id}/content`).send({ body: 'Titre\nligne A\nligne B modifiée\nligne C', baseRevision: 1, summary: 'B' }).expect(200);
      const third = await manager.agent.put(`/api/documents/${id}/content`).send({ body: 'Titre\nligne A\nligne B modifiée\nligne C\nligne D', baseRevision: 2 }).expect(200);
      position = third.body.position;
    });

    it('lists the history newest first with author, time, summary and size, in pages', async () => {
      const page = await read(reader, `/api/documents/${id}/revisions`, position).expect(200);
      expect(page.body.items.map((r: { revision: number }) => r.revision)).toEqual([3, 2, 1]);
      expect(page.body.items[1]).toEqual({
        revision: 2,
        author: { id: contributor.id, displayName: 'Camille Contrib' },
        at: expect.any(String),
        summary: 'B',
        size: Buffer.byteLength('Titre\nligne A\nligne B modifiée\nligne C'),
        restoredFrom: null,
      });
      expect(page.body.items[0]).toMatchObject({ author: { id: manager.id }, summary: null });
      const first = await read(reader, `/api/documents/${id}/revisions?limit=2`).expect(200);
      const rest = await read(reader, `/api/documents/${id}/revisions?limit=2&cursor=${first.body.nextCursor}`).expect(200);
      expect(rest.body).toEqual({ items: [expect.objectContaining({ revision: 1 })], nextCursor: null });
    });

    it('reads one revision, and answers 404 naming rev for one that does not exist', async () => {
      const one = await read(reader, `/api/documents/${id}/revisions/1`, position).expect(200);
      expect(one.body).toMatchObject({ documentId: id, revision: 1, body: 'Titre\nligne A\nligne B\nligne C', author: { id: contributor.id } });
      expect(one.body.html).toContain('ligne A');
      expectProblem(await reader.agent.get(`/api/documents/${id}/revisions/4`), 404, ['rev']);
      expectProblem(await reader.agent.get(`/api/documents/${id}/revisions/abc`), 400, ['rev']);
    });

    it('diffs any two revisions line by line, both ways', async () => {
      const diff = await read(reader, `/api/documents/${id}/diff?from=1&to=3`, position).expect(200);
      expect(diff.body).toMatchObject({ from: 1, to: 3, added: 2, removed: 1 });
      const lines = diff.body.hunks.flatMap((h: { lines: unknown[] }) => h.lines);
      expect(lines).toEqual([
        { op: 'eq', text: 'Titre' },
        { op: 'eq', text: 'ligne A' },
        { op: 'del', text: 'ligne B' },
        { op: 'add', text: 'ligne B modifiée' },
        { op: 'eq', text: 'ligne C' },
        { op: 'add', text: 'ligne D' },
      ]);
      expect(diff.body.unified).toContain('--- revision 1\n+++ revision 3\n@@ -1,4 +1,5 @@');
      const back = await read(reader, `/api/documents/${id}/diff?from=3&to=1`).expect(200);
      expect(back.body).toMatchObject({ added: 1, removed: 2 });
      const same = await read(reader, `/api/documents/${id}/diff?from=2&to=2`).expect(200);
      expect(same.body).toEqual({ from: 2, to: 2, added: 0, removed: 0, hunks: [], unified: '' });
    });

    it('answers 404 naming from or to for a revision that does not exist, 400 for a missing one', async () => {
      expectProblem(await reader.agent.get(`/api/documents/${id}/diff?from=1&to=9`), 404, ['to']);
      expectProblem(await reader.agent.get(`/api/documents/${id}/diff?from=9&to=1`), 404, ['from']);
      expectProblem(await reader.agent.get(`/api/documents/${id}/diff?from=1`), 400, ['to']);
    });

    it('restores a revision as a new one, and refuses one that does not exist (404 on revision) writing nothing', async () => {
      const doc = await newDocument();
      await contributor.agent.put(`/api/documents/${doc.id}/content`).send({ body: 'Deuxième version', baseRevision: 1 }).expect(200);
      const restored = await manager.agent.post(`/api/documents/${doc.id}/restore`).send({ revision: 1, summary: 'Retour' }).expect(200);
      expect(restored.body).toMatchObject({ id: doc.id, documentRevision: 3 });
      const current = await read(reader, `/api/documents/${doc.id}`, restored.body.position).expect(200);
      expect(current.body).toMatchObject({ revision: 3, body: '# Fiche\n\nPremière version' });
      const history = await read(reader, `/api/documents/${doc.id}/revisions?limit=1`).expect(200);
      expect(history.body.items[0]).toMatchObject({ revision: 3, restoredFrom: 1, summary: 'Retour', author: { id: manager.id } });
      await writesNothing(async () => {
        expectProblem(await manager.agent.post(`/api/documents/${doc.id}/restore`).send({ revision: 4 }), 404, ['revision']);
        expectProblem(await manager.agent.post(`/api/documents/${doc.id}/restore`).send({ revision: 0 }), 400, ['revision']);
        // The current content again: nothing to do.
        const noop = await manager.agent.post(`/api/documents/${doc.id}/restore`).send({ revision: 3 }).expect(200);
        expect(noop.body.documentRevision).toBe(3);
      });
    });
  });

  describe('title and competences', () => {
    it('changes them without a new content revision', async () => {
      const { id } = await newDocument();
      const patched = await contributor.agent.patch(`/api/documents/${id}`).send({ title: ' Nouveau titre ', competences: ['5.2', '4.3'] }).expect(200);
      expect(patched.body.documentRevision).toBe(1);
      const doc = await read(reader, `/api/documents/${id}`, patched.body.position).expect(200);
      expect(doc.body).toMatchObject({ title: 'Nouveau titre', revision: 1, competences: [{ code: '4.3' }, { code: '5.2' }] });
      const events = await t.store.readStream(`document-${id}`);
      expect(events.map((e) => e.type)).toEqual(['DocumentCreated', 'DocumentRetitled', 'DocumentCompetencesChanged']);
    });

    it.each([
      ['a blank title', { title: '   ' }, 'title'],
      ['a 300-character title', { title: 't'.repeat(300) }, 'title'],
      ['an unknown competence code', { competences: ['1.1', '6.3'] }, 'competences'],
      ['no competence', { competences: [] }, 'competences'],
      ['an unknown field', { color: 'red' }, 'color'],
    ])('refuses %s naming %s, writing nothing', async (_what, body, field) => {
      const { id } = await newDocument();
      const r = await writesNothing(() => contributor.agent.patch(`/api/documents/${id}`).send(body));
      expectProblem(r, 400, [field]);
    });

    it.each([
      ['an empty title', { title: '' }, 400, 'title'],
      ['a blank title', { title: ' \t ' }, 400, 'title'],
      ['a 300-character title', { title: 'é'.repeat(300) }, 400, 'title'],
      ['an empty body', { body: '' }, 400, 'body'],
      ['a body over 200 kB', { body: 'é'.repeat(110 * 1024) }, 413, 'body'],
      ['an unknown competence code', { competences: ['9.9'] }, 400, 'competences'],
      ['competences that are not a list', { competences: '1.1' }, 400, 'competences'],
    ])('refuses to create a fiche with %s, writing nothing', async (_what, extra, status, field) => {
      const r = await writesNothing(() => createDocument(contributor, publicSpace, fiche(extra)));
      expectProblem(r, status, [field]);
      if (field === 'competences' && Array.isArray((extra as { competences?: unknown }).competences)) {
        expect(r.body.errors[0].message).toContain('"9.9"');
      }
    });
  });

  describe('consultations', () => {
    it('counts one per person within 30 minutes', async () => {
      const { id } = await newDocument();
      const first = await reader.agent.post(`/api/documents/${id}/read`).expect(200);
      await writesNothing(() => reader.agent.post(`/api/documents/${id}/read`).expect(200));
      const second = await manager.agent.post(`/api/documents/${id}/read`).expect(200);
      expect(second.body.position).toBeGreaterThan(first.body.position);
      const events = await t.store.readStream(`document-${id}`);
      expect(events.map((e) => [e.type, (e.data as { userId?: string }).userId ?? null])).toEqual([
        ['DocumentCreated', null],
        ['DocumentRead', reader.id],
        ['DocumentRead', manager.id],
      ]);
      const doc = await read(reader, `/api/documents/${id}`, second.body.position).expect(200);
      expect(doc.body.views).toBe(2);
    });
  });

  describe('access', () => {
    it('a reader reads everything and writes nothing', async () => {
      const { id, position } = await newDocument();
      await read(reader, `/api/documents/${id}`, position).expect(200);
      await reader.agent.get(`/api/documents/${id}/revisions`).expect(200);
      await reader.agent.get(`/api/documents/${id}/revisions/1`).expect(200);
      await reader.agent.get(`/api/documents/${id}/diff?from=1&to=1`).expect(200);
      await writesNothing(async () => {
        expectProblem(await reader.agent.put(`/api/documents/${id}/content`).send({ body: 'x', baseRevision: 1 }), 403);
        expectProblem(await reader.agent.patch(`/api/documents/${id}`).send({ title: 'x' }), 403);
        expectProblem(await reader.agent.post(`/api/documents/${id}/restore`).send({ revision: 1 }), 403);
      });
    });

    it('an outsider of a restricted space gets 403 on its fiches', async () => {
      const { id, position } = await newDocument(restrictedSpace);
      await read(reader, `/api/documents/${id}`, position).expect(200);
      await writesNothing(async () => {
        expectProblem(await stranger.agent.get(`/api/documents/${id}`), 403);
        expectProblem(await stranger.agent.post(`/api/documents/${id}/read`), 403);
        expectProblem(await stranger.agent.get(`/api/spaces/${restrictedSpace}/documents`), 403);
      });
    });

    it('a non-member of a private space gets the 404 of a missing document on every route', async () => {
      const { id, position } = await newDocument(privateSpace);
      await read(reader, `/api/documents/${id}`, position).expect(200);
      const routes = (doc: string) =>
        [
          () => stranger.agent.get(`/api/documents/${doc}`),
          () => stranger.agent.post(`/api/documents/${doc}/read`),
          () => stranger.agent.put(`/api/documents/${doc}/content`).send({ body: 'x', baseRevision: 1 }),
          () => stranger.agent.patch(`/api/documents/${doc}`).send({ title: 'x' }),
          () => stranger.agent.get(`/api/documents/${doc}/revisions`),
          () => stranger.agent.get(`/api/documents/${doc}/revisions/1`),
          () => stranger.agent.get(`/api/documents/${doc}/diff?from=1&to=1`),
          () => stranger.agent.post(`/api/documents/${doc}/restore`).send({ revision: 1 }),
        ] as const;
      await writesNothing(async () => {
        const hidden = routes(id);
        const missing = routes(MISSING_ID);
        for (const [i, route] of hidden.entries()) {
          const r = await route();
          expectProblem(r, 404);
          expect(r.body).toEqual((await missing[i]!()).body);
          expect(JSON.stringify(r.body)).not.toContain(id);
        }
        expectProblem(await stranger.agent.get(`/api/spaces/${privateSpace}/documents`), 404);
        expectProblem(await stranger.agent.post(`/api/spaces/${privateSpace}/documents`).send(fiche()), 404);
      });
    });

    it('refuses ids that are not UUIDs, naming the field', async () => {
      expectProblem(await reader.agent.get('/api/documents/not-a-uuid'), 400, ['id']);
      expectProblem(await reader.agent.get('/api/spaces/not-a-uuid/documents'), 400, ['id']);
    });
  });
});
