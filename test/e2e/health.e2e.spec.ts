import { randomUUID } from 'node:crypto';
import type { ProjectionRunner, SqlDatabase } from '#ruche/projections';
import { PROJECTION_RUNNER, READ_DB } from '#ruche/platform';
import { freshEmail, startTestApp, storeKinds, type SignedInClient, type TestApp } from './support/test-app.js';

const kinds = await storeKinds();

describe.each(kinds)('/api/health (%s)', (kind) => {
  let t: TestApp;
  let dane: SignedInClient;
  let teacher: SignedInClient;

  beforeAll(async () => {
    // Stops this process's projection runner and breaks its read models, then reads its own health.
    t = await startTestApp(kind, {}, { singleProcess: 'stops its projection runner, reads its own feeds' });
    dane = await t.signIn(freshEmail('dane'), { roles: ['dane'] });
    teacher = await t.signIn(freshEmail('teacher'), { roles: ['enseignant'] });
  }, 30_000);
  afterAll(() => t?.close());

  // The tests run in order: the runner is stopped, then the read models are broken.
  it('tells anyone, signed in or not, up or down and each projection lag, and nothing more', async () => {
    for (const client of [t.anonymous(), teacher.agent]) {
      const r = await client.get('/api/health').expect(200);
      expect(r.body).toEqual({
        status: 'up',
        eventStore: { status: 'up', adapter: kind },
        readStore: { status: 'up', adapter: kind },
        projections: expect.arrayContaining([{ name: 'users', lag: expect.any(Number) }]),
      });
      for (const projection of r.body.projections) expect(Object.keys(projection).sort()).toEqual(['lag', 'name']);
    }
  });

  it('shows the lag growing while projections stand still', async () => {
    await t.app.get<ProjectionRunner>(PROJECTION_RUNNER).stop();
    await t.store.appendToStream(`noise-${randomUUID()}`, [{ type: 'NoiseMade', data: {} }]);
    const r = await t.anonymous().get('/api/health').expect(200);
    expect(r.body.projections.length).toBeGreaterThan(0);
    for (const projection of r.body.projections) expect(projection.lag).toBeGreaterThanOrEqual(1);
  });

  it('gives a dane the states, positions and head', async () => {
    const r = await dane.agent.get('/api/health').expect(200);
    expect(r.body.head).toBe(await t.store.headPosition());
    expect(r.body.eventStore).toMatchObject({ status: 'up', adapter: kind, lastPosition: r.body.head });
    expect(r.body.projections).toEqual(
      expect.arrayContaining([expect.objectContaining({ name: 'users', state: 'running', feed: 'stopped', lag: expect.any(Number) })]),
    );
  });

  it('answers 503 without internal error texts to the public, with them to a dane; no DDL repairs the tables', async () => {
    // A health check that created tables on each call would quietly bring this one back.
    await t.app.get<SqlDatabase>(READ_DB).execute('DROP TABLE projection_checkpoints');

    const open = await t.anonymous().get('/api/health').expect(503);
    expect(open.body).toEqual({
      status: 'down',
      eventStore: { status: 'up', adapter: kind },
      readStore: { status: 'down', adapter: kind },
      projections: [],
    });
    expect(JSON.stringify(open.body)).not.toMatch(/projection_checkpoints/);

    const detailed = await dane.agent.get('/api/health').expect(503);
    expect(detailed.body.readStore).toEqual({ status: 'down', adapter: kind, detail: expect.stringMatching(/projection_checkpoints/) });
  });
});
