import { randomUUID } from 'node:crypto';
import type { Response } from 'supertest';
import type { TopicEvent } from '#ruche/forums';
import { freshEmail, startTestApp, storeKinds, type SignedInClient, type TestApp } from './support/test-app.js';

const kinds = await storeKinds();

interface Item {
  id: string;
  spaceId: string;
  question: string;
  answer: string;
  html: string;
  category: string;
  order: number;
  status: 'draft' | 'published';
  authorId: string;
  fromTopicId?: string;
  createdAt: string;
  updatedAt: string;
}

const UNKNOWN_ID = '0190a5b4-0000-7000-8000-000000000000';

describe.each(kinds)('FAQ end to end (%s)', (kind) => {
  let t: TestApp;
  let dane: SignedInClient;
  let manager: SignedInClient;
  let author: SignedInClient;
  let contributor: SignedInClient;
  let reader: SignedInClient;
  let outsider: SignedInClient;
  /** A public space where author and contributor contribute and reader reads. */
  let spaceId: string;
  /** A private space of manager's, with author as contributor; outsider is not a member. */
  let privateId: string;
  /** A restricted space of manager's; outsider is not a member. */
  let restrictedId: string;

  // A read after a write that fails says whether the read models had reached the write
  // (X-Read-Position-Reached: false is a wait that timed out; true, a read model that lied).
  const read = (who: SignedInClient, url: string, position?: number) =>
    position === undefined
      ? who.agent.get(url)
      : who.agent
          .get(url)
          .set('X-Min-Position', String(position))
          .expect((r) => {
            if (r.status >= 400) {
              throw new Error(`GET ${url} with X-Min-Position ${position}: ${r.status}, X-Read-Position-Reached: ${String(r.headers['x-read-position-reached'])}`);
            }
          });
  const draft = (who: SignedInClient, space: string, body: object) => who.agent.post(`/api/spaces/${space}/faq`).send(body);
  const list = async (who: SignedInClient, space: string, position?: number, query = ''): Promise<Item[]> => {
    const r = await read(who, `/api/spaces/${space}/faq${query}`, position).expect(200);
    return r.body.items as Item[];
  };

  /** A refusal: problem+json with `status`, naming `fields` when given, and nothing written. */
  async function refused(send: () => PromiseLike<Response>, status: number, fields?: string[]): Promise<Response> {
    const before = await t.store.headPosition();
    const r = await send();
    expect({ status: r.status, body: r.body }).toMatchObject({ status, body: { status } });
    expect(r.headers['content-type']).toMatch(/application\/problem\+json/);
    if (fields) expect([...new Set((r.body.errors ?? []).map((e: { field: string }) => e.field))].sort()).toEqual([...fields].sort());
    expect(await t.store.headPosition()).toBe(before);
    return r;
  }

  async function addMember(space: string, who: SignedInClient, role: string): Promise<number> {
    const r = await manager.agent.post(`/api/spaces/${space}/members`).send({ email: who.email, role }).expect(201);
    return r.body.position as number;
  }

  beforeAll(async () => {
    t = await startTestApp(kind);
    dane = await t.signIn(freshEmail('dane'), { roles: ['dane'] });
    manager = await t.signIn(freshEmail('manager'), { displayName: 'Camille Gestion' });
    author = await t.signIn(freshEmail('author'), { displayName: 'Alex Auteur' });
    contributor = await t.signIn(freshEmail('contrib'));
    reader = await t.signIn(freshEmail('reader'));
    outsider = await t.signIn(freshEmail('outsider'));
    spaceId = (await manager.agent.post('/api/spaces').send({ name: 'FAQ PIX', kind: 'thematic', visibility: 'public' }).expect(201)).body.id;
    privateId = (await manager.agent.post('/api/spaces').send({ name: 'FAQ privée', kind: 'thematic', visibility: 'private' }).expect(201)).body.id;
    restrictedId = (await manager.agent.post('/api/spaces').send({ name: 'FAQ restreinte', kind: 'thematic', visibility: 'restricted' }).expect(201))
      .body.id;
    await addMember(spaceId, author, 'contributor');
    await addMember(spaceId, contributor, 'contributor');
    await addMember(spaceId, reader, 'reader');
    await addMember(privateId, author, 'contributor');
  }, 60_000);
  afterAll(() => t?.close());

  describe('drafting, editing, publishing', () => {
    it('drafts an entry that only its author and the managers see, until a manager publishes it', async () => {
      const created = await draft(author, spaceId, { question: '  Comment activer Pix Orga ?  ', answer: 'Depuis **l’ENT**, rubrique <script>x</script>.' }).expect(201);
      expect(created.body).toEqual({ id: expect.any(String), revision: 0, position: expect.any(Number) });
      const id = created.body.id as string;

      const own = await read(author, `/api/faq/${id}`, created.body.position).expect(200);
      expect(own.body).toMatchObject({
        id,
        spaceId,
        question: 'Comment activer Pix Orga ?',
        answer: 'Depuis **l’ENT**, rubrique <script>x</script>.',
        category: 'Général',
        order: 0,
        status: 'draft',
        authorId: author.id,
        authorName: 'Alex Auteur',
        createdAt: expect.any(String),
        updatedAt: expect.any(String),
      });
      expect(own.body.html).toContain('<strong>l’ENT</strong>');
      expect(own.body.html).not.toContain('<script');
      expect(own.body.fromTopicId).toBeUndefined();
      expect((await list(author, spaceId)).map((e) => e.id)).toContain(id);
      expect((await list(manager, spaceId)).map((e) => e.id)).toContain(id);
      expect((await list(dane, spaceId)).map((e) => e.id)).toContain(id);

      // Invisible to other contributors and readers: absent from the list, 404 when asked.
      expect((await list(contributor, spaceId)).map((e) => e.id)).not.toContain(id);
      expect((await list(reader, spaceId)).map((e) => e.id)).not.toContain(id);
      await refused(() => read(contributor, `/api/faq/${id}`), 404);
      await refused(() => read(reader, `/api/faq/${id}`), 404);
      await refused(() => contributor.agent.patch(`/api/faq/${id}`).send({ answer: 'Pirate' }), 404);

      const published = await manager.agent.post(`/api/faq/${id}/publish`).expect(200);
      expect(published.body).toEqual({ id, revision: 1, position: expect.any(Number) });
      const seen = await list(reader, spaceId, published.body.position);
      expect(seen.find((e) => e.id === id)).toMatchObject({ status: 'published', question: 'Comment activer Pix Orga ?' });
      expect((await read(contributor, `/api/faq/${id}`).expect(200)).body.status).toBe('published');

      // Publishing again changes nothing.
      const again = await manager.agent.post(`/api/faq/${id}/publish`).expect(200);
      expect(again.body.revision).toBe(1);

      const events = await t.store.readStream(`faq-${id}`);
      expect(events.map((e) => e.type)).toEqual(['FaqEntryDrafted', 'FaqEntryPublished']);
      expect(events[1]!.data).toMatchObject({ entryId: id, spaceId, by: manager.id, firstTime: true, at: expect.any(String) });
    });

    it('lets the author edit a draft, managers edit always, and keeps a published entry from its author', async () => {
      const created = await draft(author, spaceId, { question: 'Où sont les fiches ?', answer: 'Ici.', category: 'Ressources' }).expect(201);
      const id = created.body.id as string;
      const edited = await author.agent.patch(`/api/faq/${id}`).send({ answer: 'Dans **Documents**.', category: ' Ressources PIX ' }).expect(200);
      expect(edited.body).toEqual({ id, revision: 1, position: expect.any(Number) });
      const view = await read(author, `/api/faq/${id}`, edited.body.position).expect(200);
      expect(view.body).toMatchObject({ answer: 'Dans **Documents**.', category: 'Ressources PIX', question: 'Où sont les fiches ?' });

      // Nothing to change: nothing written.
      const same = await author.agent.patch(`/api/faq/${id}`).send({ question: 'Où sont les fiches ?' }).expect(200);
      expect(same.body.revision).toBe(1);

      await manager.agent.post(`/api/faq/${id}/publish`).expect(200);
      await refused(() => author.agent.patch(`/api/faq/${id}`).send({ answer: 'Changé' }), 403);
      const byManager = await manager.agent.patch(`/api/faq/${id}`).send({ question: 'Où trouver les fiches PIX ?' }).expect(200);
      expect((await read(reader, `/api/faq/${id}`, byManager.body.position).expect(200)).body.question).toBe('Où trouver les fiches PIX ?');

      // Unpublished, it is a draft again: hidden from readers, its author may edit it again.
      const unpublished = await manager.agent.post(`/api/faq/${id}/unpublish`).expect(200);
      expect((await list(reader, spaceId, unpublished.body.position)).map((e) => e.id)).not.toContain(id);
      await refused(() => read(reader, `/api/faq/${id}`), 404);
      await author.agent.patch(`/api/faq/${id}`).send({ answer: 'Version revue.' }).expect(200);
      const republished = await manager.agent.post(`/api/faq/${id}/publish`).expect(200);
      const types = (await t.store.readStream(`faq-${id}`)).map((e) => `${e.type}${e.type === 'FaqEntryPublished' ? `:${String((e.data as { firstTime?: boolean }).firstTime)}` : ''}`);
      expect(types).toEqual([
        'FaqEntryDrafted',
        'FaqEntryEdited',
        'FaqEntryPublished:true',
        'FaqEntryEdited',
        'FaqEntryUnpublished',
        'FaqEntryEdited',
        'FaqEntryPublished:false',
      ]);
      expect((await read(reader, `/api/faq/${id}`, republished.body.position).expect(200)).body.answer).toBe('Version revue.');
    });

    it('answers an Idempotency-Key retry with the first result, writing once', async () => {
      const key = `faq-${Date.now()}`;
      const first = await author.agent.post(`/api/spaces/${spaceId}/faq`).set('Idempotency-Key', key).send({ question: 'Une fois ?', answer: 'Oui.' }).expect(201);
      const before = await t.store.headPosition();
      const second = await author.agent.post(`/api/spaces/${spaceId}/faq`).set('Idempotency-Key', key).send({ question: 'Une fois ?', answer: 'Oui.' });
      expect(second.body).toEqual(first.body);
      expect(await t.store.headPosition()).toBe(before);
    });
  });

  describe('categories, order and search', () => {
    let space: string;
    const ids: Record<string, string> = {};
    let position = 0;

    beforeAll(async () => {
      space = (await manager.agent.post('/api/spaces').send({ name: 'FAQ ordonnée', kind: 'thematic', visibility: 'public' }).expect(201)).body.id;
      await addMember(space, reader, 'reader');
      const entries: [string, string, string | undefined][] = [
        ['a', 'Première question sur l’évaluation ?', undefined],
        ['b', 'Deuxième question ?', 'Évaluations'],
        ['c', 'Troisième question ?', undefined],
        ['d', 'Quatrième question à 100% ?', 'Accès'],
        ['e', 'Cinquième question ?', 'Général'],
      ];
      for (const [key, question, category] of entries) {
        const r = await draft(manager, space, { question, answer: `Réponse ${key}.`, ...(category ? { category } : {}) }).expect(201);
        ids[key] = r.body.id;
        position = (await manager.agent.post(`/api/faq/${r.body.id}/publish`).expect(200)).body.position;
      }
    });

    it('lists by category (case and accents folded), then order, then creation', async () => {
      const items = await list(reader, space, position);
      expect(items.map((e) => [e.category, e.question])).toEqual([
        ['Accès', 'Quatrième question à 100% ?'],
        ['Évaluations', 'Deuxième question ?'],
        ['Général', 'Première question sur l’évaluation ?'],
        ['Général', 'Troisième question ?'],
        ['Général', 'Cinquième question ?'],
      ]);
    });

    it('lets a manager move an entry within its category, and nobody else', async () => {
      await refused(() => reader.agent.patch(`/api/faq/${ids.e}`).send({ order: -1 }), 403);
      const moved = await manager.agent.patch(`/api/faq/${ids.e}`).send({ order: -1 }).expect(200);
      const last = await manager.agent.patch(`/api/faq/${ids.a}`).send({ order: 5 }).expect(200);
      expect(last.body.position).toBeGreaterThan(moved.body.position);
      const general = (await list(reader, space, last.body.position)).filter((e) => e.category === 'Général');
      expect(general.map((e) => [e.id, e.order])).toEqual([
        [ids.e, -1],
        [ids.c, 0],
        [ids.a, 5],
      ]);
      expect((await t.store.readStream(`faq-${ids.e}`)).map((e) => e.type)).toEqual(['FaqEntryDrafted', 'FaqEntryPublished', 'FaqEntryMoved']);
    });

    it('pages through the FAQ in the same order', async () => {
      const all = await list(reader, space);
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const r: Response = await read(reader, `/api/spaces/${space}/faq?limit=2${cursor ? `&cursor=${cursor}` : ''}`).expect(200);
        expect(r.body.items.length).toBeLessThanOrEqual(2);
        seen.push(...r.body.items.map((e: Item) => e.id));
        cursor = r.body.nextCursor;
      } while (cursor);
      expect(seen).toEqual(all.map((e) => e.id));
      expect(seen).toHaveLength(5);
    });

    it('searches questions and answers with ?q=, case and accents folded, % taken literally', async () => {
      expect((await list(reader, space, undefined, '?q=EVALUATION')).map((e) => e.id)).toEqual([ids.a]);
      expect((await list(reader, space, undefined, `?q=${encodeURIComponent('réponse c')}`)).map((e) => e.id)).toEqual([ids.c]);
      expect((await list(reader, space, undefined, `?q=${encodeURIComponent('100%')}`)).map((e) => e.id)).toEqual([ids.d]);
      expect((await list(reader, space, undefined, `?q=${encodeURIComponent('%')}`)).map((e) => e.id)).toEqual([ids.d]);
      expect(await list(reader, space, undefined, '?q=introuvable')).toEqual([]);
    });
  });

  describe('access', () => {
    it('refuses a reader a draft (403), a contributor publishing or unpublishing (403), writing nothing', async () => {
      await refused(() => draft(reader, spaceId, { question: 'Puis-je ?', answer: 'Non.' }), 403);
      await refused(() => draft(outsider, restrictedId, { question: 'Puis-je ?', answer: 'Non.' }), 403);
      const own = await draft(author, spaceId, { question: 'À publier ?', answer: 'Par un gestionnaire.' }).expect(201);
      await refused(() => author.agent.post(`/api/faq/${own.body.id}/publish`), 403);
      await manager.agent.post(`/api/faq/${own.body.id}/publish`).expect(200);
      await refused(() => contributor.agent.post(`/api/faq/${own.body.id}/unpublish`), 403);
      await refused(() => author.agent.post(`/api/faq/${own.body.id}/unpublish`), 403);
      await refused(() => contributor.agent.patch(`/api/faq/${own.body.id}`).send({ question: 'Changée ?' }), 403);
    });

    it('answers 403 to a non-member reading a restricted space’s FAQ', async () => {
      await refused(() => read(outsider, `/api/spaces/${restrictedId}/faq`), 403);
    });

    it('answers 404 everywhere in a private space to a non-member, as for what does not exist', async () => {
      const entry = await draft(author, privateId, { question: 'Privée ?', answer: 'Oui.' }).expect(201);
      const published = await manager.agent.post(`/api/faq/${entry.body.id}/publish`).expect(200);
      expect((await list(author, privateId, published.body.position)).map((e) => e.id)).toEqual([entry.body.id]);
      const id = entry.body.id as string;
      const missing = await refused(() => read(outsider, `/api/faq/${UNKNOWN_ID}`), 404);
      const hidden = await refused(() => read(outsider, `/api/faq/${id}`), 404);
      expect(hidden.body).toEqual(missing.body);
      await refused(() => read(outsider, `/api/spaces/${privateId}/faq`), 404);
      await refused(() => draft(outsider, privateId, { question: 'Q ?', answer: 'R.' }), 404);
      await refused(() => outsider.agent.patch(`/api/faq/${id}`).send({ answer: 'x' }), 404);
      await refused(() => outsider.agent.post(`/api/faq/${id}/publish`), 404);
      await refused(() => outsider.agent.post(`/api/faq/${id}/unpublish`), 404);
      // The dane reads every space.
      await read(dane, `/api/faq/${id}`).expect(200);
    });

    it('answers 404 to commands on an entry that does not exist, and to a space that does not exist', async () => {
      await refused(() => manager.agent.patch(`/api/faq/${UNKNOWN_ID}`).send({ answer: 'x' }), 404);
      await refused(() => manager.agent.post(`/api/faq/${UNKNOWN_ID}/publish`), 404);
      await refused(() => manager.agent.post(`/api/faq/${UNKNOWN_ID}/unpublish`), 404);
      await refused(() => draft(manager, UNKNOWN_ID, { question: 'Q ?', answer: 'R.' }), 404);
      await refused(() => read(manager, `/api/spaces/${UNKNOWN_ID}/faq`), 404);
    });

    it('answers 401 to anonymous calls', async () => {
      await refused(() => t.anonymous().get(`/api/spaces/${spaceId}/faq`), 401);
      await refused(() => t.anonymous().post(`/api/spaces/${spaceId}/faq`).send({ question: 'Q ?', answer: 'R.' }), 401);
    });
  });

  describe('bad input', () => {
    const over200kB = 'é'.repeat(100 * 1024 + 1);
    const bad: [string, object, number, string[]][] = [
      ['an empty question', { question: '', answer: 'R.' }, 400, ['question']],
      ['a blank question', { question: '  \n ', answer: 'R.' }, 400, ['question']],
      ['a 301-character question', { question: 'q'.repeat(301), answer: 'R.' }, 400, ['question']],
      ['no question', { answer: 'R.' }, 400, ['question']],
      ['an empty answer', { question: 'Q ?', answer: '' }, 400, ['answer']],
      ['a blank answer', { question: 'Q ?', answer: ' \n\t' }, 400, ['answer']],
      ['an answer over 200 kB', { question: 'Q ?', answer: over200kB }, 413, ['answer']],
      ['a blank category', { question: 'Q ?', answer: 'R.', category: '  ' }, 400, ['category']],
      ['a 61-character category', { question: 'Q ?', answer: 'R.', category: 'c'.repeat(61) }, 400, ['category']],
      ['an unknown field', { question: 'Q ?', answer: 'R.', status: 'published' }, 400, ['status']],
      ['wrong types', { question: 42, answer: ['R.'], category: true }, 400, ['question', 'answer', 'category']],
    ];

    it.each(bad)('refuses a draft with %s, naming the field', async (_label, body, status, fields) => {
      await refused(() => draft(author, spaceId, body), status, fields);
    });

    it('accepts a question of exactly 300 characters, accents included', async () => {
      const r = await draft(author, spaceId, { question: 'é'.repeat(299) + '?', answer: 'R.' }).expect(201);
      expect((await read(author, `/api/faq/${r.body.id}`, r.body.position).expect(200)).body.question).toHaveLength(300);
    });

    it('refuses bad edits naming the field, writing nothing', async () => {
      const entry = await draft(author, spaceId, { question: 'À corriger ?', answer: 'R.' }).expect(201);
      const url = `/api/faq/${entry.body.id}`;
      await refused(() => author.agent.patch(url).send({ question: '' }), 400, ['question']);
      await refused(() => author.agent.patch(url).send({ question: 'x'.repeat(301) }), 400, ['question']);
      await refused(() => author.agent.patch(url).send({ answer: '   ' }), 400, ['answer']);
      await refused(() => author.agent.patch(url).send({ answer: over200kB }), 413, ['answer']);
      await refused(() => author.agent.patch(url).send({ category: '' }), 400, ['category']);
      await refused(() => manager.agent.patch(url).send({ order: 1.5 }), 400, ['order']);
      await refused(() => manager.agent.patch(url).send({ order: 2_000_000 }), 400, ['order']);
      await refused(() => manager.agent.patch(url).send({ order: '3' }), 400, ['order']);
      await refused(() => manager.agent.patch(url).send({ status: 'published' }), 400, ['status']);
    });

    it('refuses ids that are not UUIDs and broken cursors, naming the field', async () => {
      await refused(() => read(manager, '/api/faq/not-a-uuid'), 400, ['id']);
      await refused(() => manager.agent.patch('/api/faq/not-a-uuid').send({ answer: 'x' }), 400, ['id']);
      await refused(() => manager.agent.post('/api/faq/42/publish'), 400, ['id']);
      await refused(() => draft(manager, 'nope', { question: 'Q ?', answer: 'R.' }), 400, ['id']);
      await refused(() => manager.agent.post('/api/topics/nope/promote-to-faq'), 400, ['id']);
      await refused(() => read(manager, `/api/spaces/${spaceId}/faq?cursor=abc`), 400, ['cursor']);
      await refused(() => read(manager, `/api/spaces/${spaceId}/faq?limit=1000`), 400, ['limit']);
    });
  });

  describe('promote reads the topic from its stream', () => {
    it('finds the solution’s latest body in a long topic, past a page of its stream read backwards', async () => {
      const topicId = randomUUID();
      const stamp = (by: string) => ({ topicId, spaceId, at: new Date().toISOString(), by });
      const events: TopicEvent[] = [
        { type: 'TopicOpened', data: { postId: 'p0', title: 'Un long fil ?', body: 'Question.', tags: [], ...stamp(author.id) } },
      ];
      for (let i = 1; i <= 450; i++) {
        events.push({ type: 'ReplyPosted', data: { postId: `p${i}`, body: `Réponse ${i}.`, ...stamp(contributor.id) } });
        if (i === 3) {
          events.push({ type: 'PostEdited', data: { postId: 'p3', body: 'Réponse 3, revue.', version: 2, ...stamp(contributor.id) } });
          events.push({ type: 'PostEdited', data: { postId: 'p3', body: 'Réponse 3, **définitive**.', version: 3, ...stamp(contributor.id) } });
        }
      }
      events.push({ type: 'SolutionChosen', data: { postId: 'p3', ...stamp(author.id) } });
      // Written straight to the log, as the forums context writes it: this checks the FAQ's reading
      // of a stream longer than one backward page without 450 HTTP replies.
      await t.store.appendToStream(
        `topic-${topicId}`,
        events.map((e) => ({ type: e.type, data: e.data, metadata: { schemaVersion: 1 } })),
        { expectedRevision: 'no_stream' },
      );
      const promoted = await manager.agent.post(`/api/topics/${topicId}/promote-to-faq`).expect(201);
      const entry = await read(manager, `/api/faq/${promoted.body.id}`, promoted.body.position).expect(200);
      expect(entry.body).toMatchObject({ question: 'Un long fil ?', answer: 'Réponse 3, **définitive**.', fromTopicId: topicId, status: 'draft' });
    });
  });

  describe('promote a solved topic to the FAQ', () => {
    /** Opens a topic as `who` in `space`, with one reply by `replier`; answers the ids. */
    async function topicWithReply(who: SignedInClient, space: string, replier: SignedInClient, title: string) {
      const opened = await who.agent.post(`/api/spaces/${space}/topics`).send({ title, body: 'Ma question, en détail.' }).expect(201);
      const topicId = opened.body.id as string;
      const replied = await replier.agent.post(`/api/topics/${topicId}/posts`).send({ body: 'Première version de la réponse.' }).expect(201);
      const thread = await read(who, `/api/topics/${topicId}`, replied.body.position).expect(200);
      const reply = (thread.body.posts.items as { id: string; body: string }[]).find((p) => p.body === 'Première version de la réponse.');
      if (!reply) throw new Error(`reply not found in ${JSON.stringify(thread.body)}`);
      return { topicId, postId: reply.id };
    }

    it('turns a solved topic into a draft entry linked to it, with the solution’s latest body, once', async () => {
      const { topicId, postId } = await topicWithReply(author, spaceId, contributor, 'Comment inscrire une classe sur Pix ?');
      await refused(() => manager.agent.post(`/api/topics/${topicId}/promote-to-faq`), 409);
      await contributor.agent.patch(`/api/posts/${postId}`).send({ body: 'Depuis **Pix Orga**, onglet Élèves.' }).expect(200);
      await author.agent.post(`/api/topics/${topicId}/solution`).send({ postId }).expect(200);

      const promoted = await manager.agent.post(`/api/topics/${topicId}/promote-to-faq`).send({}).expect(201);
      expect(promoted.body).toEqual({ id: expect.any(String), revision: 0, position: expect.any(Number), topicId });
      const entry = await read(manager, `/api/faq/${promoted.body.id}`, promoted.body.position).expect(200);
      expect(entry.body).toMatchObject({
        question: 'Comment inscrire une classe sur Pix ?',
        answer: 'Depuis **Pix Orga**, onglet Élèves.',
        status: 'draft',
        category: 'Général',
        authorId: manager.id,
        fromTopicId: topicId,
      });
      // A draft: the readers do not see it yet.
      await refused(() => read(reader, `/api/faq/${promoted.body.id}`), 404);

      const again = await refused(() => author.agent.post(`/api/topics/${topicId}/promote-to-faq`), 409);
      expect(again.body.entryId).toBe(promoted.body.id);
    });

    it('lets the topic’s author promote it, into a category, and refuses other contributors and readers', async () => {
      const { topicId, postId } = await topicWithReply(author, spaceId, manager, 'Qui contacter pour Pix Certif ?');
      await author.agent.post(`/api/topics/${topicId}/solution`).send({ postId }).expect(200);
      await refused(() => contributor.agent.post(`/api/topics/${topicId}/promote-to-faq`), 403);
      await refused(() => reader.agent.post(`/api/topics/${topicId}/promote-to-faq`), 403);
      await refused(() => author.agent.post(`/api/topics/${topicId}/promote-to-faq`).send({ category: ' ' }), 400, ['category']);
      const promoted = await author.agent.post(`/api/topics/${topicId}/promote-to-faq`).send({ category: 'Certification' }).expect(201);
      const entry = await read(author, `/api/faq/${promoted.body.id}`, promoted.body.position).expect(200);
      expect(entry.body).toMatchObject({ category: 'Certification', authorId: author.id, fromTopicId: topicId, answer: 'Première version de la réponse.' });
    });

    it('answers 404 for an unknown topic and for a topic of a private space the caller is not in', async () => {
      await refused(() => manager.agent.post(`/api/topics/${UNKNOWN_ID}/promote-to-faq`), 404);
      const { topicId, postId } = await topicWithReply(author, privateId, manager, 'Sujet privé ?');
      await author.agent.post(`/api/topics/${topicId}/solution`).send({ postId }).expect(200);
      const missing = await refused(() => outsider.agent.post(`/api/topics/${UNKNOWN_ID}/promote-to-faq`), 404);
      const hidden = await refused(() => outsider.agent.post(`/api/topics/${topicId}/promote-to-faq`), 404);
      expect(hidden.body.detail).toBe(missing.body.detail);
    });
  });
});
