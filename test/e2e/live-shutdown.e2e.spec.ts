import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import type { INestApplication } from '@nestjs/common';
import { createApp } from '../../apps/api/src/bootstrap.js';
import { freshEmail, startTestApp, type TestApp } from './support/test-app.js';
import { Recorder, signInPerson, urlOf } from './support/live-clients.js';

/**
 * A process that stops tells its sockets to come back, then disconnects them; the live client
 * reconnects after the hinted delay and resumes each room from the last position it saw, so a
 * restart loses nothing. This is about the gateway, not the store: the embedded store suffices.
 */
describe('live sockets across a restart (sqlite)', () => {
  let t: TestApp;
  let second: INestApplication | undefined;

  beforeAll(async () => {
    t = await startTestApp('sqlite');
    await t.app.listen(0, '127.0.0.1');
  }, 30_000);
  afterAll(async () => {
    await second?.close();
    fs.rmSync(t.config.dataDir, { recursive: true, force: true });
  });

  it('hints a reconnect, disconnects, and the client catches up from the restarted process', async () => {
    const url = urlOf(t.app.getHttpServer());
    const { port } = t.app.getHttpServer().address() as AddressInfo;
    const author = await signInPerson(url, freshEmail('author'), { displayName: 'Ada Autrice' });
    const space = await author.http.post('/api/spaces').send({ name: 'Redémarrage', kind: 'thematic', visibility: 'public' }).expect(201);
    const topic = await author.http.post(`/api/spaces/${space.body.id}/topics`).send({ title: 'Avant', body: 'Premier message' }).expect(201);
    const room = `topic:${topic.body.id}` as const;

    const hints: number[] = [];
    const recorder = new Recorder(url, author, { origin: t.config.publicUrl, reconnection: true });
    recorder.client.socket.on('shutdown', (hint) => hints.push(hint.reconnectInMs));
    const reasons: string[] = [];
    recorder.client.socket.on('disconnect', (reason) => reasons.push(reason));
    await recorder.client.connect();
    expect(await recorder.client.subscribe(room)).toMatchObject({ ok: true });
    const before = await author.http.post(`/api/topics/${topic.body.id}/posts`).send({ body: 'Avant l’arrêt' }).expect(201);
    await recorder.reach(room, before.body.position);

    const closing = Date.now();
    await t.app.close();
    // The sockets were released before the HTTP drain, which then had nothing to wait for.
    expect(Date.now() - closing).toBeLessThan(15_000); // the drain would wait 25 s for an open socket
    expect(hints).toHaveLength(1);
    await recorder.waitFor(() => reasons.length > 0, 'the disconnect', 15_000);
    expect(reasons).toEqual(['io server disconnect']);
    expect(recorder.client.reconnectsAfterShutdown).toBe(1);

    // The same store, a new process on the same port: what is written meanwhile is not lost.
    second = await createApp(t.config);
    await second.init();
    await second.listen(port, '127.0.0.1');
    const meanwhile = await author.http.post(`/api/topics/${topic.body.id}/posts`).send({ body: 'Pendant le redémarrage' }).expect(201);
    await recorder.waitFor((r) => r.client.socket.connected, 'the reconnection', 20_000);
    await recorder.reach(room, meanwhile.body.position, 20_000);
    const positions = recorder.raw.filter((e) => e.room === room).map((e) => e.position);
    expect(new Set(positions).size).toBe(positions.length);
    recorder.close();
  }, 60_000);
});
