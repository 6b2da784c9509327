import { randomInt } from 'node:crypto';
import type request from 'supertest';
import { freshEmail, startTestApp, storeKinds, type SignedInClient, type TestApp } from './support/test-app.js';
import { SecretScanner } from './support/secret-scanner.js';

/**
 * Every endpoint of "Forums", "FAQ", "Shared PIX documents" and "Search" × every kind of actor ×
 * every visibility, each cell asserted, in the manner of spaces-access-matrix.e2e.spec.ts. The
 * expected status comes from the rules written once, here, in plain terms:
 *
 * - anonymous: 401 everywhere;
 * - a private space's non-member (but the dane): 404 for the space and every topic, post, entry
 *   and document in it, as for something that does not exist;
 * - a restricted space's non-member knows the space (its card is listed): 403 on its content;
 * - readers read; contributors (and managers, and the dane) open topics, reply, react, draft
 *   FAQ entries and write fiches; managers (and the dane) pin, lock, publish and unpublish;
 * - a post is edited or deleted, and its versions read, by its author or a manager; a topic's
 *   solution is chosen (and the topic promoted to the FAQ) by the topic's author or a manager;
 * - an FAQ draft exists only for its author and those who manage: 404 to everyone else.
 *
 * The fixtures of each matrix space (topics, posts, entries, documents) are written by the
 * contributor, so "the author" is the contributor.
 *
 * Bodies are checked too: a private space ("the secret") holds a topic, a reply, an FAQ entry
 * and a fiche whose titles and bodies carry unique random words, and a public space turned
 * private after it got content does too. Every answer to an actor who may not know them (all
 * but the dane) is scanned for those words, the ids and the secret's own member (SecretScanner).
 */
const kinds = await storeKinds();

const ACTORS = ['dane', 'rrupnSameUai', 'rrupnOtherUai', 'manager', 'contributor', 'reader', 'nonMember', 'anonymous'] as const;
type ActorKind = (typeof ACTORS)[number];
const VISIBILITIES = ['public', 'restricted', 'private'] as const;
type Visibility = (typeof VISIBILITIES)[number];

const isMember = (a: ActorKind) => a === 'manager' || a === 'contributor' || a === 'reader';
const mayKnow = (a: ActorKind, v: Visibility) => v !== 'private' || isMember(a) || a === 'dane';
const mayRead = (a: ActorKind, v: Visibility) => v === 'public' || isMember(a) || a === 'dane';
const mayContribute = (a: ActorKind) => a === 'manager' || a === 'contributor' || a === 'dane';
const mayManage = (a: ActorKind) => a === 'manager' || a === 'dane';
/** The fixtures' author: the contributor. */
const isAuthor = (a: ActorKind) => a === 'contributor';

/** 401 for anonymous, 404 when the actor may not know the space, 403 when not allowed, else ok. */
function gate(a: ActorKind, v: Visibility, allowed: boolean, ok: number): number {
  if (a === 'anonymous') return 401;
  if (!mayKnow(a, v)) return 404;
  return allowed ? ok : 403;
}

/** An FAQ draft: it does not exist (404) for anyone but its author and those who manage. */
function draftGate(a: ActorKind, v: Visibility, allowed: boolean, ok: number): number {
  if (a === 'anonymous') return 401;
  if (!mayKnow(a, v) || !(isAuthor(a) || mayManage(a))) return 404;
  return allowed ? ok : 403;
}

/** A word no other test writes: lower-case letters only, so every tokenizer keeps it whole. */
function secretWord(): string {
  return Array.from({ length: 14 }, () => String.fromCharCode(97 + randomInt(26))).join('');
}

interface Cell {
  actor: ActorKind;
  visibility: Visibility;
  spaceId: string;
  client: request.Agent;
}

interface Endpoint {
  name: string;
  expected(a: ActorKind, v: Visibility): number;
  /** Prepares what the cell needs (a fresh post to delete, a fresh draft…), then calls. */
  call(cell: Cell): Promise<request.Response>;
}

/** What each matrix space holds, written by its contributor in beforeAll. */
interface Fixtures {
  topicId: string;
  openingPostId: string;
  replyId: string;
  /** Pinned, unpinned, locked and unlocked by the matrix: nobody posts in it. */
  moderatedTopicId: string;
  publishedEntryId: string;
  draftId: string;
  documentId: string;
  /** The fiche's content revision, the next baseRevision (kept up to date by the cells). */
  documentRevision: number;
}

