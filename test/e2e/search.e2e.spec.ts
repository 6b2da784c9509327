import type { Response } from 'supertest';
import type { ProjectionRunner, SqlDatabase } from '#ruche/projections';
import { PROJECTION_RUNNER, READ_DB } from '#ruche/platform';
import { freshEmail, startTestApp, storeKinds, type SignedInClient, type TestApp } from './support/test-app.js';

const kinds = await storeKinds();

interface Hit {
  type: 'topic' | 'post' | 'faq' | 'document';
  id: string;
  spaceId: string;
  spaceName: string;
  topicId?: string;
  postId?: string;
  status?: 'draft' | 'published';
  title: string;
  excerpt: string;
  url: string;
  updatedAt: string;
}

interface Landed {
  id: string;
  position: number;
  postId?: string;
  topicId?: string;
}

const UNKNOWN_ID = '0190a5b4-0000-7000-8000-000000000000';

let wordCount = 0;
/** A made-up word no other test writes, letters only, so each test finds its own content only. */
function uniqueWord(): string {
  wordCount += 1;
  let n = Date.now() * 100 + wordCount;
  let word = '';
  while (n > 0) {
    word += String.fromCharCode(97 + (n % 26));
    n = Math.floor(n / 26);
  }
  return `zq${word}`;
}

