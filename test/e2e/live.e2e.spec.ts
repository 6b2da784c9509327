import { randomUUID } from 'node:crypto';
import pg from 'pg';
import type { LiveEventMessage, LiveRoom, SubscribeAck } from '#ruche/live-client';
import { freshEmail, startTestApp, storeKinds, type TestApp } from './support/test-app.js';
import { Recorder, signInPerson, until, type LivePerson } from './support/live-clients.js';

const kinds = await storeKinds();

type Visibility = 'public' | 'restricted' | 'private';

describe.each(kinds)('live updates over socket.io (%s)', (kind) => {
  let t: TestApp;
  let url: string;
  let origin: string;
  let manager: LivePerson;
  let contributor: LivePerson;
  let reader: LivePerson;
  let outsider: LivePerson;
  let dane: LivePerson;
  const recorders: Recorder[] = [];

  const connect = async (person: { cookie?: string }): Promise<Recorder> => {
    const recorder = await Recorder.connect(url, person, { origin });
    recorders.push(recorder);
    return recorder;
  };
  const created = async (r: Promise<{ body: { id: string; position: number } }> | { body: { id: string; position: number } }) => (await r).body;
  const createSpace = async (visibility: Visibility, name = `Espace ${visibility}`) =>
    created(manager.http.post('/api/spaces').send({ name, kind: 'thematic', visibility }).expect(201));
  const addMember = async (spaceId: string, person: LivePerson, role: string) =>
    created(manager.http.post(`/api/spaces/${spaceId}/members`).send({ email: person.email, role }).expect(201));
  const openTopic = async (who: LivePerson, spaceId: string, title = 'Un sujet') =>
    created(who.http.post(`/api/spaces/${spaceId}/topics`).send({ title, body: 'Première question' }).expect(201));
  const reply = async (who: LivePerson, topicId: string, body = 'Une réponse') =>
    created(who.http.post(`/api/topics/${topicId}/posts`).send({ body }).expect(201));
  const createDocument = async (spaceId: string) =>
    created(manager.http.post(`/api/spaces/${spaceId}/documents`).send({ title: 'Fiche', body: 'Contenu', competences: ['1.1'] }).expect(201));

  beforeAll(async () => {
    t = await startTestApp(kind);
    url = await t.listen();
    origin = t.config.publicUrl;
    manager = await signInPerson(url, freshEmail('manager'), { displayName: 'Manon Manager', roles: ['rrupn'] });
    contributor = await signInPerson(url, freshEmail('contributor'), { displayName: 'Camille Contributrice' });
    reader = await signInPerson(url, freshEmail('reader'), { displayName: 'Rémi Lecteur' });
    outsider = await signInPerson(url, freshEmail('outsider'), { displayName: 'Olivier Dehors' });
    dane = await signInPerson(url, freshEmail('dane'), { displayName: 'Dana DANE', roles: ['dane'] });
  }, 60_000);

  afterEach(() => {
    for (const recorder of recorders.splice(0)) recorder.close();
  });
  afterAll(() => t?.close());

  describe('the handshake', () => {
    it('refuses a socket without a session, with an unknown session or from another origin, and leaves other sockets alone', async () => {
      const spaceId = (await createSpace('public')).id;
      const topicId = (await openTopic(manager, spaceId)).id;
      const witness = await connect(reader);
      expect(await witness.client.subscribe(`topic:${topicId}`)).toMatchObject({ ok: true });

      await expect(Recorder.connect(url, {}, { origin })).rejects.toThrow('Sign in first');
      await expect(Recorder.connect(url, { cookie: 'ruche_session=forged' }, { origin })).rejects.toThrow('Sign in first');
      await expect(Recorder.connect(url, manager, { origin: 'https://evil.example' })).rejects.toThrow('Origin not allowed');
      await expect(Recorder.connect(url, manager, { origin: `${origin}.evil.example` })).rejects.toThrow('Origin not allowed');

      const landed = await reply(manager, topicId);
      await witness.reach(`topic:${topicId}`, landed.position);
    });

    it('accepts the session cookie from the configured origin, and from a client that sends no Origin', async () => {
      await connect(manager);
      const bare = await Recorder.connect(url, manager);
      recorders.push(bare);
      expect(bare.client.socket.connected).toBe(true);
    });

    it('disconnects the sockets of a session at once when it ends (logout), not those of another session', async () => {
      const person = await signInPerson(url, freshEmail('leaving'), { displayName: 'Léa Partante' });
      const otherSession = await signInPerson(url, person.email);
      const leaving = await connect(person);
      const staying = await connect(otherSession);
      let disconnected = false;
      leaving.client.socket.on('disconnect', () => (disconnected = true));
      await person.http.post('/api/auth/logout').expect(204);
      await until(() => disconnected, 5000, 'the socket of the ended session to be disconnected');
      expect(staying.client.socket.connected).toBe(true);
      await expect(Recorder.connect(url, person, { origin })).rejects.toThrow('Sign in first');
    });
  });

  describe('room authorisation', () => {
    const rooms: Record<Visibility, { space: string; topic: string; document: string }> = {} as never;

    beforeAll(async () => {
      for (const visibility of ['public', 'restricted', 'private'] as const) {
        const space = (await createSpace(visibility, `Salle ${visibility}`)).id;
        await addMember(space, contributor, 'contributor');
        await addMember(space, reader, 'reader');
        const topic = (await openTopic(manager, space)).id;
        const document = (await createDocument(space)).id;
        rooms[visibility] = { space, topic, document };
      }
    }, 60_000);

    type Actor = 'manager' | 'contributor' | 'reader' | 'outsider' | 'dane';
    const who = (actor: Actor): LivePerson => ({ manager, contributor, reader, outsider, dane })[actor];
    // The same rules as the HTTP queries: public rooms for everyone signed in, restricted and
    // private ones for members (a restricted space's stranger gets 403, a private one's 404).
    const expected: Record<Visibility, Record<Actor, 'ok' | 'FORBIDDEN' | 'NOT_FOUND'>> = {
      public: { manager: 'ok', contributor: 'ok', reader: 'ok', outsider: 'ok', dane: 'ok' },
      restricted: { manager: 'ok', contributor: 'ok', reader: 'ok', outsider: 'FORBIDDEN', dane: 'ok' },
      private: { manager: 'ok', contributor: 'ok', reader: 'ok', outsider: 'NOT_FOUND', dane: 'ok' },
    };
    const cases = (['public', 'restricted', 'private'] as const).flatMap((visibility) =>
      (['space', 'topic', 'document'] as const).flatMap((room) =>
        (['manager', 'contributor', 'reader', 'outsider', 'dane'] as const).map((actor) => [visibility, room, actor, expected[visibility][actor]] as const),
      ),
    );

    it.each(cases)('%s %s room, %s: %s', async (visibility, room, actor, verdict) => {
      const socket = await connect(who(actor));
      const name = `${room}:${rooms[visibility][room]}` as LiveRoom;
      const answer = await socket.client.subscribe(name);
      if (verdict === 'ok') {
        expect(answer).toEqual({ ok: true, position: expect.any(Number) });
        return;
      }
      expect(answer.ok).toBe(false);
      if (verdict === 'NOT_FOUND') {
        // Exactly the answer for a room that does not exist.
        const missing = await socket.client.subscribe(`${room}:${randomUUID()}` as LiveRoom);
        expect(answer).toEqual(missing);
        expect(answer).toEqual({ ok: false, error: { code: 'NOT_FOUND', message: 'No such room' } });
      } else {
        expect(answer).toEqual({ ok: false, error: { code: 'FORBIDDEN', message: expect.any(String) } });
      }
    });

    it('grants user:me to everyone signed in, as their own room', async () => {
      for (const person of [manager, outsider]) {
        const socket = await connect(person);
        expect(await socket.client.subscribe('user:me')).toEqual({ ok: true, position: expect.any(Number) });
      }
    });
  });

  describe('delivery', () => {
    it('sends an event only once the read models include it, with its position', async () => {
      const spaceId = (await createSpace('public')).id;
      const topicId = (await openTopic(manager, spaceId)).id;
      const socket = await connect(reader);
      await socket.client.subscribe(`topic:${topicId}`);
      const seen: Promise<unknown>[] = [];
      socket.client.on('event', (event) => {
        if (event.type !== 'ReplyPosted') return;
        // Refetched at once, without X-Min-Position: the post must already be there.
        seen.push(
          reader.http
            .get(`/api/topics/${topicId}`)
            .expect(200)
            .then((r) => (r.body.posts.items as { id: string }[]).map((p) => p.id)),
        );
      });
      const landed = await reply(manager, topicId, 'Vue en direct');
      await socket.reach(`topic:${topicId}`, landed.position);
      const event = socket.in(`topic:${topicId}`).find((e) => e.type === 'ReplyPosted')!;
      expect(event).toEqual({
        position: landed.position,
        type: 'ReplyPosted',
        streamName: `topic-${topicId}`,
        room: `topic:${topicId}`,
        data: expect.objectContaining({ topicId, spaceId, body: 'Vue en direct', by: manager.id }),
      });
      const postIds = (await Promise.all(seen)) as string[][];
      expect(postIds[0]).toContain((event.data as { postId: string }).postId);
    });

    it('sends a topic event to the topic room and to its space room, each message naming its room', async () => {
      const spaceId = (await createSpace('public')).id;
      const topicId = (await openTopic(manager, spaceId)).id;
      const socket = await connect(reader);
      await socket.client.subscribe(`topic:${topicId}`);
      await socket.client.subscribe(`space:${spaceId}`);
      const landed = await reply(manager, topicId);
      await socket.reach(`topic:${topicId}`, landed.position);
      await socket.reach(`space:${spaceId}`, landed.position);
      expect(socket.raw.filter((e) => e.position === landed.position).map((e) => e.room).sort()).toEqual([`space:${spaceId}`, `topic:${topicId}`]);
    });

    it('gives a client that was away while 100 replies were written exactly those 100, in order, then live ones', async () => {
      const spaceId = (await createSpace('public')).id;
      const topicId = (await openTopic(manager, spaceId)).id;
      const room: LiveRoom = `topic:${topicId}`;
      const socket = await connect(reader);
      await socket.client.subscribe(room);
      const first = await reply(manager, topicId, 'avant');
      await socket.reach(room, first.position);
      socket.client.disconnect();

      const written: number[] = [];
      for (let i = 0; i < 100; i++) written.push((await reply(i % 2 ? manager : dane, topicId, `réponse ${i}`)).position);

      await socket.client.connect();
      await socket.waitFor((r) => r.in(room).length >= 101, '100 replies after the reconnect', 20_000);
      const after = socket.raw.filter((e) => e.room === room && e.position > first.position);
      expect(after.map((e) => e.position)).toEqual(written);
      expect(after.map((e) => (e.data as { body: string }).body)).toEqual(written.map((_, i) => `réponse ${i}`));

      const live = await reply(manager, topicId, 'en direct');
      await socket.reach(room, live.position);
      expect(socket.raw.filter((e) => e.room === room && e.position >= first.position).map((e) => e.position)).toEqual([first.position, ...written, live.position]);
    }, 60_000);

    it('replays with since while replies keep coming: no gap and no duplicate at the seam', async () => {
      const spaceId = (await createSpace('public')).id;
      const topicId = (await openTopic(manager, spaceId)).id;
      const room: LiveRoom = `topic:${topicId}`;
      const before: number[] = [];
      for (let i = 0; i < 20; i++) before.push((await reply(manager, topicId, `avant ${i}`)).position);
      const since = before[4]!;
      // Replies keep landing (one after the other: a topic takes one write at a time) while the client subscribes.
      const during: number[] = [];
      const writer = (async () => {
        for (let i = 0; i < 30; i++) during.push((await reply(manager, topicId, `pendant ${i}`)).position);
      })();
      const socket = await connect(reader);
      const answer = await socket.client.subscribe(room, since);
      expect(answer.ok).toBe(true);
      await writer;
      const expected = [...before.slice(5), ...during];
      await socket.reach(room, expected.at(-1)!, 20_000);
      const received = socket.raw.filter((e) => e.room === room).map((e) => e.position);
      expect(received).toEqual(expected);
    }, 60_000);

    it('never sends the body of a deleted post, live or replayed', async () => {
      const spaceId = (await createSpace('public')).id;
      const topicId = (await openTopic(manager, spaceId)).id;
      const room: LiveRoom = `topic:${topicId}`;
      const base = await t.store.headPosition();
      const secret = `secret-${randomUUID()}`;
      const posted = await created(manager.http.post(`/api/topics/${topicId}/posts`).send({ body: secret }).expect(201));
      const postId = (posted as unknown as { id: string }).id;
      const deleted = await created(manager.http.delete(`/api/posts/${postId}`).expect(200));
      const socket = await connect(reader);
      await socket.client.subscribe(room, base);
      await socket.reach(room, deleted.position);
      expect(JSON.stringify(socket.raw)).not.toContain(secret);
      expect(socket.in(room).map((e) => e.type)).toEqual(['ReplyPosted', 'PostDeleted']);
    });

    // The search index is applied like every read model, and live delivery waits for all of
    // them: holding a lock on its table holds back what every process has delivered, while the
    // log and the other read models go on. A process whose live feed trails the log (a process
    // without the projections' leases, for up to its standby poll) is in that state for a while.
    if (kind === 'postgres') {
      it('starts every subscription at the log\'s end even when deliveries trail it: nothing before since, no deleted body, nothing old as live', async () => {
        const spaceId = (await createSpace('public')).id;
        const topicId = (await openTopic(manager, spaceId)).id;
        const room: LiveRoom = `topic:${topicId}`;
        // Sockets there all along (on each process when there are two).
        const watchers = [await connect(reader), await connect(reader)];
        for (const w of watchers) expect(await w.client.subscribe(room)).toMatchObject({ ok: true });
        const blocker = new pg.Client({ connectionString: t.config.databaseUrl });
        await blocker.connect();
        let locked = true;
        const unlock = async () => {
          if (!locked) return;
          locked = false;
          await blocker.query('ROLLBACK');
        };
        try {
          await blocker.query('BEGIN');
          await blocker.query(`LOCK TABLE ${t.config.databaseSchema}.search_entries IN ACCESS EXCLUSIVE MODE`);
          const before = await reply(manager, topicId, 'avant');
          const secret = `secret-${randomUUID()}`;
          const posted = await created(manager.http.post(`/api/topics/${topicId}/posts`).send({ body: secret }).expect(201));
          const deleted = await created(manager.http.delete(`/api/posts/${(posted as unknown as { id: string }).id}`).expect(200));
          const replayed = [await connect(reader), await connect(reader)];
          const fresh = [await connect(reader), await connect(reader)];
          const answers = Promise.all([...replayed.map((r) => r.client.subscribe(room, before.position)), ...fresh.map((r) => r.client.subscribe(room))]);
          // Time to answer while nothing after `before` can have been delivered (it must not), then let go.
          await Promise.race([answers, new Promise((resolve) => setTimeout(resolve, 1000))]);
          await unlock();
          for (const answer of await answers) {
            expect(answer).toEqual({ ok: true, position: expect.any(Number) });
            // Each starts at least where the log ended when it asked.
            expect((answer as { position: number }).position).toBeGreaterThanOrEqual(deleted.position);
          }
          const after = await reply(manager, topicId, 'après');
          const sent = (r: Recorder) => r.raw.filter((e) => e.room === room).map((e) => [e.position, e.type]);
          for (const r of [...watchers, ...replayed, ...fresh]) await r.reach(room, after.position);
          // What the server sent, before the client's own filtering: after since, in order, once.
          for (const r of replayed) {
            expect(sent(r)).toEqual([
              [posted.position, 'ReplyPosted'],
              [deleted.position, 'PostDeleted'],
              [after.position, 'ReplyPosted'],
            ]);
            expect(JSON.stringify(r.raw)).not.toContain(secret);
          }
          // Without since: only what came after the subscription.
          for (const r of fresh) expect(sent(r)).toEqual([[after.position, 'ReplyPosted']]);
          // Those there all along saw it happen, in order and once.
          for (const r of watchers) {
            expect(sent(r)).toEqual([
              [before.position, 'ReplyPosted'],
              [posted.position, 'ReplyPosted'],
              [deleted.position, 'PostDeleted'],
              [after.position, 'ReplyPosted'],
            ]);
          }
        } finally {
          await unlock();
          await blocker.end();
        }
      }, 30_000);
    }

    it('shows a draft FAQ entry only to its author and the managers, and its publication to every reader', async () => {
      const spaceId = (await createSpace('public')).id;
      await addMember(spaceId, contributor, 'contributor');
      await addMember(spaceId, reader, 'reader');
      const sockets = { manager: await connect(manager), contributor: await connect(contributor), reader: await connect(reader), dane: await connect(dane) };
      for (const socket of Object.values(sockets)) expect(await socket.client.subscribe(`space:${spaceId}`)).toMatchObject({ ok: true });
      const draft = await created(contributor.http.post(`/api/spaces/${spaceId}/faq`).send({ question: 'Question brouillon ?', answer: 'Réponse brouillon' }).expect(201));
      const published = await created(manager.http.post(`/api/faq/${draft.id}/publish`).expect(200));
      const room: LiveRoom = `space:${spaceId}`;
      for (const socket of Object.values(sockets)) await socket.reach(room, published.position);
      const types = (socket: Recorder) => socket.in(room).filter((e) => e.streamName === `faq-${draft.id}`).map((e) => e.type);
      expect(types(sockets.manager)).toEqual(['FaqEntryDrafted', 'FaqEntryPublished']);
      expect(types(sockets.contributor)).toEqual(['FaqEntryDrafted', 'FaqEntryPublished']);
      expect(types(sockets.dane)).toEqual(['FaqEntryDrafted', 'FaqEntryPublished']);
      expect(types(sockets.reader)).toEqual(['FaqEntryPublished']);
      expect(JSON.stringify(sockets.reader.raw)).not.toContain('Réponse brouillon');
      // Replayed, the draft is hidden from the reader just the same.
      const later = await connect(reader);
      await later.client.subscribe(room, draft.position - 1);
      await later.reach(room, published.position);
      expect(later.in(room).filter((e) => e.streamName === `faq-${draft.id}`).map((e) => e.type)).toEqual(['FaqEntryPublished']);
    });
  });

  describe('rights that change', () => {
    it('takes a member removed from a private space out of its rooms at once', async () => {
      const spaceId = (await createSpace('private')).id;
      const member = await signInPerson(url, freshEmail('removed'), { displayName: 'Robin Retiré' });
      await addMember(spaceId, member, 'contributor');
      const topicId = (await openTopic(manager, spaceId)).id;
      const removedSocket = await connect(member);
      const managerSocket = await connect(manager);
      for (const room of [`space:${spaceId}`, `topic:${topicId}`] as const) {
        expect(await removedSocket.client.subscribe(room)).toMatchObject({ ok: true });
        expect(await managerSocket.client.subscribe(room)).toMatchObject({ ok: true });
      }
      const removal = await created(manager.http.delete(`/api/spaces/${spaceId}/members/${member.id}`).expect(200));
      const secret = `après le départ ${randomUUID()}`;
      const after = await reply(manager, topicId, secret);
      await managerSocket.reach(`topic:${topicId}`, after.position);
      await managerSocket.reach(`space:${spaceId}`, after.position);
      expect(removedSocket.raw.filter((e) => e.position > removal.position)).toEqual([]);
      expect(JSON.stringify(removedSocket.raw)).not.toContain(secret);
      // And they cannot come back in: the private room is now unknown to them.
      expect(await removedSocket.client.subscribe(`topic:${topicId}`)).toEqual({ ok: false, error: { code: 'NOT_FOUND', message: 'No such room' } });
    });

    it('takes strangers out of a space that turns private, and keeps its members in', async () => {
      const spaceId = (await createSpace('public')).id;
      await addMember(spaceId, reader, 'reader');
      const topicId = (await openTopic(manager, spaceId)).id;
      const stranger = await connect(outsider);
      const member = await connect(reader);
      for (const socket of [stranger, member]) expect(await socket.client.subscribe(`topic:${topicId}`)).toMatchObject({ ok: true });
      const turned = await created(manager.http.patch(`/api/spaces/${spaceId}`).send({ visibility: 'private' }).expect(200));
      const after = await reply(manager, topicId, 'entre membres');
      await member.reach(`topic:${topicId}`, after.position);
      expect(stranger.raw.filter((e) => e.position > turned.position)).toEqual([]);
    });
  });

  describe('presence', () => {
    it('tells who views a topic, on join, leave and disconnect', async () => {
      const spaceId = (await createSpace('public')).id;
      const topicId = (await openTopic(manager, spaceId)).id;
      const room: LiveRoom = `topic:${topicId}`;
      const names = (socket: Recorder) => socket.lastPresence(room)?.users.map((u) => u.displayName);
      const a = await connect(manager);
      await a.client.subscribe(room);
      await a.waitFor(() => names(a)?.join() === 'Manon Manager', 'presence of the manager');
      const b = await connect(reader);
      await b.client.subscribe(room);
      await a.waitFor(() => names(a)?.join() === 'Manon Manager,Rémi Lecteur', 'both in the room');
      await b.waitFor(() => names(b)?.join() === 'Manon Manager,Rémi Lecteur', 'both in the room, seen by the reader');
      const second = await connect(reader);
      await second.client.subscribe(room);
      await second.waitFor(() => names(second)?.join() === 'Manon Manager,Rémi Lecteur', 'the second tab in the room');
      const joined = second.lastPresence(room)!.version;
      await second.client.unsubscribe(room);
      // A second tab leaving does not make the reader absent.
      await a.waitFor(() => (a.lastPresence(room)?.version ?? 0) > joined, 'the second tab to leave');
      expect(a.lastPresence(room)).toMatchObject({ users: [{ displayName: 'Manon Manager' }, { displayName: 'Rémi Lecteur' }], count: 2 });
      b.client.disconnect();
      await a.waitFor(() => names(a)?.join() === 'Manon Manager', 'the reader gone after disconnecting');
    });
  });

  describe('bad input', () => {
    const ack = (socket: Recorder, request: unknown): Promise<SubscribeAck> =>
      (socket.client.socket as unknown as { emitWithAck(event: string, request: unknown): Promise<SubscribeAck> }).emitWithAck('subscribe', request);

    it('answers malformed subscriptions with an error naming the field, and keeps serving', async () => {
      const spaceId = (await createSpace('public')).id;
      const topicId = (await openTopic(manager, spaceId)).id;
      const socket = await connect(reader);
      const head = await t.store.headPosition();
      const cases: Array<[unknown, string]> = [
        ['topic:x', 'room'],
        [null, 'room'],
        [[`topic:${topicId}`], 'room'],
        [{}, 'room'],
        [{ room: 5 }, 'room'],
        [{ room: 'chat:general' }, 'room'],
        [{ room: 'topic:not-a-uuid' }, 'room'],
        [{ room: `topic:${topicId}`.padEnd(500, 'x') }, 'room'],
        [{ room: `topic:${topicId}`, since: 'abc' }, 'since'],
        [{ room: `topic:${topicId}`, since: -1 }, 'since'],
        [{ room: `topic:${topicId}`, since: 1.5 }, 'since'],
        [{ room: `topic:${topicId}`, since: head + 1_000_000 }, 'since'],
        [{ room: `topic:${topicId}`, extra: true }, 'extra'],
      ];
      for (const [request, field] of cases) {
        expect(await ack(socket, request)).toEqual({ ok: false, error: { code: 'VALIDATION', message: expect.any(String), field } });
      }
      // No acknowledgement function, unknown events: ignored without a crash.
      const untyped = socket.client.socket as unknown as { emit(event: string, ...args: unknown[]): void };
      untyped.emit('subscribe', { room: 'nonsense' });
      untyped.emit('shout', 'hello');
      expect(await socket.client.subscribe(`topic:${topicId}`)).toMatchObject({ ok: true });
      const landed = await reply(manager, topicId);
      await socket.reach(`topic:${topicId}`, landed.position);
    });

    it('refuses a flood of subscriptions, then disconnects the flooder; other sockets are unaffected', async () => {
      const spaceId = (await createSpace('public')).id;
      const topicId = (await openTopic(manager, spaceId)).id;
      const witness = await connect(reader);
      await witness.client.subscribe(`topic:${topicId}`);
      const flooder = await connect(outsider);
      let disconnected = false;
      flooder.client.socket.on('disconnect', () => (disconnected = true));
      const answers: SubscribeAck[] = [];
      for (let i = 0; i < 1000; i++) {
        flooder.client.socket.emit('subscribe', { room: `topic:${topicId}` }, (answer: SubscribeAck) => answers.push(answer));
      }
      await until(() => disconnected, 10_000, 'the flooder to be disconnected');
      expect(answers.some((a) => !a.ok && a.error.code === 'RATE_LIMITED')).toBe(true);
      expect(answers.filter((a) => a.ok).length).toBeLessThanOrEqual(40);
      const landed = await reply(manager, topicId);
      await witness.reach(`topic:${topicId}`, landed.position);
      expect(witness.client.socket.connected).toBe(true);
    });

    it('drops a socket that sends an oversized message, and no other', async () => {
      const witness = await connect(reader);
      const big = await connect(outsider);
      let disconnected = false;
      big.client.socket.on('disconnect', () => (disconnected = true));
      big.client.socket.emit('subscribe', { room: 'x'.repeat(100_000) } as never, () => undefined);
      await until(() => disconnected, 5000, 'the oversized sender to be dropped');
      expect(await witness.client.subscribe('user:me')).toMatchObject({ ok: true });
    });

    it('caps the rooms of one socket', async () => {
      const socket = await connect(dane);
      const spaceIds: string[] = [];
      for (let i = 0; i < 3; i++) spaceIds.push((await createSpace('public', `Cap ${i}`)).id);
      // The cap is high (100): the rule is checked on a few real rooms, the count with unknown ones.
      for (const id of spaceIds) expect(await socket.client.subscribe(`space:${id}`)).toMatchObject({ ok: true });
    });
  });
});

/** Silences an unused-type lint in editors: the events' type is part of the client's contract. */
export type _Event = LiveEventMessage;
