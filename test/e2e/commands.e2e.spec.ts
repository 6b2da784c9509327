import type { SqlDatabase } from '#ruche/projections';
import { eventIdOf, READ_DB } from '#ruche/platform';
import { freshEmail, startTestApp, storeKinds, type SignedInClient, type TestApp } from './support/test-app.js';

/**
 * What every command endpoint guarantees, whatever its context: events that say which command
 * made them, Idempotency-Key (a retry lands once, another body is 422), a retry after a lost
 * answer writes nothing twice, old event shapes read through today's projections, and
 * X-Min-Position waiting only for the read models a route reads.
 */
const kinds = await storeKinds();

describe.each(kinds)('commands end to end (%s)', (kind) => {
  let t: TestApp;
  let author: SignedInClient;

  beforeAll(async () => {
    t = await startTestApp(kind);
    author = await t.signIn(freshEmail('author'), { displayName: 'Alix Auteur' });
  }, 30_000);
  afterAll(() => t?.close());

  const space = (name: string) => ({ name, kind: 'thematic', visibility: 'public' });

  it('writes events whose ids derive from the command id, with each type at its own schema version', async () => {
    const created = await author.agent.post('/api/spaces').send(space('Traçabilité')).expect(201);
    const events = await t.store.readStream(`space-${created.body.id}`);
    expect(events.map((e) => [e.type, e.metadata.schemaVersion])).toEqual([
      ['SpaceCreated', 2],
      ['MemberAdded', 1],
    ]);
    const commandId = events[0]!.metadata.commandId as string;
    expect(commandId).toBe(created.body.id);
    expect(events.map((e) => e.id)).toEqual([eventIdOf(commandId, 0), eventIdOf(commandId, 1)]);
    expect(events.every((e) => e.metadata.userId === author.id)).toBe(true);
  });

  describe('Idempotency-Key', () => {
    it('answers a retry with the first result and writes nothing more', async () => {
      const key = `create-${Date.now()}`;
      const first = await author.agent.post('/api/spaces').set('Idempotency-Key', key).send(space('Une seule fois')).expect(201);
      const head = await t.store.headPosition();
      const retry = await author.agent.post('/api/spaces').set('Idempotency-Key', key).send(space('Une seule fois')).expect(201);
      expect(retry.body).toEqual(first.body);
      expect(retry.headers['idempotent-replayed']).toBe('true');
      expect(await t.store.headPosition()).toBe(head);
    });

    it('refuses the same key with another body (422) and writes nothing', async () => {
      const key = `reuse-${Date.now()}`;
      await author.agent.post('/api/spaces').set('Idempotency-Key', key).send(space('Premier')).expect(201);
      const head = await t.store.headPosition();
      const reused = await author.agent.post('/api/spaces').set('Idempotency-Key', key).send(space('Second')).expect(422);
      expect(reused.headers['content-type']).toMatch(/application\/problem\+json/);
      expect(reused.body).toMatchObject({ status: 422 });
      expect(await t.store.headPosition()).toBe(head);
    });

    it('scopes keys to the caller: another user with the same key runs their own command', async () => {
      const key = `shared-${Date.now()}`;
      const other = await t.signIn(freshEmail('other'));
      const mine = await author.agent.post('/api/spaces').set('Idempotency-Key', key).send(space('À moi')).expect(201);
      const theirs = await other.agent.post('/api/spaces').set('Idempotency-Key', key).send(space('À moi')).expect(201);
      expect(theirs.body.id).not.toBe(mine.body.id);
    });

    it('lands once when the first answer was lost after the events were written', async () => {
      const key = `lost-${Date.now()}`;
      const first = await author.agent.post('/api/spaces').set('Idempotency-Key', key).send(space('Réponse perdue')).expect(201);
      // The process died (or the connection dropped) after the append, before the answer was kept.
      const db = t.app.get<SqlDatabase>(READ_DB);
      await db.execute('UPDATE idempotency_keys SET status_code = NULL, response = NULL WHERE key = $1', [key]);
      const head = await t.store.headPosition();
      const retry = await author.agent.post('/api/spaces').set('Idempotency-Key', key).send(space('Réponse perdue')).expect(201);
      expect(retry.body).toEqual(first.body);
      expect(retry.headers['idempotent-replayed']).toBeUndefined();
      expect(await t.store.headPosition()).toBe(head);
      expect((await t.store.readStream(`space-${first.body.id}`)).map((e) => e.type)).toEqual(['SpaceCreated', 'MemberAdded']);
    });

    it('refuses a malformed key naming the header, writing nothing', async () => {
      const head = await t.store.headPosition();
      const bad = await author.agent.post('/api/spaces').set('Idempotency-Key', 'x'.repeat(201)).send(space('Clé trop longue')).expect(400);
      expect(bad.body.errors).toEqual([{ field: 'Idempotency-Key', message: expect.any(String) }]);
      expect(await t.store.headPosition()).toBe(head);
    });
  });

  it('reads an old event shape through today’s projection (SpaceCreated@1 had no description)', async () => {
    const spaceId = '01936000-0000-7000-8000-0000000000a1'.replace('a1', String(Date.now() % 100).padStart(2, '0'));
    const at = new Date().toISOString();
    const appended = await t.store.appendToStream(
      `space-${spaceId}`,
      [
        { type: 'SpaceCreated', data: { spaceId, name: 'Espace de 2025', kind: 'thematic', visibility: 'public', at, by: author.id }, metadata: { schemaVersion: 1 } },
        { type: 'MemberAdded', data: { spaceId, userId: author.id, role: 'manager', at, by: author.id }, metadata: { schemaVersion: 1 } },
      ],
      { expectedRevision: 'no_stream' },
    );
    const view = await author.agent.get(`/api/spaces/${spaceId}`).set('X-Min-Position', String(appended.position)).expect(200);
    expect(view.body).toMatchObject({ name: 'Espace de 2025', description: '', myRole: 'manager' });
    // The log keeps what happened: the stored event is still at version 1, without a description.
    const raw = await t.store.readAll({ fromPosition: appended.position - 2, maxCount: 1 });
    expect(raw[0]!.type).toBe('SpaceCreated');
  });

  // Last: it leaves a failed projection behind.
  it('waits on X-Min-Position only for the read models the route reads', async () => {
    // A malformed event (a null `by`) makes the activity feed fail; the spaces directory goes on.
    const poison = await t.store.appendToStream(`space-01936000-0000-7000-8000-00000000dead`, [
      { type: 'SpaceRenamed', data: { spaceId: 'x', name: 'y', at: new Date().toISOString(), by: null } },
    ]);
    const created = await author.agent.post('/api/spaces').send(space('Lecture de ses écritures')).expect(201);
    expect(created.body.position).toBeGreaterThan(poison.position);
    const started = Date.now();
    const card = await author.agent.get(`/api/spaces/${created.body.id}`).set('X-Min-Position', String(created.body.position)).expect(200);
    expect(card.headers['x-read-position-reached']).toBe('true');
    expect(Date.now() - started).toBeLessThan(1500);
    const activity = await author.agent.get(`/api/spaces/${created.body.id}/activity`).set('X-Min-Position', String(created.body.position)).expect(200);
    expect(activity.headers['x-read-position-reached']).toBe('false');
    // Signing in waits for the users read model only.
    await t.signIn(freshEmail('after-failure'));
  });
});
