import type { INestApplication } from '@nestjs/common';
import type { ProjectionRunner } from '#ruche/projections';
import { PROJECTION_RUNNER } from '#ruche/platform';
import { createApp } from '../../apps/api/src/bootstrap.js';
import { freshEmail, startTestApp, storeKinds, type TestApp } from './support/test-app.js';
import { Recorder, signInPerson, urlOf, type LivePerson } from './support/live-clients.js';

const kinds = await storeKinds();

interface Item {
  id: string;
  kind: string;
  position: number;
  spaceId: string;
  topicId?: string;
  postId?: string;
  by: string;
  byName: string;
  read: boolean;
}

describe.each(kinds)('notifications (%s)', (kind) => {
  let t: TestApp;
  let url: string;
  let lastPosition = 0;
  let manager: LivePerson;
  let author: LivePerson;
  let replier: LivePerson;
  let chloe: LivePerson;
  let outsider: LivePerson;
  let spaceId: string;
  const recorders: Recorder[] = [];

  const landed = <T extends { position: number }>(body: T): T => {
    if (typeof body.position !== 'number') throw new Error(`no position in ${JSON.stringify(body)}`);
    lastPosition = Math.max(lastPosition, body.position);
    return body;
  };
  const post = async (who: LivePerson, path: string, body: object = {}, status = 201) => landed((await who.http.post(path).send(body).expect(status)).body);
  const openTopic = (who: LivePerson, body = 'Une question', space = spaceId) => post(who, `/api/spaces/${space}/topics`, { title: 'Sujet', body });
  const reply = (who: LivePerson, topicId: string, body = 'Une réponse') => post(who, `/api/topics/${topicId}/posts`, { body });
  const list = async (who: LivePerson, query = ''): Promise<{ items: Item[]; nextCursor: string | null; unreadCount: number }> =>
    (await who.http.get(`/api/me/notifications${query}`).set('X-Min-Position', String(lastPosition)).expect(200)).body;
  const about = async (who: LivePerson, topicId: string): Promise<Item[]> => (await list(who, '?limit=100')).items.filter((n) => n.topicId === topicId);
  const member = async (space: string, person: LivePerson, role = 'contributor') => post(manager, `/api/spaces/${space}/members`, { email: person.email, role });

  beforeAll(async () => {
    t = await startTestApp(kind);
    url = await t.listen();
    manager = await signInPerson(url, freshEmail('manager'), { displayName: 'Manon Manager', roles: ['rrupn'] });
    author = await signInPerson(url, freshEmail('author'), { displayName: 'Aline Autrice' });
    replier = await signInPerson(url, freshEmail('replier'), { displayName: 'Bruno Répondeur' });
    chloe = await signInPerson(url, `chloe.martin.${Date.now().toString(36)}@ac-test.fr`, { displayName: 'Chloé Martin' });
    outsider = await signInPerson(url, freshEmail('outsider'), { displayName: 'Olivier Dehors' });
    spaceId = landed((await manager.http.post('/api/spaces').send({ name: 'Forum', kind: 'thematic', visibility: 'public' }).expect(201)).body).id;
    for (const person of [author, replier, chloe]) await member(spaceId, person);
  }, 60_000);
  afterEach(() => {
    for (const recorder of recorders.splice(0)) recorder.close();
  });
  afterAll(() => t?.close());

  it('tells the author and earlier repliers of a reply, never the one who wrote it', async () => {
    const topic = await openTopic(author);
    const first = await reply(replier, topic.id);
    expect(await about(author, topic.id)).toEqual([
      expect.objectContaining({ kind: 'reply', position: first.position, spaceId, topicId: topic.id, by: replier.id, byName: 'Bruno Répondeur', read: false }),
    ]);
    expect(await about(replier, topic.id)).toEqual([]);
    const second = await reply(chloe, topic.id);
    expect((await about(author, topic.id)).map((n) => n.position)).toEqual([second.position, first.position]);
    expect((await about(replier, topic.id)).map((n) => [n.kind, n.position])).toEqual([['reply', second.position]]);
    expect(await about(chloe, topic.id)).toEqual([]);
    // The author answering in their own topic tells the repliers, not themself.
    const third = await reply(author, topic.id);
    expect((await about(author, topic.id)).map((n) => n.position)).not.toContain(third.position);
    expect((await about(chloe, topic.id)).map((n) => n.position)).toEqual([third.position]);
  });

  it('tells a member mentioned by display name or by e-mail local part, once, and nobody else', async () => {
    const topic = await openTopic(author, 'Question pour @Chloé Martin');
    expect((await about(chloe, topic.id)).map((n) => n.kind)).toEqual(['mention']);
    const local = chloe.email.slice(0, chloe.email.indexOf('@'));
    const byEmail = await reply(replier, topic.id, `Je pense que @${local} saura, et @Olivier Dehors aussi`);
    const chloeNotes = await about(chloe, topic.id);
    expect(chloeNotes.map((n) => [n.kind, n.position])).toEqual([
      ['mention', byEmail.position],
      ['mention', topic.position],
    ]);
    // The outsider is not a member of the space: no mention resolves to them.
    expect(await about(outsider, topic.id)).toEqual([]);
    // The author gets a reply notification; a self-mention gets nothing.
    const self = await reply(chloe, topic.id, 'Moi, @Chloé Martin, je réponds');
    expect((await about(chloe, topic.id)).map((n) => n.position)).not.toContain(self.position);
    // An edit that adds a mention tells the newly mentioned person only.
    const edited = landed((await replier.http.patch(`/api/posts/${byEmail.id}`).send({ body: `@${local} et @Manon Manager` }).expect(200)).body);
    expect((await about(manager, topic.id)).map((n) => [n.kind, n.position])).toEqual([['mention', edited.position]]);
    expect((await about(chloe, topic.id)).filter((n) => n.position === edited.position)).toEqual([]);
  });

  it('tells a requester their join request was approved', async () => {
    const restricted = landed((await manager.http.post('/api/spaces').send({ name: 'Réservé', kind: 'thematic', visibility: 'restricted' }).expect(201)).body).id;
    const asker = await signInPerson(url, freshEmail('asker'), { displayName: 'Ana Demande' });
    landed((await asker.http.post(`/api/spaces/${restricted}/join`).expect((r) => expect([200, 201]).toContain(r.status))).body);
    const approved = landed((await manager.http.post(`/api/spaces/${restricted}/join-requests/${asker.id}/approve`).expect((r) => expect([200, 201]).toContain(r.status))).body);
    expect((await list(asker)).items).toEqual([expect.objectContaining({ kind: 'join_approved', spaceId: restricted, by: manager.id, position: approved.position })]);
    expect((await list(manager)).items.filter((n) => n.spaceId === restricted)).toEqual([]);
  });

  it("tells a topic's author when someone else chooses its solution, not when they choose it", async () => {
    const topic = await openTopic(author);
    const answer = await reply(replier, topic.id);
    const chosen = landed((await manager.http.post(`/api/topics/${topic.id}/solution`).send({ postId: answer.id }).expect((r) => expect([200, 201]).toContain(r.status))).body);
    expect((await about(author, topic.id)).filter((n) => n.kind === 'solution')).toEqual([expect.objectContaining({ position: chosen.position, by: manager.id })]);
    const other = await reply(chloe, topic.id);
    const own = landed((await author.http.post(`/api/topics/${topic.id}/solution`).send({ postId: other.id }).expect((r) => expect([200, 201]).toContain(r.status))).body);
    expect((await about(author, topic.id)).filter((n) => n.kind === 'solution').map((n) => n.position)).not.toContain(own.position);
  });

  it('never tells someone of content they may not read', async () => {
    const privateSpace = landed((await manager.http.post('/api/spaces').send({ name: 'Privé', kind: 'thematic', visibility: 'private' }).expect(201)).body).id;
    const leaver = await signInPerson(url, freshEmail('leaver'), { displayName: 'Louis Parti' });
    await member(privateSpace, leaver);
    const topic = await openTopic(leaver, 'Sujet privé', privateSpace);
    landed((await manager.http.delete(`/api/spaces/${privateSpace}/members/${leaver.id}`).expect(200)).body);
    await reply(manager, topic.id, 'Réponse après son départ, pour @Louis Parti');
    expect(await about(leaver, topic.id)).toEqual([]);
    // And a mention of a non-member in a private space resolves to nobody.
    const other = await openTopic(manager, '@Olivier Dehors regarde', privateSpace);
    expect(await about(outsider, other.id)).toEqual([]);
  });

  it('drops the notifications of a post that is deleted', async () => {
    const topic = await openTopic(author);
    const answer = await reply(replier, topic.id);
    expect((await about(author, topic.id)).map((n) => n.position)).toEqual([answer.position]);
    landed((await replier.http.delete(`/api/posts/${answer.id}`).expect(200)).body);
    expect(await about(author, topic.id)).toEqual([]);
  });

  it('pushes each notification in user:me, with the id the list shows, and replays missed ones', async () => {
    const socket = await Recorder.connect(url, author, { origin: t.config.publicUrl });
    recorders.push(socket);
    expect(await socket.client.subscribe('user:me')).toMatchObject({ ok: true });
    const topic = await openTopic(author);
    const own = await reply(author, topic.id);
    const answer = await reply(replier, topic.id);
    await socket.waitFor((r) => r.notifications.some((n) => n.position === answer.position), 'the reply notification');
    const [item] = await about(author, topic.id);
    expect(socket.notifications.filter((n) => n.topicId === topic.id)).toEqual([
      { id: item!.id, kind: 'reply', position: answer.position, spaceId, topicId: topic.id, by: replier.id, at: expect.any(String) },
    ]);
    expect(socket.notifications.some((n) => n.position === own.position)).toBe(false);

    socket.client.disconnect();
    const missed = await reply(chloe, topic.id);
    await socket.client.connect();
    await socket.waitFor((r) => r.notifications.some((n) => n.position === missed.position), 'the missed notification after reconnecting');
    expect(socket.notifications.filter((n) => n.topicId === topic.id).map((n) => n.position)).toEqual([answer.position, missed.position]);
  });

  it('lists unread ones with ?unread=1, pages them, and marks them read up to a position', async () => {
    const reader = await signInPerson(url, freshEmail('busy'), { displayName: 'Bea Occupée' });
    await member(spaceId, reader);
    const topic = await openTopic(reader);
    const replies = [];
    for (let i = 0; i < 5; i++) replies.push(await reply(i % 2 ? replier : chloe, topic.id, `r${i}`));
    const page1 = await list(reader, '?limit=2');
    expect(page1.items.map((n) => n.position)).toEqual([replies[4]!.position, replies[3]!.position]);
    expect(page1.unreadCount).toBe(5);
    const page2 = await list(reader, `?limit=2&cursor=${page1.nextCursor}`);
    expect(page2.items.map((n) => n.position)).toEqual([replies[2]!.position, replies[1]!.position]);

    const mark = landed((await reader.http.post('/api/me/notifications/read').send({ upTo: replies[2]!.position }).expect(200)).body);
    expect(mark).toMatchObject({ id: reader.id, readUpTo: replies[2]!.position, position: expect.any(Number) });
    const unread = await list(reader, '?unread=1');
    expect(unread.items.map((n) => n.position)).toEqual([replies[4]!.position, replies[3]!.position]);
    expect(unread.unreadCount).toBe(2);
    expect((await list(reader)).items.map((n) => n.read)).toEqual([false, false, true, true, true]);

    const head = await t.store.headPosition();
    for (const [body, field] of [[{ upTo: 'abc' }, 'upTo'], [{ upTo: -1 }, 'upTo'], [{ upTo: head + 1000 }, 'upTo'], [{ extra: 1 }, 'extra']] as const) {
      const r = await reader.http.post('/api/me/notifications/read').send(body).expect(400);
      expect(r.body.errors.map((e: { field: string }) => e.field)).toContain(field);
      expect(await t.store.headPosition()).toBe(head);
    }
    // Marking again up to a read position writes nothing; without upTo, everything is read.
    expect(await t.store.headPosition()).toBe(head);
    landed((await reader.http.post('/api/me/notifications/read').send({ upTo: replies[1]!.position }).expect(200)).body);
    expect(await t.store.headPosition()).toBe(head);
    landed((await reader.http.post('/api/me/notifications/read').send({}).expect(200)).body);
    expect((await list(reader, '?unread=1')).items).toEqual([]);
    await reader.http.get('/api/me/notifications?unread=maybe').expect(400);
    await reader.http.get('/api/me/notifications?cursor=nonsense').expect(400);
  });

  it('are made once: the same after a restart and after a rebuild from position 0, read marks included', async () => {
    const all = await list(author, '?limit=100');
    expect(all.items.length).toBeGreaterThan(3);
    // Some read, some not: a rebuild that lost the read mark would answer them all unread.
    landed((await author.http.post('/api/me/notifications/read').send({ upTo: all.items[2].position }).expect(200)).body);
    const before = await list(author, '?limit=100');
    expect(before.unreadCount).toBe(2);
    expect(before.items.map((item: { read: boolean }) => item.read)).toEqual(all.items.map((_: unknown, i: number) => i >= 2));
    // A second process on the same store, the first one's projections stopped: what it lists was
    // written once and read back, not made again.
    await t.app.get<ProjectionRunner>(PROJECTION_RUNNER).stop();
    const app: INestApplication = await createApp(t.config);
    await app.init();
    try {
      await app.listen(0, '127.0.0.1');
      const again = await signInPerson(urlOf(app.getHttpServer()), author.email);
      const read = async () => (await again.http.get('/api/me/notifications?limit=100').set('X-Min-Position', String(lastPosition)).expect(200)).body;
      expect(await read()).toEqual(before);
      await app.get<ProjectionRunner>(PROJECTION_RUNNER).rebuild('notifications');
      expect(await read()).toEqual(before);
    } finally {
      await app.close();
    }
  });
});