describe.each(kinds)('search end to end (%s)', (kind) => {
  let t: TestApp;
  let dane: SignedInClient;
  let manager: SignedInClient;
  let contributor: SignedInClient;
  let otherContributor: SignedInClient;
  let reader: SignedInClient;
  let outsider: SignedInClient;
  /** Public: contributor and otherContributor contribute, reader reads. */
  let publicId: string;
  /** Private: contributor contributes, reader reads; outsider is not a member. */
  let privateId: string;
  /** Restricted: contributor contributes; outsider is not a member. */
  let restrictedId: string;
  /** The last position written, for X-Min-Position. */
  let last = 0;

  const landed = async (response: PromiseLike<Response>, status = 201): Promise<Landed> => {
    const r = await response;
    expect({ status: r.status, body: r.body }).toMatchObject({ status });
    last = Math.max(last, r.body.position as number);
    return r.body as Landed;
  };
  const openTopic = (who: SignedInClient, space: string, title: string, body: string) =>
    landed(who.agent.post(`/api/spaces/${space}/topics`).send({ title, body }));
  const reply = (who: SignedInClient, topicId: string, body: string) => landed(who.agent.post(`/api/topics/${topicId}/posts`).send({ body }));
  const draftFaq = (who: SignedInClient, space: string, question: string, answer: string) =>
    landed(who.agent.post(`/api/spaces/${space}/faq`).send({ question, answer }));
  const createDocument = (who: SignedInClient, space: string, title: string, body: string) =>
    landed(who.agent.post(`/api/spaces/${space}/documents`).send({ title, body, competences: ['1.1'] }));

  const searchRaw = (who: SignedInClient, query: Record<string, string | number>) =>
    who.agent.get('/api/search').query(query).set('X-Min-Position', String(last));
  async function search(who: SignedInClient, query: Record<string, string | number>): Promise<{ items: Hit[]; nextCursor: string | null }> {
    const r = await searchRaw(who, query);
    expect({ status: r.status, body: r.body }).toMatchObject({ status: 200 });
    expect(r.headers['x-read-position-reached']).toBe('true');
    return r.body;
  }
  const ids = async (who: SignedInClient, query: Record<string, string | number>): Promise<string[]> =>
    (await search(who, { limit: 100, ...query })).items.map((hit) => hit.id);

  /** A refusal as problem+json with `status`, naming `field` when given. */
  async function refused(response: PromiseLike<Response>, status: number, field?: string): Promise<Response> {
    const before = await t.store.headPosition();
    const r = await response;
    expect({ status: r.status, body: r.body }).toMatchObject({ status, body: { status } });
    expect(r.headers['content-type']).toMatch(/application\/problem\+json/);
    if (field) expect((r.body.errors ?? []).map((e: { field: string }) => e.field)).toEqual([field]);
    expect(await t.store.headPosition()).toBe(before);
    return r;
  }

  async function space(name: string, visibility: string): Promise<string> {
    return (await landed(manager.agent.post('/api/spaces').send({ name, kind: 'thematic', visibility }))).id;
  }
  const addMember = (space: string, who: SignedInClient, role: string) =>
    landed(manager.agent.post(`/api/spaces/${space}/members`).send({ email: who.email, role }));

  beforeAll(async () => {
    t = await startTestApp(kind);
    dane = await t.signIn(freshEmail('dane'), { roles: ['dane'] });
    manager = await t.signIn(freshEmail('manager'));
    contributor = await t.signIn(freshEmail('contrib'));
    otherContributor = await t.signIn(freshEmail('contrib2'));
    reader = await t.signIn(freshEmail('reader'));
    outsider = await t.signIn(freshEmail('outsider'));
    publicId = await space('Espace public de recherche', 'public');
    privateId = await space('Espace privé de recherche', 'private');
    restrictedId = await space('Espace restreint de recherche', 'restricted');
    await addMember(publicId, contributor, 'contributor');
    await addMember(publicId, otherContributor, 'contributor');
    await addMember(publicId, reader, 'reader');
    await addMember(privateId, contributor, 'contributor');
    await addMember(privateId, reader, 'reader');
    await addMember(restrictedId, contributor, 'contributor');
  }, 60_000);
  afterAll(() => t?.close());

  describe('French folding', () => {
    it('finds "Évaluations" for "evaluation" and "compétences" for "competence", in every kind of content', async () => {
      const own = await space('Évaluations', 'public');
      await addMember(own, contributor, 'contributor');
      const topic = await openTopic(contributor, own, 'Les Évaluations de fin de cycle', 'Comment faites-vous ?');
      const post = await reply(contributor, topic.id, 'Nous suivons les **compétences** numériques du cadre de référence.');
      const entry = await draftFaq(contributor, own, 'Où trouver les évaluations PIX ?', 'Dans l’espace *Compétences*.');
      await landed(manager.agent.post(`/api/faq/${entry.id}/publish`), 200);
      const fiche = await createDocument(contributor, own, 'Fiche compétence 1.1', 'Mener une évaluation diagnostique.');

      const evaluation = await search(reader, { q: 'evaluation', spaceId: own });
      expect(evaluation.items.map((h) => [h.type, h.id]).sort()).toEqual(
        [['topic', topic.id], ['faq', entry.id], ['document', fiche.id]].sort(),
      );
      expect(evaluation.items.find((h) => h.id === fiche.id)!.excerpt).toBe('Mener une <mark>évaluation</mark> diagnostique.');

      const competence = await search(reader, { q: 'competence', spaceId: own });
      expect(competence.items.map((h) => [h.type, h.id]).sort()).toEqual(
        [['post', post.id], ['faq', entry.id], ['document', fiche.id]].sort(),
      );
      const postHit = competence.items.find((h) => h.type === 'post')!;
      expect(postHit).toEqual({
        type: 'post',
        id: post.id,
        spaceId: own,
        spaceName: 'Évaluations',
        topicId: topic.id,
        postId: post.id,
        title: 'Les Évaluations de fin de cycle',
        // Plain text: the Markdown's ** are gone.
        excerpt: 'Nous suivons les <mark>compétences</mark> numériques du cadre de référence.',
        url: `/topics/${topic.id}#post-${post.id}`,
        updatedAt: expect.any(String),
      });
      expect(competence.items.find((h) => h.type === 'faq')).toMatchObject({
        status: 'published',
        title: 'Où trouver les évaluations PIX ?',
        excerpt: 'Dans l’espace <mark>Compétences</mark>.',
      });

      // Upper case, accents typed or not, singular or plural: the same hits.
      const plural = await ids(reader, { q: 'ÉVALUATIONS', spaceId: own });
      expect(plural.sort()).toEqual([topic.id, entry.id, fiche.id].sort());
      // Every word must match; stop words are not words.
      expect(await ids(reader, { q: 'les compétences numériques', spaceId: own })).toEqual([post.id]);
      expect(await search(reader, { q: 'de la', spaceId: own })).toEqual({ items: [], nextCursor: null });
    });
  });

  describe('ranking and highlighting', () => {
    it('ranks a title hit before a body hit', async () => {
      const word = uniqueWord();
      const inBody = await openTopic(contributor, publicId, 'Un sujet quelconque', `Il y est question de ${word}, puis encore de ${word}.`);
      const inTitle = await openTopic(contributor, publicId, `Tout sur ${word}`, 'Rien de plus dans le corps.');
      const faqInAnswer = await draftFaq(contributor, publicId, 'Une question banale ?', `Réponse : ${word}.`);
      const faqInQuestion = await draftFaq(contributor, publicId, `Qu’est-ce que ${word} ?`, 'Une réponse sans le mot.');

      expect(await ids(contributor, { q: word, type: 'topic' })).toEqual([inTitle.id, inBody.id]);
      expect(await ids(contributor, { q: word, type: 'faq' })).toEqual([faqInQuestion.id, faqInAnswer.id]);
      const hit = (await search(contributor, { q: word, type: 'topic' })).items;
      expect(hit[0]!.excerpt).toBe('Rien de plus dans le corps.');
      expect(hit[1]!.excerpt).toBe(`Il y est question de <mark>${word}</mark>, puis encore de <mark>${word}</mark>.`);
    });

    it('escapes the content in excerpts: a <script> in a post is text, only <mark> is markup', async () => {
      const word = uniqueWord();
      const topic = await openTopic(contributor, publicId, 'Sécurité des contenus', 'Premier message.');
      const post = await reply(contributor, topic.id, `<script>alert("${word}")</script> <img src=x onerror=alert(1)> & ${word}`);
      const [hit] = (await search(reader, { q: word })).items;
      expect(hit).toMatchObject({ id: post.id, type: 'post' });
      expect(hit!.excerpt).toBe(
        `&lt;script&gt;alert(&quot;<mark>${word}</mark>&quot;)&lt;/script&gt; &lt;img src=x onerror=alert(1)&gt; &amp; <mark>${word}</mark>`,
      );
      expect(hit!.excerpt.replace(/<\/?mark>/g, '')).not.toMatch(/[<>]/);
    });
  });

  describe('filters and pages', () => {
    it('filters by type and by space', async () => {
      const word = uniqueWord();
      const other = await space('Autre espace', 'public');
      await addMember(other, contributor, 'contributor');
      const topic = await openTopic(contributor, publicId, `Sujet ${word}`, 'Corps.');
      const post = await reply(contributor, topic.id, `Réponse ${word}`);
      const entry = await draftFaq(contributor, publicId, `Question ${word} ?`, 'Réponse.');
      await landed(manager.agent.post(`/api/faq/${entry.id}/publish`), 200);
      const fiche = await createDocument(contributor, publicId, `Fiche ${word}`, 'Corps.');
      const elsewhere = await createDocument(contributor, other, `Ailleurs ${word}`, 'Corps.');

      expect((await ids(reader, { q: word })).sort()).toEqual([topic.id, post.id, entry.id, fiche.id, elsewhere.id].sort());
      expect(await ids(reader, { q: word, type: 'topic' })).toEqual([topic.id]);
      expect(await ids(reader, { q: word, type: 'post' })).toEqual([post.id]);
      expect(await ids(reader, { q: word, type: 'faq' })).toEqual([entry.id]);
      expect((await ids(reader, { q: word, type: 'document' })).sort()).toEqual([fiche.id, elsewhere.id].sort());
      expect(await ids(reader, { q: word, spaceId: other })).toEqual([elsewhere.id]);
      expect(await ids(reader, { q: word, spaceId: other, type: 'topic' })).toEqual([]);
      const [topicHit] = (await search(reader, { q: word, type: 'topic' })).items;
      expect(topicHit).toMatchObject({ topicId: topic.id, postId: topic.postId, url: `/topics/${topic.id}`, spaceId: publicId });
      expect((await search(reader, { q: word, type: 'document', spaceId: other })).items[0]).toMatchObject({
        url: `/documents/${elsewhere.id}`,
        spaceName: 'Autre espace',
      });
      expect((await search(reader, { q: word, type: 'faq' })).items[0]!.url).toBe(`/spaces/${publicId}/faq#faq-${entry.id}`);
    });

    it('pages with limit and cursor, in the order of the whole list, each hit once', async () => {
      const word = uniqueWord();
      const written: string[] = [];
      for (let i = 1; i <= 5; i++) {
        // Different lengths and repetitions give different ranks; equal ones are ordered too.
        written.push((await createDocument(contributor, publicId, `Fiche ${i}`, `${`${word} `.repeat(i % 3 + 1)}et du texte ${'x '.repeat(i)}`)).id);
      }
      const whole = await ids(reader, { q: word });
      expect([...whole].sort()).toEqual([...written].sort());

      const paged: string[] = [];
      let cursor: string | null = null;
      const sizes: number[] = [];
      do {
        const page: { items: Hit[]; nextCursor: string | null } = await search(reader, { q: word, limit: 2, ...(cursor ? { cursor } : {}) });
        sizes.push(page.items.length);
        paged.push(...page.items.map((h) => h.id));
        cursor = page.nextCursor;
      } while (cursor);
      expect(sizes).toEqual([2, 2, 1]);
      expect(paged).toEqual(whole);
    });

    it('refuses bad input with a problem naming the field', async () => {
      await refused(reader.agent.get('/api/search'), 400, 'q');
      await refused(reader.agent.get('/api/search').query({ q: '' }), 400, 'q');
      await refused(reader.agent.get('/api/search').query({ q: '   ' }), 400, 'q');
      await refused(reader.agent.get('/api/search').query({ q: 'é'.repeat(201) }), 400, 'q');
      expect((await search(reader, { q: `${'é'.repeat(199)} ` })).items).toEqual([]);
      await refused(reader.agent.get('/api/search?q=a&q=b'), 400, 'q');
      await refused(reader.agent.get('/api/search').query({ q: 'pix', type: 'user' }), 400, 'type');
      await refused(reader.agent.get('/api/search').query({ q: 'pix', spaceId: 'not-a-uuid' }), 400, 'spaceId');
      await refused(reader.agent.get('/api/search').query({ q: 'pix', cursor: 'garbage' }), 400, 'cursor');
      await refused(reader.agent.get('/api/search').query({ q: 'pix', cursor: Buffer.from('["a","b"]').toString('base64url') }), 400, 'cursor');
      await refused(reader.agent.get('/api/search').query({ q: 'pix', limit: 0 }), 400, 'limit');
      await t.anonymous().get('/api/search').query({ q: 'pix' }).expect(401);
    });
  });

  describe('access', () => {
    it("never shows a private space's content to others, and shows it to its members and the dane", async () => {
      const word = uniqueWord();
      const secret = await openTopic(contributor, privateId, `Secret ${word}`, `Le corps secret ${word}.`);
      const secretReply = await reply(contributor, secret.id, `Réponse secrète ${word}`);
      const secretFiche = await createDocument(contributor, privateId, `Fiche secrète ${word}`, 'Corps.');
      const visible = await openTopic(contributor, publicId, `Public ${word}`, 'Pour tous.');
      const members = [secret.id, secretReply.id, secretFiche.id, visible.id].sort();

      expect(await ids(outsider, { q: word })).toEqual([visible.id]);
      for (const type of ['topic', 'post', 'document']) expect(await ids(outsider, { q: word, type })).toEqual(type === 'topic' ? [visible.id] : []);
      const outsiders = await search(outsider, { q: word });
      expect(JSON.stringify(outsiders)).not.toMatch(new RegExp(`${privateId}|secret|Espace privé`, 'i'));
      for (const member of [contributor, reader, manager, dane]) expect((await ids(member, { q: word })).sort()).toEqual(members);
      expect((await ids(reader, { q: word, spaceId: privateId })).sort()).toEqual([secret.id, secretReply.id, secretFiche.id].sort());

      // Asking for the private space by id: the very 404 of a space that does not exist.
      const hidden = await refused(outsider.agent.get('/api/search').query({ q: word, spaceId: privateId }), 404);
      const missing = await refused(outsider.agent.get('/api/search').query({ q: word, spaceId: UNKNOWN_ID }), 404);
      expect(hidden.body).toEqual(missing.body);
    });

    it("keeps a restricted space's content for its members (403 when asked for by a non-member)", async () => {
      const word = uniqueWord();
      const fiche = await createDocument(contributor, restrictedId, `Restreinte ${word}`, 'Corps.');
      expect(await ids(outsider, { q: word })).toEqual([]);
      expect(await ids(reader, { q: word })).toEqual([]);
      expect(await ids(contributor, { q: word })).toEqual([fiche.id]);
      expect(await ids(dane, { q: word })).toEqual([fiche.id]);
      await refused(outsider.agent.get('/api/search').query({ q: word, spaceId: restrictedId }), 403);
    });

    it('shows FAQ drafts to their author, the managers and the dane only, until published', async () => {
      const word = uniqueWord();
      const entry = await draftFaq(contributor, publicId, `Brouillon ${word} ?`, 'Réponse.');
      for (const who of [contributor, manager, dane]) {
        expect((await search(who, { q: word })).items).toEqual([expect.objectContaining({ id: entry.id, type: 'faq', status: 'draft' })]);
      }
      for (const who of [otherContributor, reader, outsider]) expect(await ids(who, { q: word })).toEqual([]);

      await landed(manager.agent.post(`/api/faq/${entry.id}/publish`), 200);
      for (const who of [otherContributor, reader, outsider]) {
        expect((await search(who, { q: word })).items).toEqual([expect.objectContaining({ id: entry.id, status: 'published' })]);
      }
      await landed(manager.agent.post(`/api/faq/${entry.id}/unpublish`), 200);
      for (const who of [otherContributor, reader, outsider]) expect(await ids(who, { q: word })).toEqual([]);
      expect(await ids(contributor, { q: word })).toEqual([entry.id]);
    });
  });

  describe('edits and deletions', () => {
    it("forgets a deleted post's text, and an edited post's former text", async () => {
      const [kept, gone, before, after, opening, title] = [uniqueWord(), uniqueWord(), uniqueWord(), uniqueWord(), uniqueWord(), uniqueWord()];
      const topic = await openTopic(contributor, publicId, `Sujet ${title}`, `Ouverture ${opening}`);
      const deleted = await reply(contributor, topic.id, `À effacer ${gone} ${kept}`);
      const edited = await reply(contributor, topic.id, `Première version ${before} ${kept}`);
      expect((await ids(reader, { q: kept })).sort()).toEqual([deleted.id, edited.id].sort());

      await landed(contributor.agent.delete(`/api/posts/${deleted.id}`), 200);
      expect(await ids(reader, { q: gone })).toEqual([]);
      expect(await ids(reader, { q: kept })).toEqual([edited.id]);

      await landed(contributor.agent.patch(`/api/posts/${edited.id}`).send({ body: `Seconde version ${after}` }), 200);
      expect(await ids(reader, { q: before })).toEqual([]);
      expect(await ids(reader, { q: kept })).toEqual([]);
      expect((await search(reader, { q: after })).items).toEqual([
        expect.objectContaining({ id: edited.id, excerpt: `Seconde version <mark>${after}</mark>` }),
      ]);

      // The opening post deleted: the topic is still found by its title, never by that text.
      await landed(contributor.agent.delete(`/api/posts/${topic.postId}`), 200);
      expect(await ids(reader, { q: opening })).toEqual([]);
      expect((await search(reader, { q: title })).items).toEqual([expect.objectContaining({ id: topic.id, excerpt: '' })]);
    });

    it('follows a fiche through revisions and a new title, and an FAQ entry through edits', async () => {
      const [first, second, retitled, question, answer] = [uniqueWord(), uniqueWord(), uniqueWord(), uniqueWord(), uniqueWord()];
      const fiche = await createDocument(contributor, publicId, 'Fiche à réviser', `Version ${first}`);
      await landed(contributor.agent.put(`/api/documents/${fiche.id}/content`).send({ body: `Version ${second}`, baseRevision: 1 }), 200);
      await landed(contributor.agent.patch(`/api/documents/${fiche.id}`).send({ title: `Titre ${retitled}` }), 200);
      expect(await ids(reader, { q: first })).toEqual([]);
      expect(await ids(reader, { q: second })).toEqual([fiche.id]);
      expect((await search(reader, { q: retitled })).items).toEqual([expect.objectContaining({ title: `Titre ${retitled}` })]);

      const entry = await draftFaq(contributor, publicId, 'Question provisoire ?', 'Réponse provisoire.');
      await landed(contributor.agent.patch(`/api/faq/${entry.id}`).send({ question: `Question ${question} ?`, answer: `Réponse ${answer}.` }), 200);
      expect(await ids(contributor, { q: 'provisoire' })).toEqual([]);
      expect(await ids(contributor, { q: question })).toEqual([entry.id]);
      expect(await ids(contributor, { q: answer })).toEqual([entry.id]);
    });
  });

  describe('rebuild', () => {
    it('gives the same results after a rebuild through the runner (twice), and keeps indexing afterwards', async () => {
      const queries: Array<[SignedInClient, Record<string, string>]> = [
        [dane, { q: 'evaluation' }],
        [dane, { q: 'competence' }],
        [outsider, { q: 'competence' }],
        [reader, { q: 'sujet' }],
        [contributor, { q: 'question', type: 'faq' }],
        [reader, { q: 'fiche', spaceId: publicId }],
      ];
      const answers = async () => Promise.all(queries.map(([who, query]) => search(who, { ...query, limit: 100 })));
      const before = await answers();
      expect(before.every((answer) => answer.items.length > 0)).toBe(true);

      const db = t.app.get<SqlDatabase>(READ_DB);
      const searchObjects = async (): Promise<string[]> =>
        (db.dialect === 'sqlite'
          ? await db.query<{ name: string }>(`SELECT name FROM sqlite_master WHERE name LIKE 'search%' ORDER BY name`)
          : await db.query<{ name: string }>(
              `SELECT relname AS name FROM pg_class WHERE relnamespace = current_schema()::regnamespace AND relname LIKE 'search%' ORDER BY relname`,
            )
        ).map((row) => row.name);
      const objectsBefore = await searchObjects();
      expect(objectsBefore).toEqual(
        expect.arrayContaining(db.dialect === 'sqlite' ? ['search_entries', 'search_fts', 'search_fts_data', 'search_fts_idx'] : ['search_entries', 'search_entries_document']),
      );
      const runner = t.app.get<ProjectionRunner>(PROJECTION_RUNNER);
      for (let round = 0; round < 2; round++) {
        const result = await runner.rebuild('search');
        expect(result.position).toBeGreaterThanOrEqual(last);
        const after = await answers();
        // Ranks may differ by float noise of a fresh index; hits, order and excerpts may not.
        expect(after.map((a) => a.items)).toEqual(before.map((b) => b.items));
        // The swap left nothing of the shadow behind: FTS5's own tables went with its virtual table;
        // the same tables and indexes are there (indexes keep the generation that built them).
        const objectsAfter = await searchObjects();
        const withoutGeneration = (names: string[]): string[] => names.map((name) => name.replace(/__r[0-9]+(?=_|$)/, '')).sort();
        expect(objectsAfter.filter((name) => /__r[0-9]+$/.test(name))).toEqual([]);
        expect(withoutGeneration(objectsAfter)).toEqual(withoutGeneration(objectsBefore));
      }

      const word = uniqueWord();
      const fresh = await createDocument(contributor, publicId, `Après reconstruction ${word}`, 'Corps.');
      expect(await ids(reader, { q: word })).toEqual([fresh.id]);
    }, 60_000);
  });
});
