import request from 'supertest';
import { postgresService } from '#ruche/eventstore/testing';
import type { LiveRoom } from '#ruche/live-client';
import { freshEmail, startTestApp, type TestApp } from './support/test-app.js';
import { Recorder, signInPerson } from './support/live-clients.js';
import { redisReachable } from './support/processes.js';

/**
 * The harness of `npm run test:e2e:cluster` (E2E_PROCESSES=2), proved here in every e2e run: two
 * API processes behind its proxy really share the work, and what one writes the other reads.
 */
const postgres = await postgresService();
const runnable = postgres.available && (await redisReachable('the two-process harness test'));

(runnable ? describe : describe.skip)('two API processes behind the e2e proxy (PostgreSQL + Redis)', () => {
  let t: TestApp;
  const recorders: Recorder[] = [];

  beforeAll(async () => {
    t = await startTestApp('postgres', {}, { processes: 2 });
  }, 90_000);
  afterEach(() => {
    for (const recorder of recorders.splice(0)) recorder.close();
  });
  afterAll(() => t?.close(), 60_000);

  const requests = () => t.backends!.map((b) => b.requests);

  it('sends consecutive requests of one client to each process in turn', async () => {
    expect(t.processes).toBe(2);
    const before = requests();
    const client = await t.signIn(freshEmail('tour'), { roles: ['rrupn'] });
    for (let i = 0; i < 5; i++) await client.agent.get('/api/me').expect(200);
    const served = requests().map((n, i) => n - before[i]!);
    // Six requests (the sign-in and five reads): three each, whoever started.
    expect(served).toEqual([3, 3]);
  });

  it('reads through one process what was written through the other, both ways, with one session', async () => {
    const [one, two] = t.backends!.map((b) => b.url) as [string, string];
    // Straight to each process, without the proxy: the session lives in the database, not in a process.
    const person = await signInPerson(one, freshEmail('writer'), { roles: ['rrupn'] });
    const on = (url: string) => ({
      get: (path: string) => request(url).get(path).set('Cookie', person.cookie),
      post: (path: string) => request(url).post(path).set('Cookie', person.cookie),
    });
    for (const [writeTo, readFrom] of [
      [one, two],
      [two, one],
    ] as const) {
      const name = `Écrit sur ${writeTo}`;
      const created = await on(writeTo).post('/api/spaces').send({ name, kind: 'thematic', visibility: 'public' }).expect(201);
      const read = await on(readFrom).get(`/api/spaces/${created.body.id}`).set('X-Min-Position', String(created.body.position)).expect(200);
      expect(read.headers['x-read-position-reached']).toBe('true');
      expect(read.body).toMatchObject({ id: created.body.id, name, myRole: 'manager' });
    }
  });

  it('spreads websockets over both processes, and each gets what is written through either', async () => {
    const url = await t.listen();
    const person = await signInPerson(url, freshEmail('live'), { displayName: 'Lou Live', roles: ['rrupn'] });
    const spaceId = (await person.http.post('/api/spaces').send({ name: 'En direct', kind: 'thematic', visibility: 'public' }).expect(201)).body.id;
    const topicId = (await person.http.post(`/api/spaces/${spaceId}/topics`).send({ title: 'Deux serveurs', body: 'Bonjour' }).expect(201)).body.id;
    const room: LiveRoom = `topic:${topicId}`;
    const upgradesBefore = t.backends!.map((b) => b.upgrades);
    for (let i = 0; i < 2; i++) {
      const recorder = await Recorder.connect(url, person, { origin: t.config.publicUrl });
      recorders.push(recorder);
      expect(await recorder.client.subscribe(room)).toMatchObject({ ok: true });
    }
    expect(t.backends!.map((b, i) => b.upgrades - upgradesBefore[i]!)).toEqual([1, 1]);
    const positions: number[] = [];
    for (let i = 0; i < 4; i++) positions.push((await person.http.post(`/api/topics/${topicId}/posts`).send({ body: `réponse ${i}` }).expect(201)).body.position);
    for (const recorder of recorders) {
      await recorder.reach(room, positions.at(-1)!, 10_000);
      expect(recorder.raw.filter((e) => e.room === room && e.type === 'ReplyPosted').map((e) => e.position)).toEqual(positions);
    }
  }, 30_000);
});
