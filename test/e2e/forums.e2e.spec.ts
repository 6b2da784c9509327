import type request from 'supertest';
import { freshEmail, startTestApp, storeKinds, type SignedInClient, type TestApp } from './support/test-app.js';

const kinds = await storeKinds();

const UNKNOWN_ID = '0190a5b4-0000-7000-8000-000000000000';

interface Landed {
  id: string;
  revision: number;
  position: number;
  postId?: string;
  topicId?: string;
}

describe.each(kinds)('forums end to end (%s)', (kind) => {
  let t: TestApp;
  let manager: SignedInClient;
  let contributor: SignedInClient;
  let other: SignedInClient;
  let reader: SignedInClient;
  let outsider: SignedInClient;
  let spaceId: string;
  let privateSpaceId: string;
  let lastPosition = 0;

  /** Every answer read after a write waits for it (X-Min-Position), never for a fixed time. */
  const get = (who: SignedInClient, url: string): request.Test => who.agent.get(url).set('X-Min-Position', String(lastPosition));
  const landed = (r: request.Response): Landed => {
    const body = r.body as Landed;
    lastPosition = Math.max(lastPosition, body.position);
    return body;
  };
  const fieldsOf = (r: request.Response): string[] => [...new Set((r.body.errors ?? []).map((e: { field: string }) => e.field) as string[])].sort();

  const openTopic = async (who: SignedInClient, body: object, space = spaceId): Promise<Landed> =>
    landed(await who.agent.post(`/api/spaces/${space}/topics`).send(body).expect(201));
  const reply = async (who: SignedInClient, topicId: string, body: object): Promise<Landed> =>
    landed(await who.agent.post(`/api/topics/${topicId}/posts`).send(body).expect(201));
  const topicPage = async (who: SignedInClient, topicId: string, query = '') => (await get(who, `/api/topics/${topicId}${query}`).expect(200)).body;
  const listTopics = async (who: SignedInClient, query = '', space = spaceId) =>
    (await get(who, `/api/spaces/${space}/topics${query}`).expect(200)).body as { items: Record<string, unknown>[]; nextCursor: string | null };
  const itemOf = async (who: SignedInClient, topicId: string, space = spaceId) => {
    let cursor: string | null = null;
    do {
      const page: { items: Record<string, unknown>[]; nextCursor: string | null } = await listTopics(who, `?limit=100${cursor ? `&cursor=${cursor}` : ''}`, space);
      const found = page.items.find((i) => i.id === topicId);
      if (found) return found;
      cursor = page.nextCursor;
    } while (cursor);
    throw new Error(`topic ${topicId} is not listed`);
  };

  /** Runs `send`, expects `status` with a problem, and checks that nothing was written. */
  const refused = async (status: number, send: () => request.Test, fields?: string[]): Promise<request.Response> => {
    const before = await t.store.headPosition();
    const r = await send();
    expect(r.status).toBe(status);
    expect(r.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(r.body).toMatchObject({ status, type: expect.any(String), title: expect.any(String), detail: expect.any(String) });
    if (fields) expect(fieldsOf(r)).toEqual([...fields].sort());
    expect(await t.store.headPosition()).toBe(before);
    return r;
  };

  const member = async (space: string, role: string, prefix: string): Promise<SignedInClient> => {
    const email = freshEmail(prefix);
    landed(await manager.agent.post(`/api/spaces/${space}/members`).send({ email, role }).expect(201));
    return t.signIn(email, { displayName: prefix });
  };

  beforeAll(async () => {
    t = await startTestApp(kind);
    manager = await t.signIn(freshEmail('manager'), { displayName: 'Manon Manager', roles: ['rrupn'] });
    spaceId = landed(await manager.agent.post('/api/spaces').send({ name: 'Forum PIX', kind: 'thematic', visibility: 'public' }).expect(201)).id;
    privateSpaceId = landed(await manager.agent.post('/api/spaces').send({ name: 'Forum privé', kind: 'thematic', visibility: 'private' }).expect(201)).id;
    contributor = await member(spaceId, 'contributor', 'Camille');
    other = await member(spaceId, 'contributor', 'Dominique');
    reader = await member(spaceId, 'reader', 'Rémi');
    outsider = await t.signIn(freshEmail('outsider'), { displayName: 'Olivier Dehors', roles: ['enseignant'] });
  }, 60_000);
  afterAll(() => t?.close());

  describe('topics', () => {
    it('opens a topic with a Markdown body and tags, in its own topic- stream', async () => {
      const created = await openTopic(contributor, { title: '  Activer PIX Orga ', body: 'Comment **activer** PIX Orga ?', tags: ['PIX', 'orga', 'pix'] });
      expect(created).toEqual({ id: expect.any(String), postId: expect.any(String), revision: 0, position: expect.any(Number) });
      const events = await t.store.readStream(`topic-${created.id}`);
      expect(events.map((e) => e.type)).toEqual(['TopicOpened']);
      expect(events[0]!.data).toMatchObject({ topicId: created.id, spaceId, postId: created.postId, by: contributor.id, tags: ['pix', 'orga'] });

      const page = await topicPage(contributor, created.id);
      expect(page.topic).toMatchObject({
        id: created.id,
        spaceId,
        title: 'Activer PIX Orga',
        tags: ['pix', 'orga'],
        authorId: contributor.id,
        authorName: 'Camille',
        replyCount: 0,
        pinned: false,
        locked: false,
        solved: false,
        unread: false,
        openingPostId: created.postId,
        solutionPostId: null,
        permissions: { reply: true, moderate: false, chooseSolution: true },
      });
      expect(page.topic.createdAt).toBe(page.topic.lastActivityAt);
      expect(page.posts).toEqual({
        items: [
          {
            id: created.postId,
            authorId: contributor.id,
            authorName: 'Camille',
            body: 'Comment **activer** PIX Orga ?',
            html: '<p>Comment <strong>activer</strong> PIX Orga ?</p>\n',
            replyTo: null,
            createdAt: page.topic.createdAt,
            editedAt: null,
            deleted: false,
            version: 1,
            reactions: {},
            mine: [],
          },
        ],
        nextCursor: null,
      });
    });

    it('renders sanitized HTML: no script, no javascript: link', async () => {
      const created = await openTopic(contributor, { title: 'XSS', body: '<script>alert(1)</script> [x](javascript:alert(1)) <img src=x onerror=alert(1)>' });
      const page = await topicPage(reader, created.id);
      const html = page.posts.items[0].html as string;
      expect(html).not.toMatch(/<script|<img|href="javascript:/i);
      expect(html).toContain('&lt;script&gt;');
      expect(page.posts.items[0].body).toContain('<script>');
    });

    it('lists pinned topics first, then by latest activity, with replyCount, unanswered and tag filters, in pages', async () => {
      const space = landed(await manager.agent.post('/api/spaces').send({ name: 'Liste', kind: 'thematic', visibility: 'public' }).expect(201)).id;
      const a = await openTopic(manager, { title: 'A', body: 'a', tags: ['ent'] }, space);
      const b = await openTopic(manager, { title: 'B', body: 'b', tags: ['pix'] }, space);
      const c = await openTopic(manager, { title: 'C', body: 'c', tags: ['pix', 'ent'] }, space);
      await reply(manager, a.id, { body: 'première réponse' });
      landed(await manager.agent.post(`/api/topics/${b.id}/pin`).expect(200));

      const latest = await listTopics(manager, '', space);
      expect(latest.items.map((i) => i.title)).toEqual(['B', 'A', 'C']);
      expect(latest.items.map((i) => [i.replyCount, i.pinned])).toEqual([
        [0, true],
        [1, false],
        [0, false],
      ]);
      expect(Object.keys(latest.items[0]!).sort()).toEqual(
        ['authorId', 'authorName', 'createdAt', 'id', 'lastActivityAt', 'locked', 'pinned', 'replyCount', 'solved', 'tags', 'title', 'unread'].sort(),
      );
      expect((await listTopics(manager, '?sort=latest', space)).items.map((i) => i.title)).toEqual(['B', 'A', 'C']);
      expect((await listTopics(manager, '?sort=unanswered', space)).items.map((i) => i.title)).toEqual(['B', 'C']);
      expect((await listTopics(manager, '?tag=ENT', space)).items.map((i) => i.title)).toEqual(['A', 'C']);
      expect((await listTopics(manager, '?tag=pix&sort=unanswered', space)).items.map((i) => i.title)).toEqual(['B', 'C']);
      expect((await listTopics(manager, '?tag=absent', space)).items).toEqual([]);

      const first = await listTopics(manager, '?limit=2', space);
      expect(first.items.map((i) => i.title)).toEqual(['B', 'A']);
      const second = await listTopics(manager, `?limit=2&cursor=${first.nextCursor}`, space);
      expect(second).toEqual({ items: [expect.objectContaining({ title: 'C' })], nextCursor: null });
      expect(c.id).toBe(second.items[0]!.id);
    });
  });

  describe('replies, quotes and the thread', () => {
    it('replies quoting a post of the same topic, counts replies and moves the latest activity', async () => {
      const topic = await openTopic(contributor, { title: 'Certif', body: 'Qui certifie ?' });
      const first = await reply(other, topic.id, { body: 'Moi.' });
      expect(first).toEqual({ id: expect.any(String), topicId: topic.id, revision: 1, position: expect.any(Number) });
      const second = await reply(manager, topic.id, { body: '> Moi.\n\nMoi aussi.', replyTo: first.id });
      const page = await topicPage(reader, topic.id);
      expect(page.posts.items.map((p: { id: string; replyTo: string | null }) => [p.id, p.replyTo])).toEqual([
        [topic.postId, null],
        [first.id, null],
        [second.id, first.id],
      ]);
      expect(page.topic.replyCount).toBe(2);
      expect(page.topic.lastActivityAt).toBe(page.posts.items[2].createdAt);

      const paged = await topicPage(reader, topic.id, '?limit=2');
      expect(paged.posts.items).toHaveLength(2);
      const rest = await topicPage(reader, topic.id, `?limit=2&cursor=${paged.posts.nextCursor}`);
      expect(rest.posts).toEqual({ items: [expect.objectContaining({ id: second.id })], nextCursor: null });
    });

    it('refuses a quote of a post of another topic or of no post, naming replyTo', async () => {
      const topic = await openTopic(contributor, { title: 'Quote', body: 'q' });
      const elsewhere = await openTopic(contributor, { title: 'Ailleurs', body: 'a' });
      await refused(400, () => contributor.agent.post(`/api/topics/${topic.id}/posts`).send({ body: 'x', replyTo: elsewhere.postId }), ['replyTo']);
      await refused(400, () => contributor.agent.post(`/api/topics/${topic.id}/posts`).send({ body: 'x', replyTo: UNKNOWN_ID }), ['replyTo']);
      await refused(400, () => contributor.agent.post(`/api/topics/${topic.id}/posts`).send({ body: 'x', replyTo: 'nope' }), ['replyTo']);
    });

    it('answers 404 for a topic that does not exist', async () => {
      await refused(404, () => contributor.agent.post(`/api/topics/${UNKNOWN_ID}/posts`).send({ body: 'x' }));
      await refused(404, () => contributor.agent.get(`/api/topics/${UNKNOWN_ID}`));
    });
  });

  describe('edits and versions', () => {
    it('keeps every version, readable by the author and managers only', async () => {
      const topic = await openTopic(contributor, { title: 'Versions', body: 'v1' });
      const edited = landed(await contributor.agent.patch(`/api/posts/${topic.postId}`).send({ body: 'v2 *mise à jour*' }).expect(200));
      expect(edited).toEqual({ id: topic.postId, topicId: topic.id, revision: 1, position: expect.any(Number) });
      landed(await manager.agent.patch(`/api/posts/${topic.postId}`).send({ body: 'v3 par la modération' }).expect(200));

      const page = await topicPage(reader, topic.id);
      expect(page.posts.items[0]).toMatchObject({ body: 'v3 par la modération', version: 3, editedAt: expect.any(String) });

      for (const who of [contributor, manager]) {
        const versions = await get(who, `/api/posts/${topic.postId}/versions`).expect(200);
        expect(versions.body).toMatchObject({ postId: topic.postId, topicId: topic.id, deleted: false });
        expect(versions.body.items.map((v: { version: number; body: string; by: string }) => [v.version, v.body, v.by])).toEqual([
          [1, 'v1', contributor.id],
          [2, 'v2 *mise à jour*', contributor.id],
          [3, 'v3 par la modération', manager.id],
        ]);
        expect(versions.body.items[1].html).toBe('<p>v2 <em>mise à jour</em></p>\n');
      }
      await refused(403, () => other.agent.get(`/api/posts/${topic.postId}/versions`));
      await refused(403, () => reader.agent.get(`/api/posts/${topic.postId}/versions`));
      await refused(404, () => contributor.agent.get(`/api/posts/${UNKNOWN_ID}/versions`));
    });

    it('lets neither another contributor nor a reader edit, and refuses bad bodies naming body', async () => {
      const topic = await openTopic(contributor, { title: 'Pas à toi', body: 'mien' });
      await refused(403, () => other.agent.patch(`/api/posts/${topic.postId}`).send({ body: 'volé' }));
      await refused(403, () => reader.agent.patch(`/api/posts/${topic.postId}`).send({ body: 'volé' }));
      await refused(400, () => contributor.agent.patch(`/api/posts/${topic.postId}`).send({ body: '  ' }), ['body']);
      await refused(400, () => contributor.agent.patch(`/api/posts/${topic.postId}`).send({}), ['body']);
      await refused(413, () => contributor.agent.patch(`/api/posts/${topic.postId}`).send({ body: 'x'.repeat(200 * 1024 + 1) }), ['body']);
      await refused(404, () => contributor.agent.patch(`/api/posts/${UNKNOWN_ID}`).send({ body: 'x' }));
    });
  });

  describe('deletion', () => {
    it('leaves a placeholder, and the body never appears again in any answer', async () => {
      const secret = `Numéro de téléphone secret ${Date.now()}`;
      const topic = await openTopic(contributor, { title: 'Supprimer', body: 'début' });
      const post = await reply(other, topic.id, { body: secret });
      landed(await other.agent.patch(`/api/posts/${post.id}`).send({ body: `${secret} (corrigé)` }).expect(200));
      const deleted = landed(await other.agent.delete(`/api/posts/${post.id}`).expect(200));
      expect(deleted).toMatchObject({ id: post.id, topicId: topic.id });

      const page = await get(manager, `/api/topics/${topic.id}`).expect(200);
      expect(page.body.posts.items[1]).toMatchObject({ id: post.id, deleted: true, body: '', html: '', authorId: other.id });
      const versions = await get(manager, `/api/posts/${post.id}/versions`).expect(200);
      expect(versions.body.deleted).toBe(true);
      expect(versions.body.items.map((v: { body: string; html: string }) => [v.body, v.html])).toEqual([
        ['', ''],
        ['', ''],
      ]);
      const list = await get(manager, `/api/spaces/${spaceId}/topics?limit=100`).expect(200);
      for (const answer of [page, versions, list]) expect(answer.text).not.toContain('Numéro de téléphone secret');
      expect(page.body.topic.replyCount).toBe(0);

      await refused(409, () => other.agent.patch(`/api/posts/${post.id}`).send({ body: 'ressuscité' }));
      // Deleting again is a no-op: nothing is written.
      const before = await t.store.headPosition();
      await other.agent.delete(`/api/posts/${post.id}`).expect(200);
      expect(await t.store.headPosition()).toBe(before);
    });

    it('lets a manager delete anyone’s post but not another contributor', async () => {
      const topic = await openTopic(contributor, { title: 'Modération', body: 'hors sujet' });
      await refused(403, () => other.agent.delete(`/api/posts/${topic.postId}`));
      await refused(403, () => reader.agent.delete(`/api/posts/${topic.postId}`));
      landed(await manager.agent.delete(`/api/posts/${topic.postId}`).expect(200));
      const page = await topicPage(contributor, topic.id);
      expect(page.posts.items[0]).toMatchObject({ deleted: true, body: '', html: '' });
      expect(page.topic.title).toBe('Modération');
    });
  });

  describe('moderation', () => {
    it('pins, unpins, locks and unlocks (managers); a locked topic takes no reply', async () => {
      const topic = await openTopic(contributor, { title: 'Verrou', body: 'v' });
      for (const action of ['pin', 'lock']) landed(await manager.agent.post(`/api/topics/${topic.id}/${action}`).expect(200));
      expect(await itemOf(manager, topic.id)).toMatchObject({ pinned: true, locked: true });
      expect((await topicPage(contributor, topic.id)).topic.permissions.reply).toBe(false);

      await refused(409, () => contributor.agent.post(`/api/topics/${topic.id}/posts`).send({ body: 'encore' }));
      await refused(409, () => manager.agent.post(`/api/topics/${topic.id}/posts`).send({ body: 'encore' }));
      await refused(409, () => contributor.agent.patch(`/api/posts/${topic.postId}`).send({ body: 'modifié' }));

      for (const action of ['unpin', 'unlock']) landed(await manager.agent.post(`/api/topics/${topic.id}/${action}`).expect(200));
      expect(await itemOf(manager, topic.id)).toMatchObject({ pinned: false, locked: false });
      await reply(contributor, topic.id, { body: 'enfin' });
    });

    it('refuses pin, unpin, lock and unlock to contributors, the author included, and to readers', async () => {
      const topic = await openTopic(contributor, { title: 'Pas modérateur', body: 'p' });
      for (const action of ['pin', 'unpin', 'lock', 'unlock']) {
        for (const who of [contributor, other, reader]) await refused(403, () => who.agent.post(`/api/topics/${topic.id}/${action}`));
      }
    });
  });

  describe('solutions', () => {
    it('the topic’s author or a manager chooses a reply of the topic', async () => {
      const topic = await openTopic(contributor, { title: 'Résolu ?', body: 'question' });
      const answer = await reply(other, topic.id, { body: 'réponse' });
      const better = await reply(manager, topic.id, { body: 'meilleure réponse' });
      const elsewhere = await openTopic(contributor, { title: 'Autre', body: 'autre' });
      const elsewhereReply = await reply(other, elsewhere.id, { body: 'ailleurs' });

      await refused(403, () => other.agent.post(`/api/topics/${topic.id}/solution`).send({ postId: answer.id }));
      await refused(400, () => contributor.agent.post(`/api/topics/${topic.id}/solution`).send({ postId: topic.postId }), ['postId']);
      await refused(400, () => contributor.agent.post(`/api/topics/${topic.id}/solution`).send({ postId: elsewhereReply.id }), ['postId']);
      await refused(400, () => contributor.agent.post(`/api/topics/${topic.id}/solution`).send({ postId: 'x' }), ['postId']);
      await refused(400, () => contributor.agent.post(`/api/topics/${topic.id}/solution`).send({}), ['postId']);

      landed(await contributor.agent.post(`/api/topics/${topic.id}/solution`).send({ postId: answer.id }).expect(200));
      expect(await itemOf(reader, topic.id)).toMatchObject({ solved: true });
      landed(await manager.agent.post(`/api/topics/${topic.id}/solution`).send({ postId: better.id }).expect(200));
      expect((await topicPage(reader, topic.id)).topic).toMatchObject({ solved: true, solutionPostId: better.id });

      // Deleting the solution clears it.
      landed(await manager.agent.delete(`/api/posts/${better.id}`).expect(200));
      expect((await topicPage(reader, topic.id)).topic).toMatchObject({ solved: false, solutionPostId: null });
      await refused(400, () => contributor.agent.post(`/api/topics/${topic.id}/solution`).send({ postId: better.id }), ['postId']);
    });
  });

  describe('reactions', () => {
    it('counts one per person per emoji, shows mine, and removes with the emoji URL-encoded', async () => {
      const topic = await openTopic(contributor, { title: 'Réactions', body: 'r' });
      const post = topic.postId!;
      landed(await other.agent.post(`/api/posts/${post}/reactions`).send({ emoji: '👍' }).expect(200));
      landed(await manager.agent.post(`/api/posts/${post}/reactions`).send({ emoji: '👍' }).expect(200));
      landed(await manager.agent.post(`/api/posts/${post}/reactions`).send({ emoji: '❤️' }).expect(200));

      const before = await t.store.headPosition();
      await other.agent.post(`/api/posts/${post}/reactions`).send({ emoji: '👍' }).expect(200);
      await other.agent.delete(`/api/posts/${post}/reactions/${encodeURIComponent('🎉')}`).expect(200);
      expect(await t.store.headPosition()).toBe(before);

      const seenByManager = (await topicPage(manager, topic.id)).posts.items[0];
      expect([seenByManager.reactions, seenByManager.mine]).toEqual([{ '👍': 2, '❤️': 1 }, ['👍', '❤️']]);
      const seenByReader = (await topicPage(reader, topic.id)).posts.items[0];
      expect([seenByReader.reactions, seenByReader.mine]).toEqual([{ '👍': 2, '❤️': 1 }, []]);

      landed(await manager.agent.delete(`/api/posts/${post}/reactions/${encodeURIComponent('👍')}`).expect(200));
      const after = (await topicPage(manager, topic.id)).posts.items[0];
      expect([after.reactions, after.mine]).toEqual([{ '👍': 1, '❤️': 1 }, ['❤️']]);
    });

    it('refuses emojis outside the allow-list naming emoji, and readers', async () => {
      const topic = await openTopic(contributor, { title: 'Pas celle-là', body: 'r' });
      await refused(400, () => other.agent.post(`/api/posts/${topic.postId}/reactions`).send({ emoji: '💩' }), ['emoji']);
      await refused(400, () => other.agent.post(`/api/posts/${topic.postId}/reactions`).send({ emoji: '' }), ['emoji']);
      await refused(400, () => other.agent.post(`/api/posts/${topic.postId}/reactions`).send({}), ['emoji']);
      await refused(400, () => other.agent.delete(`/api/posts/${topic.postId}/reactions/${encodeURIComponent('💩')}`), ['emoji']);
      await refused(403, () => reader.agent.post(`/api/posts/${topic.postId}/reactions`).send({ emoji: '👍' }));
      await refused(404, () => other.agent.post(`/api/posts/${UNKNOWN_ID}/reactions`).send({ emoji: '👍' }));
    });
  });

  describe('read marks and consultations', () => {
    it('clears unread, counts one consultation per 30 minutes, and feeds the space’s unreadTopics', async () => {
      const space = landed(await manager.agent.post('/api/spaces').send({ name: 'Lectures', kind: 'thematic', visibility: 'public' }).expect(201)).id;
      const topic = await openTopic(manager, { title: 'Lu ?', body: 'à lire' }, space);
      await openTopic(manager, { title: 'Autre sujet', body: 'aussi' }, space);
      const spaceView = async (who: SignedInClient) => {
        await listTopics(who, '', space); // waits for the forum read models
        return (await get(who, `/api/spaces/${space}`).expect(200)).body;
      };

      expect(await itemOf(manager, topic.id, space)).toMatchObject({ unread: false });
      expect(await itemOf(outsider, topic.id, space)).toMatchObject({ unread: true });
      expect((await spaceView(outsider)).unreadTopics).toBe(2);
      expect((await spaceView(manager)).unreadTopics).toBe(0);

      const read = landed(await outsider.agent.post(`/api/topics/${topic.id}/read`).expect(200));
      expect(read).toEqual({ id: topic.id, revision: 1, position: expect.any(Number) });
      expect(await itemOf(outsider, topic.id, space)).toMatchObject({ unread: false });
      expect((await spaceView(outsider)).unreadTopics).toBe(1);

      // A reload within 30 minutes with nothing new writes nothing.
      const before = await t.store.headPosition();
      const again = await outsider.agent.post(`/api/topics/${topic.id}/read`).expect(200);
      expect(again.body.revision).toBe(1);
      expect(await t.store.headPosition()).toBe(before);

      // A new reply makes it unread again; reading within the window moves the mark without a consultation.
      await reply(manager, topic.id, { body: 'du nouveau' });
      expect(await itemOf(outsider, topic.id, space)).toMatchObject({ unread: true });
      landed(await outsider.agent.post(`/api/topics/${topic.id}/read`).expect(200));
      expect(await itemOf(outsider, topic.id, space)).toMatchObject({ unread: false });
      const types = (await t.store.readStream(`topic-${topic.id}`)).map((e) => [e.type, (e.data as { by: string }).by]);
      expect(types).toEqual([
        ['TopicOpened', manager.id],
        ['TopicRead', outsider.id],
        ['ReplyPosted', manager.id],
        ['TopicCaughtUp', outsider.id],
      ]);
    });
  });

  describe('access', () => {
    it('a reader reads but may neither open a topic nor reply', async () => {
      const topic = await openTopic(contributor, { title: 'Lecteur', body: 'l' });
      await topicPage(reader, topic.id);
      await refused(403, () => reader.agent.post(`/api/spaces/${spaceId}/topics`).send({ title: 't', body: 'b' }));
      await refused(403, () => reader.agent.post(`/api/topics/${topic.id}/posts`).send({ body: 'b' }));
    });

    it('a restricted space’s non-member gets 403 on its content', async () => {
      const restricted = landed(await manager.agent.post('/api/spaces').send({ name: 'Restreint', kind: 'thematic', visibility: 'restricted' }).expect(201)).id;
      const topic = await openTopic(manager, { title: 'Restreint', body: 'r' }, restricted);
      await refused(403, () => outsider.agent.get(`/api/spaces/${restricted}/topics`));
      await refused(403, () => outsider.agent.get(`/api/topics/${topic.id}`));
      await refused(403, () => outsider.agent.post(`/api/topics/${topic.id}/posts`).send({ body: 'b' }));
    });

    it('a private space’s non-member gets the same 404 as for nothing, on every forum route', async () => {
      const topic = await openTopic(manager, { title: 'Secret', body: 'Contenu confidentiel' }, privateSpaceId);
      const answer = await reply(manager, topic.id, { body: 'Réponse confidentielle' });
      const [topicId, postId] = [topic.id, answer.id];
      const routes: [string, (id: string, post: string) => request.Test][] = [
        ['list', () => outsider.agent.get(`/api/spaces/${privateSpaceId}/topics`)],
        ['open', () => outsider.agent.post(`/api/spaces/${privateSpaceId}/topics`).send({ title: 't', body: 'b' })],
        ['get', (id) => outsider.agent.get(`/api/topics/${id}`)],
        ['read', (id) => outsider.agent.post(`/api/topics/${id}/read`)],
        ['reply', (id) => outsider.agent.post(`/api/topics/${id}/posts`).send({ body: 'b' })],
        ['pin', (id) => outsider.agent.post(`/api/topics/${id}/pin`)],
        ['unpin', (id) => outsider.agent.post(`/api/topics/${id}/unpin`)],
        ['lock', (id) => outsider.agent.post(`/api/topics/${id}/lock`)],
        ['unlock', (id) => outsider.agent.post(`/api/topics/${id}/unlock`)],
        ['solution', (id, post) => outsider.agent.post(`/api/topics/${id}/solution`).send({ postId: post })],
        ['edit', (_id, post) => outsider.agent.patch(`/api/posts/${post}`).send({ body: 'b' })],
        ['versions', (_id, post) => outsider.agent.get(`/api/posts/${post}/versions`)],
        ['delete', (_id, post) => outsider.agent.delete(`/api/posts/${post}`)],
        ['react', (_id, post) => outsider.agent.post(`/api/posts/${post}/reactions`).send({ emoji: '👍' })],
        ['unreact', (_id, post) => outsider.agent.delete(`/api/posts/${post}/reactions/${encodeURIComponent('👍')}`)],
      ];
      for (const [name, send] of routes) {
        const hidden = await refused(404, () => send(topicId, postId));
        expect(hidden.text).not.toMatch(/confidenti|Secret/);
        if (name === 'list' || name === 'open') continue;
        // A topic or post that does not exist answers the very same problem.
        const missing = await refused(404, () => send(UNKNOWN_ID, UNKNOWN_ID));
        expect([name, hidden.body]).toEqual([name, missing.body]);
      }
      // The dane, not a member, reads it.
      const dane = await t.signIn(freshEmail('dane'), { roles: ['dane'] });
      expect((await topicPage(dane, topicId)).topic.title).toBe('Secret');
    });

    it('answers 401 to anonymous callers', async () => {
      await t.anonymous().get(`/api/spaces/${spaceId}/topics`).expect(401);
      await t.anonymous().post(`/api/spaces/${spaceId}/topics`).send({ title: 't', body: 'b' }).expect(401);
    });
  });

  describe('bad input', () => {
    const bad: [string, object, string[]][] = [
      ['an empty title', { title: '', body: 'b' }, ['title']],
      ['a blank title', { title: '   ', body: 'b' }, ['title']],
      ['a 300-character title', { title: 'x'.repeat(300), body: 'b' }, ['title']],
      ['no title', { body: 'b' }, ['title']],
      ['a blank body', { title: 't', body: ' \n ' }, ['body']],
      ['no body', { title: 't' }, ['body']],
      ['tags that are not short words', { title: 't', body: 'b', tags: ['pix orga'] }, ['tags']],
      ['a tag with markup', { title: 't', body: 'b', tags: ['<b>'] }, ['tags']],
      ['a 31-character tag', { title: 't', body: 'b', tags: ['a'.repeat(31)] }, ['tags']],
      ['eleven tags', { title: 't', body: 'b', tags: Array.from({ length: 11 }, (_, i) => `t${i}`) }, ['tags']],
      ['tags that are not a list', { title: 't', body: 'b', tags: 'pix' }, ['tags']],
      ['an unknown field', { title: 't', body: 'b', pinned: true }, ['pinned']],
      ['wrong types', { title: 42, body: ['b'] }, ['body', 'title']],
    ];

    it.each(bad)('refuses a topic with %s, naming the fields, writing nothing', async (_label, body, fields) => {
      await refused(400, () => contributor.agent.post(`/api/spaces/${spaceId}/topics`).send(body), fields);
    });

    it('answers 413 to a body over 200 kB, for topics and replies', async () => {
      const huge = 'é'.repeat(100 * 1024 + 1);
      await refused(413, () => contributor.agent.post(`/api/spaces/${spaceId}/topics`).send({ title: 't', body: huge }), ['body']);
      const topic = await openTopic(contributor, { title: 'Gros', body: 'g' });
      await refused(413, () => contributor.agent.post(`/api/topics/${topic.id}/posts`).send({ body: huge }), ['body']);
      await refused(400, () => contributor.agent.post(`/api/topics/${topic.id}/posts`).send({ body: '' }), ['body']);
    });

    it('refuses bad ids, sorts, tags and cursors, naming them', async () => {
      await refused(400, () => contributor.agent.get('/api/topics/not-a-uuid'), ['id']);
      await refused(400, () => contributor.agent.patch('/api/posts/not-a-uuid').send({ body: 'b' }), ['id']);
      await refused(400, () => contributor.agent.post('/api/spaces/not-a-uuid/topics').send({ title: 't', body: 'b' }), ['id']);
      await refused(400, () => contributor.agent.get(`/api/spaces/${spaceId}/topics?sort=oldest`), ['sort']);
      await refused(400, () => contributor.agent.get(`/api/spaces/${spaceId}/topics?tag=${encodeURIComponent('a b')}`), ['tag']);
      await refused(400, () => contributor.agent.get(`/api/spaces/${spaceId}/topics?cursor=garbage`), ['cursor']);
      await refused(400, () => contributor.agent.get(`/api/spaces/${spaceId}/topics?limit=1000`), ['limit']);
      const topic = await openTopic(contributor, { title: 'Curseur', body: 'c' });
      await refused(400, () => get(contributor, `/api/topics/${topic.id}?cursor=garbage`), ['cursor']);
      await refused(404, () => contributor.agent.post(`/api/spaces/${UNKNOWN_ID}/topics`).send({ title: 't', body: 'b' }));
    });
  });
});
