import type request from 'supertest';
import { freshEmail, startTestApp, storeKinds, type SignedInClient, type TestApp } from './support/test-app.js';
import { SecretScanner } from './support/secret-scanner.js';

/**
 * Every endpoint of "Spaces and members" × every kind of actor × every visibility, each cell
 * asserted. The expected status comes from the access rules written once, here, in plain terms.
 *
 * Bodies are checked too: a private space ("the secret") exists beside the matrix, with a public
 * child and a member of its own, and every answer to an actor who may not know it is scanned for
 * its id, its name and its own member's id, e-mail and name (see SecretScanner). An endpoint
 * added to the matrix gets that check for free.
 */
const kinds = await storeKinds();

const ACTORS = ['dane', 'rrupnSameUai', 'rrupnOtherUai', 'manager', 'contributor', 'reader', 'nonMember', 'anonymous'] as const;
type ActorKind = (typeof ACTORS)[number];
const VISIBILITIES = ['public', 'restricted', 'private'] as const;
type Visibility = (typeof VISIBILITIES)[number];

const isMember = (a: ActorKind) => a === 'manager' || a === 'contributor' || a === 'reader';
const mayKnow = (a: ActorKind, v: Visibility) => v !== 'private' || isMember(a) || a === 'dane';
const mayRead = (a: ActorKind, v: Visibility) => v === 'public' || isMember(a) || a === 'dane';
const mayManage = (a: ActorKind) => a === 'manager' || a === 'dane';

/** 401 for anonymous, 404 when the actor may not know the space, 403 when not allowed, else ok. */
function gate(a: ActorKind, v: Visibility, allowed: boolean, ok: number): number {
  if (a === 'anonymous') return 401;
  if (!mayKnow(a, v)) return 404;
  return allowed ? ok : 403;
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
  /** Prepares what the cell needs (a fresh member to remove, a pending request…), then calls. */
  call(cell: Cell): Promise<request.Response>;
}

