import { freshEmail, startTestApp, storeKinds, type SignedInClient, type TestApp } from './support/test-app.js';

const kinds = await storeKinds();

describe.each(kinds)('spaces and people end to end (%s)', (kind) => {
  let t: TestApp;
  let dane: SignedInClient;
  let rrupn: SignedInClient;

  beforeAll(async () => {
    t = await startTestApp(kind);
    dane = await t.signIn(freshEmail('dane'), { displayName: 'Délégation', roles: ['dane'] });
    rrupn = await t.signIn(freshEmail('rrupn'), { displayName: 'Camille RRUPN', roles: ['rrupn'], uai: '0061234x' });
  }, 30_000);
  afterAll(() => t?.close());

  const create = (who: SignedInClient, body: object) => who.agent.post('/api/spaces').send(body);
  const read = (who: SignedInClient, url: string, position?: number) =>
    position === undefined ? who.agent.get(url) : who.agent.get(url).set('X-Min-Position', String(position));

  describe('sign-in and sessions', () => {
    it('creates the user on first sign-in, answers /api/me, and ends the session on logout', async () => {
      const email = freshEmail('Prof').toUpperCase();
      const client = await t.signIn(email, { displayName: 'Alex Prof', roles: ['enseignant', 'referent_pix'] });
      const me = await client.agent.get('/api/me').expect(200);
      expect(me.body).toEqual({ id: client.id, email: email.toLowerCase(), displayName: 'Alex Prof', roles: ['enseignant', 'referent_pix'] });
      await client.agent.post('/api/auth/logout').expect(204);
      const after = await client.agent.get('/api/me').expect(401);
      expect(after.headers['content-type']).toMatch(/application\/problem\+json/);
    });

    it('sets an httpOnly SameSite=Lax cookie with a new session id at each sign-in, for the same user', async () => {
      const email = freshEmail('twice');
      const first = await t.anonymous().post('/api/auth/dev-login').send({ email }).expect(200);
      const second = await t.anonymous().post('/api/auth/dev-login').send({ email }).expect(200);
      const cookieOf = (r: { headers: Record<string, unknown> }) => String((r.headers['set-cookie'] as string[])[0]);
      expect(cookieOf(first)).toMatch(/ruche_session=[^;]+;.*HttpOnly/i);
      expect(cookieOf(first)).toMatch(/SameSite=Lax/i);
      expect(cookieOf(first).split(';')[0]).not.toEqual(cookieOf(second).split(';')[0]);
      expect(first.body.id).toEqual(second.body.id);
    });

    it('keeps users event-sourced in user-<id> streams', async () => {
      const client = await t.signIn(freshEmail('stream'));
      const events = await t.store.readStream(`user-${client.id}`);
      expect(events.map((e) => e.type)).toEqual(['UserRegistered']);
    });

    it('answers 401 problem+json to anonymous calls and rejects a bad sign-in naming the field', async () => {
      const anonymous = await t.anonymous().get('/api/spaces').expect(401);
      expect(anonymous.body).toMatchObject({ status: 401, title: expect.any(String) });
      const bad = await t.anonymous().post('/api/auth/dev-login').send({ email: 'not-an-email', roles: ['king'] }).expect(400);
      expect(bad.body.errors.map((e: { field: string }) => e.field).sort()).toEqual(['email', 'roles']);
    });
  });

  describe('creating spaces', () => {
    it('lets a rrupn create the space of their own establishment, upper-casing the UAI, and makes them manager', async () => {
      const created = await create(rrupn, { name: 'Collège Jean Moulin', kind: 'establishment', visibility: 'public', uai: '0061234x' }).expect(201);
      expect(created.body).toEqual({ id: expect.any(String), revision: expect.any(Number), position: expect.any(Number) });
      const space = await read(rrupn, `/api/spaces/${created.body.id}`, created.body.position).expect(200);
      expect(space.body).toMatchObject({ name: 'Collège Jean Moulin', kind: 'establishment', uai: '0061234X', myRole: 'manager', memberCount: 1 });
    });

    it("refuses a rrupn another establishment's space or an academic space, but not a thematic one", async () => {
      await create(rrupn, { name: 'Autre', kind: 'establishment', visibility: 'public', uai: '0069999Z' }).expect(403);
      await create(rrupn, { name: 'Académie', kind: 'academic', visibility: 'public' }).expect(403);
      await create(rrupn, { name: 'Usages du numérique', kind: 'thematic', visibility: 'public' }).expect(201);
    });

    it('lets the dane create an academic space and link an establishment space to it', async () => {
      const academic = await create(dane, { name: 'TRIBU PIX académique', kind: 'academic', visibility: 'public' }).expect(201);
      // 0061234X has its space already (one per UAI): the dane opens another establishment's.
      const child = await create(dane, {
        name: 'PIX au collège',
        kind: 'establishment',
        visibility: 'restricted',
        uai: '0062345A',
        parentSpaceId: academic.body.id,
      }).expect(201);
      const view = await read(dane, `/api/spaces/${child.body.id}`, child.body.position).expect(200);
      expect(view.body.parentSpaceId).toBe(academic.body.id);
    });

    it('lists the spaces the caller may see, with filters and pages', async () => {
      const prefix = `Liste ${Date.now()}`;
      let position = 0;
      for (const [i, visibility] of (['public', 'restricted', 'private'] as const).entries()) {
        const r = await create(dane, { name: `${prefix} ${i}`, kind: 'thematic', visibility }).expect(201);
        position = r.body.position;
      }
      const stranger = await t.signIn(freshEmail('stranger'));
      const seen = await read(stranger, `/api/spaces?q=${encodeURIComponent(prefix)}`, position).expect(200);
      expect(seen.body.items.map((s: { name: string }) => s.name)).toEqual([`${prefix} 0`, `${prefix} 1`]);
      const all = await read(dane, `/api/spaces?q=${encodeURIComponent(prefix)}&limit=2`).expect(200);
      expect(all.body.items).toHaveLength(2);
      expect(all.body.nextCursor).toEqual(expect.any(String));
      const next = await read(dane, `/api/spaces?q=${encodeURIComponent(prefix)}&limit=2&cursor=${all.body.nextCursor}`).expect(200);
      expect(next.body.items.map((s: { name: string }) => s.name)).toEqual([`${prefix} 2`]);
      expect(next.body.nextCursor).toBeNull();
      const byUai = await read(dane, '/api/spaces?kind=establishment&uai=0061234x').expect(200);
      expect(byUai.body.items.length).toBeGreaterThan(0);
      expect(byUai.body.items.every((s: { uai: string }) => s.uai === '0061234X')).toBe(true);
    });
  });

  describe('members, roles and joining', () => {
    it('adds a member by e-mail (registering them), changes roles, protects the last manager, and lets members leave', async () => {
      const space = await create(rrupn, { name: 'Équipe PIX', kind: 'thematic', visibility: 'private' }).expect(201);
      const id = space.body.id as string;
      const inviteeEmail = freshEmail('invitee');
      const added = await rrupn.agent.post(`/api/spaces/${id}/members`).send({ email: inviteeEmail, role: 'contributor' }).expect(201);
      const invitee = await t.signIn(inviteeEmail);
      expect(invitee.id).toBe(added.body.userId);
      const members = await read(rrupn, `/api/spaces/${id}/members`, added.body.position).expect(200);
      expect(members.body.items.map((m: { role: string }) => m.role).sort()).toEqual(['contributor', 'manager']);

      await rrupn.agent.patch(`/api/spaces/${id}/members/${rrupn.id}`).send({ role: 'reader' }).expect(409);
      await rrupn.agent.delete(`/api/spaces/${id}/members/${rrupn.id}`).expect(409);
      await rrupn.agent.patch(`/api/spaces/${id}/members/${invitee.id}`).send({ role: 'manager' }).expect(200);
      const left = await rrupn.agent.delete(`/api/spaces/${id}/members/${rrupn.id}`).expect(200);
      const afterLeave = await read(invitee, `/api/spaces/${id}/members`, left.body.position).expect(200);
      expect(afterLeave.body.items.map((m: { userId: string }) => m.userId)).toEqual([invitee.id]);
      // The one who left no longer knows the private space.
      await read(rrupn, `/api/spaces/${id}`, left.body.position).expect(404);
    });

    it('joins a public space at once, and a restricted one through an approved request', async () => {
      const pub = await create(rrupn, { name: 'Ouvert', kind: 'thematic', visibility: 'public' }).expect(201);
      const res = await create(rrupn, { name: 'Sur demande', kind: 'thematic', visibility: 'restricted' }).expect(201);
      const joiner = await t.signIn(freshEmail('joiner'));
      const joined = await joiner.agent.post(`/api/spaces/${pub.body.id}/join`).expect(200);
      expect((await read(joiner, `/api/spaces/${pub.body.id}`, joined.body.position).expect(200)).body.myRole).toBe('contributor');

      const asked = await joiner.agent.post(`/api/spaces/${res.body.id}/join`).expect(200);
      await read(joiner, `/api/spaces/${res.body.id}/members`, asked.body.position).expect(403);
      const requests = await read(rrupn, `/api/spaces/${res.body.id}/join-requests`, asked.body.position).expect(200);
      expect(requests.body.items.map((r: { userId: string }) => r.userId)).toEqual([joiner.id]);
      const approved = await rrupn.agent.post(`/api/spaces/${res.body.id}/join-requests/${joiner.id}/approve`).expect(200);
      const view = await read(joiner, `/api/spaces/${res.body.id}`, approved.body.position).expect(200);
      expect(view.body.myRole).toBe('contributor');

      const activity = await read(rrupn, `/api/spaces/${res.body.id}/activity`, approved.body.position).expect(200);
      expect(activity.body.items.map((a: { type: string }) => a.type)).toEqual([
        'JoinRequestApproved',
        'JoinRequested',
        'MemberAdded',
        'SpaceCreated',
      ]);
      expect(activity.body.items[0].subject).toEqual({ id: joiner.id, displayName: expect.any(String) });
    });

    it('hides a private space and everything in it from non-members (404, never 403)', async () => {
      const priv = await create(rrupn, { name: 'Secret', kind: 'thematic', visibility: 'private' }).expect(201);
      const outsider = await t.signIn(freshEmail('outsider'));
      const id = priv.body.id as string;
      for (const url of [`/api/spaces/${id}`, `/api/spaces/${id}/members`, `/api/spaces/${id}/activity`, `/api/spaces/${id}/join-requests`]) {
        const r = await read(outsider, url, priv.body.position);
        expect({ url, status: r.status }).toEqual({ url, status: 404 });
      }
      await outsider.agent.post(`/api/spaces/${id}/join`).expect(404);
      await outsider.agent.patch(`/api/spaces/${id}`).send({ name: 'x' }).expect(404);
      const missing = await read(outsider, '/api/spaces/0190a5b4-0000-7000-8000-000000000000').expect(404);
      const hidden = await read(outsider, `/api/spaces/${id}`).expect(404);
      expect(hidden.body).toEqual(missing.body);
    });
  });

  describe('bad input: 400/413 problem+json and nothing written', () => {
    const bad: Array<[string, object, string[]]> = [
      ['an empty name', { name: '', kind: 'thematic', visibility: 'public' }, ['name']],
      ['a blank name', { name: '   ', kind: 'thematic', visibility: 'public' }, ['name']],
      ['a 300-character name', { name: 'x'.repeat(300), kind: 'thematic', visibility: 'public' }, ['name']],
      ['an unknown kind and visibility', { name: 'n', kind: 'club', visibility: 'secret' }, ['kind', 'visibility']],
      ['a malformed UAI', { name: 'n', kind: 'establishment', visibility: 'public', uai: '12345' }, ['uai']],
      ['an establishment space without UAI', { name: 'n', kind: 'establishment', visibility: 'public' }, ['uai']],
      ['a UAI on a thematic space', { name: 'n', kind: 'thematic', visibility: 'public', uai: '0061234X' }, ['uai']],
      ['a parent that is not a UUID', { name: 'n', kind: 'thematic', visibility: 'public', parentSpaceId: 'abc' }, ['parentSpaceId']],
      ['a parent that does not exist', { name: 'n', kind: 'thematic', visibility: 'public', parentSpaceId: '0190a5b4-0000-7000-8000-000000000000' }, ['parentSpaceId']],
      ['an unknown field', { name: 'n', kind: 'thematic', visibility: 'public', color: 'red' }, ['color']],
      ['wrong types', { name: 42, kind: ['thematic'], visibility: true }, ['name', 'kind', 'visibility']],
    ];

    it.each(bad)('rejects %s, naming the fields', async (_label, body, fields) => {
      const before = await t.store.headPosition();
      const r = await create(dane, body).expect(400);
      expect(r.headers['content-type']).toMatch(/application\/problem\+json/);
      expect(r.body).toMatchObject({ status: 400, type: expect.any(String), title: expect.any(String) });
      expect([...new Set(r.body.errors.map((e: { field: string }) => e.field))].sort()).toEqual([...fields].sort());
      expect(await t.store.headPosition()).toBe(before);
    });

    it('rejects a parent private space the caller may not see as not existing', async () => {
      const hidden = await create(dane, { name: 'Privé DANE', kind: 'thematic', visibility: 'private' }).expect(201);
      const before = await t.store.headPosition();
      const r = await create(rrupn, { name: 'n', kind: 'thematic', visibility: 'public', parentSpaceId: hidden.body.id }).expect(400);
      expect(r.body.errors[0].field).toBe('parentSpaceId');
      expect(await t.store.headPosition()).toBe(before);
    });

    it('answers 413 to a 2 MB body and 400 to broken JSON, writing nothing', async () => {
      const before = await t.store.headPosition();
      const big = await dane.agent
        .post('/api/spaces')
        .set('Content-Type', 'application/json')
        .send(JSON.stringify({ name: 'n', kind: 'thematic', visibility: 'public', description: 'x'.repeat(2 * 1024 * 1024) }));
      expect(big.status).toBe(413);
      expect(big.headers['content-type']).toMatch(/application\/problem\+json/);
      const broken = await dane.agent.post('/api/spaces').set('Content-Type', 'application/json').send('{"name":');
      expect(broken.status).toBe(400);
      expect(await t.store.headPosition()).toBe(before);
    });

    it('rejects bad ids, roles, cursors and X-Min-Position naming the field', async () => {
      const r1 = await dane.agent.get('/api/spaces/not-a-uuid').expect(400);
      expect(r1.body.errors[0].field).toBe('id');
      const space = await create(dane, { name: 'Cibles', kind: 'thematic', visibility: 'public' }).expect(201);
      const r2 = await dane.agent.post(`/api/spaces/${space.body.id}/members`).send({ email: 'a@b.fr', role: 'owner' }).expect(400);
      expect(r2.body.errors[0].field).toBe('role');
      const r3 = await dane.agent.get('/api/spaces?cursor=garbage').expect(400);
      expect(r3.body.errors[0].field).toBe('cursor');
      const r4 = await dane.agent.get('/api/spaces?limit=1000').expect(400);
      expect(r4.body.errors[0].field).toBe('limit');
      const r5 = await dane.agent.get('/api/spaces').set('X-Min-Position', 'soon').expect(400);
      expect(r5.body.errors[0].field).toBe('X-Min-Position');
    });
  });

  describe('the service around', () => {
    it('reports the store state at /api/health', async () => {
      const health = await t.anonymous().get('/api/health').expect(200);
      expect(health.body).toMatchObject({ status: 'up', eventStore: { status: 'up', adapter: kind } });
    });

    it('publishes the OpenAPI document and a browsable page at /api/docs', async () => {
      const json = await t.anonymous().get('/api/docs/openapi.json').expect(200);
      expect(Object.keys(json.body.paths)).toEqual(expect.arrayContaining(['/api/spaces', '/api/spaces/{id}/members', '/api/auth/dev-login']));
      const page = await t.anonymous().get('/api/docs').expect(200);
      expect(page.text).toMatch(/swagger/i);
    });

    it('answers unknown routes with a 404 problem', async () => {
      const r = await dane.agent.get('/api/nothing-here').expect(404);
      expect(r.headers['content-type']).toMatch(/application\/problem\+json/);
    });
  });
});
