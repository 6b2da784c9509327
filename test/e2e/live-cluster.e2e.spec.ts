import pg from 'pg';
import { postgresService, testDatabaseUrl, uniqueSchema } from '#ruche/eventstore/testing';
import type { LiveRoom } from '#ruche/live-client';
import { freshEmail } from './support/test-app.js';
import { Recorder, signInPerson, until, type LivePerson } from './support/live-clients.js';
import { redisReachable, redisUrl, ServerProcess } from './support/processes.js';

/**
 * Two API processes (the built server, `node dist/apps/api/src/main.js`) on one PostgreSQL schema
 * and one Redis, as a deployment behind a load balancer runs them.
 */
const postgres = await postgresService();
const runnable = postgres.available && (await redisReachable('the two-process live test'));

type Server = ServerProcess;

const PUBLIC_URL = 'http://ruche.cluster.test';

const startServer = (schema: string): Promise<Server> =>
  ServerProcess.start({
    NODE_ENV: 'test',
    DATABASE_URL: testDatabaseUrl,
    DATABASE_SCHEMA: schema,
    REDIS_URL: redisUrl,
    SEED: 'none',
    PUBLIC_URL,
    DATA_DIR: `/tmp/ruche-cluster-${schema}`,
  });

const stopServer = async (server: Server | undefined): Promise<void> => server?.stop();

(runnable ? describe : describe.skip)('live updates across two API processes (PostgreSQL + Redis)', () => {
  const schema = uniqueSchema('live_cluster');
  let one: Server;
  let two: Server;
  let writer: LivePerson;
  /** The same person, signed in through the second process. */
  let writerOnTwo: LivePerson;
  let watcher: LivePerson;
  const recorders: Recorder[] = [];

  const connect = async (server: Server, person: LivePerson): Promise<Recorder> => {
    const recorder = await Recorder.connect(server.url, person, { origin: PUBLIC_URL });
    recorders.push(recorder);
    return recorder;
  };

  beforeAll(async () => {
    // One after the other: the first creates the tables.
    one = await startServer(schema);
    two = await startServer(schema);
    writer = await signInPerson(one.url, freshEmail('writer'), { displayName: 'Wanda Écrit' });
    watcher = await signInPerson(two.url, freshEmail('watcher'), { displayName: 'Victor Regarde' });
    writerOnTwo = await signInPerson(two.url, writer.email);
  }, 150_000);

  afterEach(() => {
    for (const recorder of recorders.splice(0)) recorder.close();
  });

  afterAll(async () => {
    await Promise.all([stopServer(one), stopServer(two)]);
    const client = new pg.Client({ connectionString: testDatabaseUrl });
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await client.end();
  }, 60_000);

  it('delivers on one process, in order and once, what is written through the other', async () => {
    const spaceId = (await writer.http.post('/api/spaces').send({ name: 'Réseau', kind: 'thematic', visibility: 'public' }).expect(201)).body.id;
    const topicId = (await writer.http.post(`/api/spaces/${spaceId}/topics`).send({ title: 'Entre deux serveurs', body: 'Bonjour' }).expect(201)).body.id;
    const room: LiveRoom = `topic:${topicId}`;
    const onTwo = await connect(two, watcher);
    const onOne = await connect(one, watcher);
    expect(await onTwo.client.subscribe(room)).toMatchObject({ ok: true });
    expect(await onOne.client.subscribe(room)).toMatchObject({ ok: true });
    const written: number[] = [];
    for (let i = 0; i < 30; i++) {
      // Written through both processes in turn.
      const via = i % 3 === 0 ? writerOnTwo : writer;
      written.push((await via.http.post(`/api/topics/${topicId}/posts`).send({ body: `message ${i}` }).expect(201)).body.position);
    }
    for (const recorder of [onOne, onTwo]) {
      await recorder.reach(room, written.at(-1)!, 15_000);
      expect(recorder.raw.filter((e) => e.room === room && e.type === 'ReplyPosted').map((e) => e.position)).toEqual(written);
    }
  }, 60_000);

  it('replays from the store on the other process after a reconnect', async () => {
    const spaceId = (await writer.http.post('/api/spaces').send({ name: 'Réseau 2', kind: 'thematic', visibility: 'public' }).expect(201)).body.id;
    const topicId = (await writer.http.post(`/api/spaces/${spaceId}/topics`).send({ title: 'Reprise', body: 'Bonjour' }).expect(201)).body.id;
    const room: LiveRoom = `topic:${topicId}`;
    const onOne = await connect(one, watcher);
    const subscribed = await onOne.client.subscribe(room);
    expect(subscribed.ok).toBe(true);
    const since = (subscribed as { position: number }).position;
    onOne.close();
    const written: number[] = [];
    for (let i = 0; i < 20; i++) written.push((await writer.http.post(`/api/topics/${topicId}/posts`).send({ body: `absent ${i}` }).expect(201)).body.position);
    const onTwo = await connect(two, watcher);
    expect(await onTwo.client.subscribe(room, since)).toMatchObject({ ok: true });
    await onTwo.reach(room, written.at(-1)!, 15_000);
    expect(onTwo.raw.filter((e) => e.room === room && e.type === 'ReplyPosted').map((e) => e.position)).toEqual(written);
  }, 60_000);

  it('shows the same presence on both processes', async () => {
    const spaceId = (await writer.http.post('/api/spaces').send({ name: 'Réseau 3', kind: 'thematic', visibility: 'public' }).expect(201)).body.id;
    const topicId = (await writer.http.post(`/api/spaces/${spaceId}/topics`).send({ title: 'Qui est là ?', body: 'Bonjour' }).expect(201)).body.id;
    const room: LiveRoom = `topic:${topicId}`;
    const names = (r: Recorder) => r.lastPresence(room)?.users.map((u) => u.displayName).join(', ');
    const a = await connect(one, writer);
    const b = await connect(two, watcher);
    await a.client.subscribe(room);
    await b.client.subscribe(room);
    for (const r of [a, b]) await r.waitFor(() => names(r) === 'Victor Regarde, Wanda Écrit', 'both people on both processes', 10_000);
    b.client.disconnect();
    await a.waitFor(() => names(a) === 'Wanda Écrit', 'the watcher gone, seen from the other process', 10_000);
  }, 60_000);

  it('disconnects, on the other process too, the sockets of a session that ends', async () => {
    const leaving = await signInPerson(one.url, freshEmail('leaving'), { displayName: 'Léon Part' });
    const socket = await connect(two, leaving);
    let disconnected = false;
    socket.client.socket.on('disconnect', () => (disconnected = true));
    await leaving.http.post('/api/auth/logout').expect(204);
    await until(() => disconnected, 10_000, 'the socket on the other process to be disconnected');
  }, 30_000);
});