describe.each(kinds)('access matrix of spaces and members (%s)', (kind) => {
  let t: TestApp;
  const clients = new Map<ActorKind, SignedInClient>();
  const spaces = new Map<Visibility, string>();
  let position = 0;
  const UAI = '0067777M';

  const secrets = new SecretScanner();
  const landed = (r: request.Response): request.Response => {
    if (typeof r.body?.position === 'number') position = Math.max(position, r.body.position);
    return r;
  };
  const manager = () => clients.get('manager')!.agent;
  const addMember = async (spaceId: string, email: string, role: string) =>
    landed(await manager().post(`/api/spaces/${spaceId}/members`).send({ email, role }).expect(201)).body.userId as string;
  const freshRequester = async (spaceId: string) => {
    const requester = await t.signIn(freshEmail('requester'));
    landed(await requester.agent.post(`/api/spaces/${spaceId}/join`).expect(200));
    return requester.id;
  };
  const withPosition = (r: request.Test) => r.set('X-Min-Position', String(position));

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
      const created = landed(
        // One establishment space per UAI (issue #8): the private one is the establishment's, so a
        // rrupn of the same UAI still proves that a UAI opens nothing; the others are thematic.
        await manager().post('/api/spaces').send({ name: `Matrice ${visibility}`, visibility, ...(visibility === 'private' ? { kind: 'establishment', uai: UAI } : { kind: 'thematic' }) }).expect(201),
      );
      spaces.set(visibility, created.body.id);
      await addMember(created.body.id, clients.get('contributor')!.email, 'contributor');
      await addMember(created.body.id, clients.get('reader')!.email, 'reader');
    }
    await plantSecrets();
  }, 60_000);

  /**
   * The secrets: a private space with a public child made by its member, and a public space
   * turned private after a child was linked to it. Their ids, names and the private-only
   * member must never reach anyone but their members and the dane.
   */
  let publicChildren: string[] = [];
  async function plantSecrets(): Promise<void> {
    const keeper = await t.signIn(freshEmail('keeper'), { displayName: 'Gardien Discret' });
    const insider = await t.signIn(freshEmail('insider'), { displayName: `Initié ${Math.random().toString(36).slice(2)}` });
    const secretName = `Cellule confidentielle ${Math.random().toString(36).slice(2)}`;
    const secret = landed(await keeper.agent.post('/api/spaces').send({ name: secretName, kind: 'thematic', visibility: 'private' }).expect(201));
    landed(await keeper.agent.post(`/api/spaces/${secret.body.id}/members`).send({ email: insider.email, role: 'reader' }).expect(201));
    const child = landed(
      await keeper.agent
        .post('/api/spaces')
        .send({ name: 'Enfant public', kind: 'thematic', visibility: 'public', parentSpaceId: secret.body.id })
        .expect(201),
    );
    const laterName = `Parent devenu privé ${Math.random().toString(36).slice(2)}`;
    const later = landed(await keeper.agent.post('/api/spaces').send({ name: laterName, kind: 'thematic', visibility: 'public' }).expect(201));
    const laterChild = landed(
      await keeper.agent
        .post('/api/spaces')
        .send({ name: 'Enfant resté public', kind: 'thematic', visibility: 'public', parentSpaceId: later.body.id })
        .expect(201),
    );
    landed(await keeper.agent.patch(`/api/spaces/${later.body.id}`).send({ visibility: 'private' }).expect(200));
    secrets.add(secret.body.id, secretName, later.body.id, laterName, insider.id, insider.email);
    publicChildren = [child.body.id, laterChild.body.id];
    const insiderName = (await insider.agent.get('/api/me').expect(200)).body.displayName as string;
    secrets.add(insiderName);
  }

  /** Every answer to `actor` (none of them knows the secrets but the dane) is scanned. */
  const scanned = (actor: ActorKind, r: request.Response): request.Response => {
    if (actor !== 'dane') secrets.assertAbsent(r, actor);
    return r;
  };
  afterAll(() => t?.close());

  const targets = new Map<Visibility, string>();
  const endpoints: Endpoint[] = [
    {
      name: 'GET /api/spaces/:id',
      expected: (a, v) => gate(a, v, true, 200),
      call: ({ client, spaceId }) => withPosition(client.get(`/api/spaces/${spaceId}`)),
    },
    {
      name: 'PATCH /api/spaces/:id',
      expected: (a, v) => gate(a, v, mayManage(a), 200),
      call: ({ client, spaceId, actor }) => client.patch(`/api/spaces/${spaceId}`).send({ description: `par ${actor}` }),
    },
    {
      name: 'GET /api/spaces/:id/members',
      expected: (a, v) => gate(a, v, mayRead(a, v), 200),
      call: ({ client, spaceId }) => withPosition(client.get(`/api/spaces/${spaceId}/members`)),
    },
    {
      name: 'POST /api/spaces/:id/members',
      expected: (a, v) => gate(a, v, mayManage(a), 201),
      call: ({ client, spaceId }) => client.post(`/api/spaces/${spaceId}/members`).send({ email: freshEmail('invited'), role: 'reader' }),
    },
    {
      name: 'PATCH /api/spaces/:id/members/:userId',
      expected: (a, v) => gate(a, v, mayManage(a), 200),
      call: async ({ client, spaceId, visibility }) => {
        if (!targets.has(visibility)) targets.set(visibility, await addMember(spaceId, freshEmail('target'), 'reader'));
        return client.patch(`/api/spaces/${spaceId}/members/${targets.get(visibility)}`).send({ role: 'contributor' });
      },
    },
    {
      name: 'DELETE /api/spaces/:id/members/:userId',
      expected: (a, v) => gate(a, v, mayManage(a), 200),
      call: async ({ client, spaceId }) => {
        const victim = await addMember(spaceId, freshEmail('victim'), 'reader');
        return client.delete(`/api/spaces/${spaceId}/members/${victim}`);
      },
    },
    {
      name: 'GET /api/spaces/:id/join-requests',
      expected: (a, v) => gate(a, v, mayManage(a), 200),
      call: ({ client, spaceId }) => withPosition(client.get(`/api/spaces/${spaceId}/join-requests`)),
    },
    {
      name: 'POST /api/spaces/:id/join-requests/:userId/approve',
      // Only a restricted space has join requests; elsewhere there is nothing to approve.
      expected: (a, v) => gate(a, v, mayManage(a), v === 'restricted' ? 200 : 404),
      call: async ({ client, spaceId, visibility }) => {
        const requester = visibility === 'restricted' ? await freshRequester(spaceId) : clients.get('nonMember')!.id;
        return client.post(`/api/spaces/${spaceId}/join-requests/${requester}/approve`);
      },
    },
    {
      name: 'POST /api/spaces/:id/join-requests/:userId/reject',
      expected: (a, v) => gate(a, v, mayManage(a), 200),
      call: async ({ client, spaceId, visibility }) => {
        const requester = visibility === 'restricted' ? await freshRequester(spaceId) : clients.get('nonMember')!.id;
        return client.post(`/api/spaces/${spaceId}/join-requests/${requester}/reject`);
      },
    },
    {
      name: 'GET /api/spaces/:id/activity',
      expected: (a, v) => gate(a, v, mayRead(a, v), 200),
      call: ({ client, spaceId }) => withPosition(client.get(`/api/spaces/${spaceId}/activity`)),
    },
    {
      // Last: joining changes who is a member.
      name: 'POST /api/spaces/:id/join',
      // A dane knows a private space exists but nobody joins one: 403.
      expected: (a, v) => gate(a, v, !(v === 'private' && !isMember(a)), 200),
      call: ({ client, spaceId }) => client.post(`/api/spaces/${spaceId}/join`),
    },
  ];

  it.each(endpoints.map((e) => [e.name, e] as const))('%s', async (_name, endpoint) => {
    const actual: Record<string, number> = {};
    const expected: Record<string, number> = {};
    for (const visibility of VISIBILITIES) {
      for (const actor of ACTORS) {
        const client = actor === 'anonymous' ? t.anonymous() : clients.get(actor)!.agent;
        const response = scanned(actor, landed(await endpoint.call({ actor, visibility, spaceId: spaces.get(visibility)!, client })));
        const key = `${visibility} × ${actor}`;
        actual[key] = response.status;
        expected[key] = endpoint.expected(actor, visibility);
        if (response.status >= 400) expect(response.headers['content-type']).toMatch(/application\/problem\+json/);
      }
    }
    expect(actual).toEqual(expected);
  }, 60_000);

  it('shows a private parent, its name and its own members to nobody but its members and the dane', async () => {
    for (const actor of ACTORS) {
      const client = actor === 'anonymous' ? t.anonymous() : clients.get(actor)!.agent;
      const answers = [
        await withPosition(client.get('/api/spaces?limit=100')),
        await withPosition(client.get(`/api/spaces?q=${encodeURIComponent('Enfant')}`)),
        ...(await Promise.all(
          publicChildren.flatMap((id) => [
            withPosition(client.get(`/api/spaces/${id}`)),
            withPosition(client.get(`/api/spaces/${id}/activity`)),
            withPosition(client.get(`/api/spaces/${id}/members`)),
          ]),
        )),
      ];
      for (const answer of answers) {
        expect(answer.status).toBe(actor === 'anonymous' ? 401 : 200);
        scanned(actor, answer);
      }
    }
    // The scanner is not blind: the dane, who may know the secret, is shown the parent.
    const child = await withPosition(clients.get('dane')!.agent.get(`/api/spaces/${publicChildren[0]}`)).expect(200);
    expect(secrets.found(child)).not.toEqual([]);
  });

  it('lists a private space only to its members and the dane', async () => {
    const listed = async (actor: ActorKind) => {
      const r = await withPosition(clients.get(actor)!.agent.get(`/api/spaces?q=Matrice&limit=100`)).expect(200);
      return r.body.items.map((s: { visibility: string }) => s.visibility).sort();
    };
    expect(await listed('nonMember')).toEqual(['public', 'restricted']);
    expect(await listed('reader')).toEqual(['private', 'public', 'restricted']);
    expect(await listed('dane')).toEqual(['private', 'public', 'restricted']);
  });
});