describe.each(kinds)('access matrix of forums, FAQ, fiches PIX and search (%s)', (kind) => {
  let t: TestApp;
  const clients = new Map<ActorKind, SignedInClient>();
  const spaces = new Map<Visibility, string>();
  const fixtures = new Map<Visibility, Fixtures>();
  let position = 0;
  const UAI = '0067777M';

  const secrets = new SecretScanner();
  const landed = (r: request.Response): request.Response => {
    if (typeof r.body?.position === 'number') position = Math.max(position, r.body.position);
    return r;
  };
  const agentOf = (actor: ActorKind): request.Agent => (actor === 'anonymous' ? t.anonymous() : clients.get(actor)!.agent);
  const manager = () => clients.get('manager')!.agent;
  const contributor = () => clients.get('contributor')!.agent;
  const withPosition = (r: request.Test) => r.set('X-Min-Position', String(position));
  /** A write that must land, with the status it must answer. */
  const write = async (r: request.Test, status: number): Promise<request.Response> => {
    const response = await r;
    if (response.status !== status) throw new Error(`${status} expected, got ${response.status}: ${response.text.slice(0, 300)}`);
    return landed(response);
  };
  const fx = (visibility: Visibility): Fixtures => fixtures.get(visibility)!;

  beforeAll(async () => {
    t = await startTestApp(kind);
    clients.set('dane', await t.signIn(freshEmail('dane'), { roles: ['dane'] }));
    clients.set('manager', await t.signIn(freshEmail('chef'), { roles: ['chef_etablissement'], uai: UAI }));
    clients.set('rrupnSameUai', await t.signIn(freshEmail('rrupn-same'), { roles: ['rrupn'], uai: UAI }));
    clients.set('rrupnOtherUai', await t.signIn(freshEmail('rrupn-other'), { roles: ['rrupn'], uai: '0831111A' }));
    clients.set('contributor', await t.signIn(freshEmail('contributor')));
    clients.set('reader', await t.signIn(freshEmail('reader')));
    clients.set('nonMember', await t.signIn(freshEmail('outsider')));
    for (const visibility of VISIBILITIES) {
      const created = await write(
        // One establishment space per UAI (issue #8): the private one is the establishment's.
        manager().post('/api/spaces').send({ name: `Matrice contenus ${visibility}`, visibility, ...(visibility === 'private' ? { kind: 'establishment', uai: UAI } : { kind: 'thematic' }) }),
        201,
      );
      const spaceId = created.body.id as string;
      spaces.set(visibility, spaceId);
      await write(manager().post(`/api/spaces/${spaceId}/members`).send({ email: clients.get('contributor')!.email, role: 'contributor' }), 201);
      await write(manager().post(`/api/spaces/${spaceId}/members`).send({ email: clients.get('reader')!.email, role: 'reader' }), 201);
      fixtures.set(visibility, await writeFixtures(spaceId));
    }
    await plantSecrets();
  }, 120_000);
  afterAll(() => t?.close());

  /** The contributor's topic with a reply, a topic to moderate, a published entry, a draft, a fiche at revision 2. */
  async function writeFixtures(spaceId: string): Promise<Fixtures> {
    const topic = await write(
      contributor().post(`/api/spaces/${spaceId}/topics`).send({ title: 'Campagne PIX de rentrée', body: 'Qui lance la campagne ?', tags: ['pix'] }),
      201,
    );
    const reply = await write(contributor().post(`/api/topics/${topic.body.id}/posts`).send({ body: 'Le référent PIX, en octobre.' }), 201);
    const moderated = await write(
      contributor().post(`/api/spaces/${spaceId}/topics`).send({ title: 'Sujet à modérer', body: 'Un sujet qui sera épinglé puis verrouillé.' }),
      201,
    );
    const published = await write(
      contributor().post(`/api/spaces/${spaceId}/faq`).send({ question: 'Comment activer PIX Orga ?', answer: 'Depuis l’ENT.', category: 'Campagnes' }),
      201,
    );
    await write(manager().post(`/api/faq/${published.body.id}/publish`), 200);
    const draft = await write(
      contributor().post(`/api/spaces/${spaceId}/faq`).send({ question: 'Brouillon de question', answer: 'Brouillon de réponse' }),
      201,
    );
    const document = await write(
      contributor().post(`/api/spaces/${spaceId}/documents`).send({ title: 'Fiche recherche', body: 'Première version', competences: ['1.1'] }),
      201,
    );
    const revised = await write(contributor().put(`/api/documents/${document.body.id}/content`).send({ body: 'Deuxième version', baseRevision: 1 }), 200);
    return {
      topicId: topic.body.id,
      openingPostId: topic.body.postId,
      replyId: reply.body.id,
      moderatedTopicId: moderated.body.id,
      publishedEntryId: published.body.id,
      draftId: draft.body.id,
      documentId: document.body.id,
      documentRevision: revised.body.documentRevision,
    };
  }

  /** The secrets' words, by what holds them (search queries ask for them). */
  const words = { topic: secretWord(), reply: secretWord(), faq: secretWord(), document: secretWord(), later: secretWord() };
  /** What the secret spaces hold, to ask for by id. */
  const hidden = { spaceId: '', topicId: '', openingPostId: '', replyId: '', entryId: '', draftId: '', documentId: '', laterTopicId: '', laterDocumentId: '' };
  let insider: SignedInClient;

  /**
   * The secrets: a private space whose content looks like the matrix spaces' (same tag, same
   * competence, same FAQ category, the same common words), so that a list or a search that
   * forgot the space or its visibility would show it; and a public space that got content and
   * was then made private. Only their members and the dane may see any of it.
   */
  async function plantSecrets(): Promise<void> {
    const keeper = await t.signIn(freshEmail('keeper'), { displayName: 'Gardienne Discrète' });
    insider = await t.signIn(freshEmail('insider'), { displayName: `Initiée ${secretWord()}` });
    const secretName = `Cellule confidentielle ${secretWord()}`;
    const space = await write(keeper.agent.post('/api/spaces').send({ name: secretName, kind: 'thematic', visibility: 'private' }), 201);
    hidden.spaceId = space.body.id;
    await write(keeper.agent.post(`/api/spaces/${hidden.spaceId}/members`).send({ email: insider.email, role: 'contributor' }), 201);
    const topic = await write(
      insider.agent
        .post(`/api/spaces/${hidden.spaceId}/topics`)
        .send({ title: `Campagne PIX ${words.topic}`, body: `Campagne confidentielle ${words.topic}`, tags: ['pix'] }),
      201,
    );
    hidden.topicId = topic.body.id;
    hidden.openingPostId = topic.body.postId;
    const reply = await write(
      keeper.agent.post(`/api/topics/${hidden.topicId}/posts`).send({ body: `La campagne ${words.reply} démarre.`, replyTo: hidden.openingPostId }),
      201,
    );
    hidden.replyId = reply.body.id;
    await write(insider.agent.post(`/api/posts/${hidden.replyId}/reactions`).send({ emoji: '👍' }), 200);
    await write(insider.agent.post(`/api/topics/${hidden.topicId}/solution`).send({ postId: hidden.replyId }), 200);
    const entry = await write(
      insider.agent
        .post(`/api/spaces/${hidden.spaceId}/faq`)
        .send({ question: `Comment activer PIX Orga ${words.faq} ?`, answer: `Réponse ${words.faq}`, category: 'Campagnes' }),
      201,
    );
    hidden.entryId = entry.body.id;
    await write(keeper.agent.post(`/api/faq/${hidden.entryId}/publish`), 200);
    const promoted = await write(keeper.agent.post(`/api/topics/${hidden.topicId}/promote-to-faq`).send({}), 201);
    hidden.draftId = promoted.body.id;
    const document = await write(
      insider.agent
        .post(`/api/spaces/${hidden.spaceId}/documents`)
        .send({ title: `Fiche recherche ${words.document}`, body: `Première version ${words.document}`, competences: ['1.1'] }),
      201,
    );
    hidden.documentId = document.body.id;
    await write(
      insider.agent.put(`/api/documents/${hidden.documentId}/content`).send({ body: `Deuxième version ${words.document}`, baseRevision: 1, summary: words.document }),
      200,
    );

    const laterName = `Espace devenu privé ${secretWord()}`;
    const later = await write(keeper.agent.post('/api/spaces').send({ name: laterName, kind: 'thematic', visibility: 'public' }), 201);
    const laterTopic = await write(
      keeper.agent.post(`/api/spaces/${later.body.id}/topics`).send({ title: `Campagne PIX ${words.later}`, body: words.later, tags: ['pix'] }),
      201,
    );
    const laterDocument = await write(
      keeper.agent.post(`/api/spaces/${later.body.id}/documents`).send({ title: `Fiche recherche ${words.later}`, body: words.later, competences: ['1.1'] }),
      201,
    );
    const laterEntry = await write(
      keeper.agent.post(`/api/spaces/${later.body.id}/faq`).send({ question: `Question ${words.later} ?`, answer: words.later, category: 'Campagnes' }),
      201,
    );
    await write(keeper.agent.post(`/api/faq/${laterEntry.body.id}/publish`), 200);
    await write(keeper.agent.patch(`/api/spaces/${later.body.id}`).send({ visibility: 'private' }), 200);
    hidden.laterTopicId = laterTopic.body.id;
    hidden.laterDocumentId = laterDocument.body.id;

    const insiderName = (await insider.agent.get('/api/me').expect(200)).body.displayName as string;
    secrets.add(...Object.values(words), secretName, laterName, insiderName, insider.id, insider.email, keeper.id);
    secrets.add(...Object.values(hidden), later.body.id, laterEntry.body.id, reply.body.id);
  }

  /** Every answer to `actor` (none of them knows the secrets but the dane) is scanned. */
  const scanned = (actor: ActorKind, r: request.Response): request.Response => {
    if (actor !== 'dane') secrets.assertAbsent(r, actor);
    return r;
  };

  /** A reply of the contributor's in the space's topic (to delete). */
  const freshReply = async (v: Visibility): Promise<string> =>
    (await write(contributor().post(`/api/topics/${fx(v).topicId}/posts`).send({ body: 'Une réponse de plus' }), 201)).body.id;
  /** A draft of the contributor's. */
  const freshDraft = async (spaceId: string): Promise<string> =>
    (await write(contributor().post(`/api/spaces/${spaceId}/faq`).send({ question: 'Une question de plus ?', answer: 'Une réponse.' }), 201)).body.id;
  /** A published entry of the contributor's. */
  const freshPublished = async (spaceId: string): Promise<string> => {
    const id = await freshDraft(spaceId);
    await write(manager().post(`/api/faq/${id}/publish`), 200);
    return id;
  };
  /** A topic of the contributor's, solved by one of its replies (promoted at most once). */
  const freshSolvedTopic = async (spaceId: string): Promise<string> => {
    const topic = await write(contributor().post(`/api/spaces/${spaceId}/topics`).send({ title: 'Question résolue', body: 'Comment faire ?' }), 201);
    const reply = await write(contributor().post(`/api/topics/${topic.body.id}/posts`).send({ body: 'Ainsi.' }), 201);
    await write(contributor().post(`/api/topics/${topic.body.id}/solution`).send({ postId: reply.body.id }), 200);
    return topic.body.id;
  };
  /** Keeps the fiche's revision for the next cell's baseRevision. */
  const revised = (v: Visibility, r: request.Response): request.Response => {
    if (r.status === 200) fx(v).documentRevision = r.body.documentRevision;
    return r;
  };

  const forums: Endpoint[] = [
    {
      name: 'POST /api/spaces/:id/topics',
      expected: (a, v) => gate(a, v, mayContribute(a), 201),
      call: ({ client, spaceId, actor }) => client.post(`/api/spaces/${spaceId}/topics`).send({ title: `Sujet de ${actor}`, body: 'Bonjour', tags: ['pix'] }),
    },
    {
      name: 'GET /api/spaces/:id/topics',
      expected: (a, v) => gate(a, v, mayRead(a, v), 200),
      call: ({ client, spaceId }) => withPosition(client.get(`/api/spaces/${spaceId}/topics?limit=100`)),
    },
    {
      name: 'GET /api/spaces/:id/topics?sort=unanswered&tag=pix',
      expected: (a, v) => gate(a, v, mayRead(a, v), 200),
      call: ({ client, spaceId }) => withPosition(client.get(`/api/spaces/${spaceId}/topics?sort=unanswered&tag=pix&limit=100`)),
    },
    {
      name: 'GET /api/topics/:id',
      expected: (a, v) => gate(a, v, mayRead(a, v), 200),
      call: ({ client, visibility }) => withPosition(client.get(`/api/topics/${fx(visibility).topicId}`)),
    },
    {
      name: 'POST /api/topics/:id/read',
      expected: (a, v) => gate(a, v, mayRead(a, v), 200),
      call: ({ client, visibility }) => client.post(`/api/topics/${fx(visibility).topicId}/read`),
    },
    {
      name: 'POST /api/topics/:id/posts',
      expected: (a, v) => gate(a, v, mayContribute(a), 201),
      call: ({ client, visibility, actor }) =>
        client.post(`/api/topics/${fx(visibility).topicId}/posts`).send({ body: `Réponse de ${actor}`, replyTo: fx(visibility).replyId }),
    },
    {
      name: 'PATCH /api/posts/:id',
      expected: (a, v) => gate(a, v, isAuthor(a) || mayManage(a), 200),
      call: ({ client, visibility, actor }) => client.patch(`/api/posts/${fx(visibility).replyId}`).send({ body: `Corrigé par ${actor}` }),
    },
    {
      name: 'GET /api/posts/:id/versions',
      expected: (a, v) => gate(a, v, isAuthor(a) || mayManage(a), 200),
      call: ({ client, visibility }) => withPosition(client.get(`/api/posts/${fx(visibility).replyId}/versions`)),
    },
    {
      name: 'DELETE /api/posts/:id',
      expected: (a, v) => gate(a, v, isAuthor(a) || mayManage(a), 200),
      call: async ({ client, visibility }) => client.delete(`/api/posts/${await freshReply(visibility)}`),
    },
    ...(['pin', 'unpin', 'lock', 'unlock'] as const).map(
      (action): Endpoint => ({
        name: `POST /api/topics/:id/${action}`,
        expected: (a, v) => gate(a, v, mayManage(a), 200),
        call: ({ client, visibility }) => client.post(`/api/topics/${fx(visibility).moderatedTopicId}/${action}`),
      }),
    ),
    {
      name: 'POST /api/topics/:id/solution',
      expected: (a, v) => gate(a, v, isAuthor(a) || mayManage(a), 200),
      call: ({ client, visibility }) => client.post(`/api/topics/${fx(visibility).topicId}/solution`).send({ postId: fx(visibility).replyId }),
    },
    {
      name: 'POST /api/posts/:id/reactions',
      expected: (a, v) => gate(a, v, mayContribute(a), 200),
      call: ({ client, visibility }) => client.post(`/api/posts/${fx(visibility).openingPostId}/reactions`).send({ emoji: '👍' }),
    },
    {
      name: 'DELETE /api/posts/:id/reactions/:emoji',
      expected: (a, v) => gate(a, v, mayContribute(a), 200),
      call: ({ client, visibility }) => client.delete(`/api/posts/${fx(visibility).openingPostId}/reactions/${encodeURIComponent('👍')}`),
    },
  ];

  const faq: Endpoint[] = [
    {
      name: 'POST /api/spaces/:id/faq',
      expected: (a, v) => gate(a, v, mayContribute(a), 201),
      call: ({ client, spaceId, actor }) => client.post(`/api/spaces/${spaceId}/faq`).send({ question: `Question de ${actor} ?`, answer: 'Réponse.' }),
    },
    {
      name: 'GET /api/spaces/:id/faq',
      expected: (a, v) => gate(a, v, mayRead(a, v), 200),
      call: ({ client, spaceId }) => withPosition(client.get(`/api/spaces/${spaceId}/faq?limit=100`)),
    },
    {
      name: 'GET /api/spaces/:id/faq?q=',
      expected: (a, v) => gate(a, v, mayRead(a, v), 200),
      call: ({ client, spaceId }) => withPosition(client.get(`/api/spaces/${spaceId}/faq?q=${encodeURIComponent('activer')}`)),
    },
    {
      name: 'GET /api/faq/:id (published)',
      expected: (a, v) => gate(a, v, mayRead(a, v), 200),
      call: ({ client, visibility }) => withPosition(client.get(`/api/faq/${fx(visibility).publishedEntryId}`)),
    },
    {
      name: 'GET /api/faq/:id (a draft)',
      expected: (a, v) => draftGate(a, v, true, 200),
      call: ({ client, visibility }) => withPosition(client.get(`/api/faq/${fx(visibility).draftId}`)),
    },
    {
      name: 'PATCH /api/faq/:id (a draft)',
      expected: (a, v) => draftGate(a, v, true, 200),
      call: ({ client, visibility, actor }) => client.patch(`/api/faq/${fx(visibility).draftId}`).send({ answer: `Revue par ${actor}` }),
    },
    {
      name: 'PATCH /api/faq/:id (published)',
      // A published entry speaks for the space: managers only, its author included.
      expected: (a, v) => gate(a, v, mayManage(a), 200),
      call: ({ client, visibility, actor }) => client.patch(`/api/faq/${fx(visibility).publishedEntryId}`).send({ answer: `Revue par ${actor}` }),
    },
    {
      name: 'POST /api/faq/:id/publish (a draft)',
      expected: (a, v) => draftGate(a, v, mayManage(a), 200),
      call: async ({ client, spaceId }) => client.post(`/api/faq/${await freshDraft(spaceId)}/publish`),
    },
    {
      name: 'POST /api/faq/:id/unpublish',
      expected: (a, v) => gate(a, v, mayManage(a), 200),
      call: async ({ client, spaceId }) => client.post(`/api/faq/${await freshPublished(spaceId)}/unpublish`),
    },
    {
      name: 'POST /api/topics/:id/promote-to-faq',
      expected: (a, v) => gate(a, v, isAuthor(a) || mayManage(a), 201),
      call: async ({ client, spaceId }) => client.post(`/api/topics/${await freshSolvedTopic(spaceId)}/promote-to-faq`).send({ category: 'Campagnes' }),
    },
  ];

  const documents: Endpoint[] = [
    {
      name: 'POST /api/spaces/:id/documents',
      expected: (a, v) => gate(a, v, mayContribute(a), 201),
      call: ({ client, spaceId, actor }) =>
        client.post(`/api/spaces/${spaceId}/documents`).send({ title: `Fiche de ${actor}`, body: 'Contenu', competences: ['2.2'] }),
    },
    {
      name: 'GET /api/spaces/:id/documents',
      expected: (a, v) => gate(a, v, mayRead(a, v), 200),
      call: ({ client, spaceId }) => withPosition(client.get(`/api/spaces/${spaceId}/documents?limit=100`)),
    },
    {
      name: 'GET /api/spaces/:id/documents?competence=1.1&q=',
      expected: (a, v) => gate(a, v, mayRead(a, v), 200),
      call: ({ client, spaceId }) => withPosition(client.get(`/api/spaces/${spaceId}/documents?competence=1.1&q=recherche`)),
    },
    {
      name: 'GET /api/documents/:id',
      expected: (a, v) => gate(a, v, mayRead(a, v), 200),
      call: ({ client, visibility }) => withPosition(client.get(`/api/documents/${fx(visibility).documentId}`)),
    },
    {
      name: 'POST /api/documents/:id/read',
      expected: (a, v) => gate(a, v, mayRead(a, v), 200),
      call: ({ client, visibility }) => client.post(`/api/documents/${fx(visibility).documentId}/read`),
    },
    {
      name: 'PUT /api/documents/:id/content',
      expected: (a, v) => gate(a, v, mayContribute(a), 200),
      call: async ({ client, visibility, actor }) =>
        revised(
          visibility,
          await client
            .put(`/api/documents/${fx(visibility).documentId}/content`)
            .send({ body: `Version de ${actor}`, baseRevision: fx(visibility).documentRevision, summary: `par ${actor}` }),
        ),
    },
    {
      name: 'PATCH /api/documents/:id',
      expected: (a, v) => gate(a, v, mayContribute(a), 200),
      call: ({ client, visibility, actor }) => client.patch(`/api/documents/${fx(visibility).documentId}`).send({ title: `Fiche revue par ${actor}` }),
    },
    {
      name: 'GET /api/documents/:id/revisions',
      expected: (a, v) => gate(a, v, mayRead(a, v), 200),
      call: ({ client, visibility }) => withPosition(client.get(`/api/documents/${fx(visibility).documentId}/revisions`)),
    },
    {
      name: 'GET /api/documents/:id/revisions/:rev',
      expected: (a, v) => gate(a, v, mayRead(a, v), 200),
      call: ({ client, visibility }) => withPosition(client.get(`/api/documents/${fx(visibility).documentId}/revisions/1`)),
    },
    {
      name: 'GET /api/documents/:id/diff',
      expected: (a, v) => gate(a, v, mayRead(a, v), 200),
      call: ({ client, visibility }) => withPosition(client.get(`/api/documents/${fx(visibility).documentId}/diff?from=1&to=2`)),
    },
    {
      name: 'POST /api/documents/:id/restore',
      expected: (a, v) => gate(a, v, mayContribute(a), 200),
      call: async ({ client, visibility, actor }) =>
        revised(visibility, await client.post(`/api/documents/${fx(visibility).documentId}/restore`).send({ revision: 1, summary: `rétabli par ${actor}` })),
    },
  ];

  const search: Endpoint[] = [
    {
      name: 'GET /api/search?q=&spaceId=',
      expected: (a, v) => gate(a, v, mayRead(a, v), 200),
      call: ({ client, spaceId }) => withPosition(client.get(`/api/search?q=campagne&spaceId=${spaceId}`)),
    },
    {
      name: 'GET /api/search?q=&spaceId=&type=document',
      expected: (a, v) => gate(a, v, mayRead(a, v), 200),
      call: ({ client, spaceId }) => withPosition(client.get(`/api/search?q=recherche&spaceId=${spaceId}&type=document`)),
    },
  ];

  async function runMatrix(endpoint: Endpoint): Promise<void> {
    const actual: Record<string, number> = {};
    const expected: Record<string, number> = {};
    for (const visibility of VISIBILITIES) {
      for (const actor of ACTORS) {
        const response = scanned(actor, landed(await endpoint.call({ actor, visibility, spaceId: spaces.get(visibility)!, client: agentOf(actor) })));
        const key = `${visibility} × ${actor}`;
        actual[key] = response.status;
        expected[key] = endpoint.expected(actor, visibility);
        if (response.status >= 400) expect(response.headers['content-type']).toMatch(/application\/problem\+json/);
      }
    }
    expect(actual).toEqual(expected);
  }

  describe('forums', () => {
    it.each(forums.map((e) => [e.name, e] as const))('%s', (_name, endpoint) => runMatrix(endpoint), 90_000);
  });
  describe('FAQ', () => {
    it.each(faq.map((e) => [e.name, e] as const))('%s', (_name, endpoint) => runMatrix(endpoint), 90_000);
  });
  describe('fiches PIX', () => {
    it.each(documents.map((e) => [e.name, e] as const))('%s', (_name, endpoint) => runMatrix(endpoint), 90_000);
  });
  describe('search', () => {
    it.each(search.map((e) => [e.name, e] as const))('%s', (_name, endpoint) => runMatrix(endpoint), 90_000);
  });

  it('hides the drafts of others from FAQ lists, as it does from GET /api/faq/:id', async () => {
    const draftQuestion = 'Brouillon de question';
    for (const actor of ACTORS) {
      if (actor === 'anonymous') continue;
      const r = await withPosition(agentOf(actor).get(`/api/spaces/${spaces.get('public')!}/faq?limit=100`)).expect(200);
      const questions = (r.body.items as Array<{ question: string }>).map((item) => item.question);
      expect({ actor, sees: questions.includes(draftQuestion) }).toEqual({ actor, sees: isAuthor(actor) || mayManage(actor) });
    }
  });

  /** Every read a non-member could make that might carry a secret by mistake. */
  const publicReads = (): string[] => {
    const pub = spaces.get('public')!;
    const f = fx('public');
    return [
      `/api/spaces/${pub}/topics?limit=100`,
      `/api/spaces/${pub}/topics?tag=pix&limit=100`,
      `/api/spaces/${pub}/topics?sort=unanswered&limit=100`,
      `/api/topics/${f.topicId}?limit=100`,
      `/api/spaces/${pub}/faq?limit=100`,
      `/api/spaces/${pub}/faq?q=activer`,
      ...Object.values(words).map((word) => `/api/spaces/${pub}/faq?q=${word}`),
      `/api/faq/${f.publishedEntryId}`,
      `/api/spaces/${pub}/documents?limit=100`,
      `/api/spaces/${pub}/documents?competence=1.1&limit=100`,
      `/api/spaces/${pub}/documents?q=recherche&limit=100`,
      `/api/documents/${f.documentId}`,
      `/api/documents/${f.documentId}/revisions?limit=100`,
      `/api/spaces?limit=100`,
      `/api/spaces/${pub}`,
      `/api/spaces/${pub}/activity`,
      '/api/search?q=campagne',
      '/api/search?q=recherche&limit=100',
      '/api/search?q=pix&type=topic&limit=100',
      `/api/search?q=campagne&spaceId=${pub}`,
      ...Object.values(words).flatMap((word) => [`/api/search?q=${word}`, `/api/search?q=${word}&spaceId=${pub}`]),
      ...(['topic', 'post', 'faq', 'document'] as const).map((type) => `/api/search?q=${words[type === 'post' ? 'reply' : type]}&type=${type}`),
    ];
  };

  it('shows no topic, post, FAQ entry or fiche of a private space, nor its words, to anyone but its members and the dane', async () => {
    for (const actor of ACTORS) {
      for (const url of publicReads()) {
        const answer = await withPosition(agentOf(actor).get(url));
        expect({ url, actor, status: answer.status }).toEqual({ url, actor, status: actor === 'anonymous' ? 401 : 200 });
        scanned(actor, answer);
      }
    }
  }, 120_000);

  it('answers a private space’s content by id exactly as it answers an id that does not exist', async () => {
    const missing = '01936000-0000-7000-8000-00000000dead';
    const asks: Array<{ name: string; id: string; call: (agent: request.Agent, id: string) => request.Test }> = [
      { name: 'GET topic', id: hidden.topicId, call: (a, id) => a.get(`/api/topics/${id}`) },
      { name: 'GET topic (made private)', id: hidden.laterTopicId, call: (a, id) => a.get(`/api/topics/${id}`) },
      { name: 'read topic', id: hidden.topicId, call: (a, id) => a.post(`/api/topics/${id}/read`) },
      { name: 'reply', id: hidden.topicId, call: (a, id) => a.post(`/api/topics/${id}/posts`).send({ body: 'Bonjour' }) },
      { name: 'pin', id: hidden.topicId, call: (a, id) => a.post(`/api/topics/${id}/pin`) },
      { name: 'solution', id: hidden.topicId, call: (a, id) => a.post(`/api/topics/${id}/solution`).send({ postId: hidden.replyId }) },
      { name: 'promote', id: hidden.topicId, call: (a, id) => a.post(`/api/topics/${id}/promote-to-faq`).send({}) },
      { name: 'versions', id: hidden.replyId, call: (a, id) => a.get(`/api/posts/${id}/versions`) },
      { name: 'edit post', id: hidden.replyId, call: (a, id) => a.patch(`/api/posts/${id}`).send({ body: 'Corrigé' }) },
      { name: 'delete post', id: hidden.replyId, call: (a, id) => a.delete(`/api/posts/${id}`) },
      { name: 'react', id: hidden.replyId, call: (a, id) => a.post(`/api/posts/${id}/reactions`).send({ emoji: '👍' }) },
      { name: 'GET entry', id: hidden.entryId, call: (a, id) => a.get(`/api/faq/${id}`) },
      { name: 'GET promoted draft', id: hidden.draftId, call: (a, id) => a.get(`/api/faq/${id}`) },
      { name: 'edit entry', id: hidden.entryId, call: (a, id) => a.patch(`/api/faq/${id}`).send({ answer: 'Autre' }) },
      { name: 'unpublish', id: hidden.entryId, call: (a, id) => a.post(`/api/faq/${id}/unpublish`) },
      { name: 'GET document', id: hidden.documentId, call: (a, id) => a.get(`/api/documents/${id}`) },
      { name: 'GET document (made private)', id: hidden.laterDocumentId, call: (a, id) => a.get(`/api/documents/${id}`) },
      { name: 'revisions', id: hidden.documentId, call: (a, id) => a.get(`/api/documents/${id}/revisions`) },
      { name: 'revision', id: hidden.documentId, call: (a, id) => a.get(`/api/documents/${id}/revisions/1`) },
      { name: 'diff', id: hidden.documentId, call: (a, id) => a.get(`/api/documents/${id}/diff?from=1&to=2`) },
      { name: 'read document', id: hidden.documentId, call: (a, id) => a.post(`/api/documents/${id}/read`) },
      { name: 'write content', id: hidden.documentId, call: (a, id) => a.put(`/api/documents/${id}/content`).send({ body: 'x', baseRevision: 2 }) },
      { name: 'patch document', id: hidden.documentId, call: (a, id) => a.patch(`/api/documents/${id}`).send({ title: 'Autre' }) },
      { name: 'restore', id: hidden.documentId, call: (a, id) => a.post(`/api/documents/${id}/restore`).send({ revision: 1 }) },
      { name: 'topics of the space', id: hidden.spaceId, call: (a, id) => a.get(`/api/spaces/${id}/topics`) },
      { name: 'FAQ of the space', id: hidden.spaceId, call: (a, id) => a.get(`/api/spaces/${id}/faq`) },
      { name: 'documents of the space', id: hidden.spaceId, call: (a, id) => a.get(`/api/spaces/${id}/documents`) },
      { name: 'search in the space', id: hidden.spaceId, call: (a, id) => a.get(`/api/search?q=campagne&spaceId=${id}`) },
    ];
    const head = await t.store.headPosition();
    for (const actor of ACTORS) {
      if (actor === 'dane' || actor === 'anonymous') continue;
      for (const ask of asks) {
        const secret = scanned(actor, await withPosition(ask.call(agentOf(actor), ask.id)));
        const none = await withPosition(ask.call(agentOf(actor), missing));
        expect({ ask: ask.name, actor, status: secret.status, body: secret.body }).toEqual({ ask: ask.name, actor, status: 404, body: none.body });
      }
    }
    expect(await t.store.headPosition()).toBe(head);
  }, 120_000);

  it('is not blind: the secrets are found in what the private space’s member and the dane are shown', async () => {
    for (const who of [insider.agent, clients.get('dane')!.agent]) {
      const shown = [
        await withPosition(who.get(`/api/topics/${hidden.topicId}`)).expect(200),
        await withPosition(who.get(`/api/spaces/${hidden.spaceId}/faq`)).expect(200),
        await withPosition(who.get(`/api/documents/${hidden.documentId}`)).expect(200),
        await withPosition(who.get(`/api/spaces/${hidden.spaceId}/documents?competence=1.1`)).expect(200),
      ];
      for (const answer of shown) expect(secrets.found(answer)).not.toEqual([]);
      expect(secrets.found(shown[0]!)).toEqual(expect.arrayContaining([words.topic, words.reply, hidden.topicId]));
      expect(secrets.found(shown[1]!)).toEqual(expect.arrayContaining([words.faq, hidden.entryId]));
      expect(secrets.found(shown[2]!)).toEqual(expect.arrayContaining([words.document]));
    }
    const hits = await withPosition(insider.agent.get(`/api/search?q=${words.document}`)).expect(200);
    expect(secrets.found(hits)).toContain(words.document);
    const inSpace = await withPosition(clients.get('dane')!.agent.get(`/api/search?q=campagne&spaceId=${hidden.spaceId}`)).expect(200);
    expect(secrets.found(inSpace)).toEqual(expect.arrayContaining([words.topic, hidden.topicId]));
  });
});
