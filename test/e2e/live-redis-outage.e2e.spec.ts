import { LIVE_REDIS } from '../../apps/api/src/live/live.tokens.js';
import type { LiveRedis } from '../../apps/api/src/live/live-redis.js';
import { freshEmail, startTestApp, type TestApp } from './support/test-app.js';
import { Recorder, signInPerson, until } from './support/live-clients.js';
import { redisReachable, redisUrl } from './support/processes.js';

/**
 * Redis away while a process runs (REDIS_URL set): the socket.io Redis adapter publishes without
 * waiting for the answer, so a failed PUBLISH used to reject with nobody listening, and Node stops
 * a process on an unhandled rejection. A logout must still disconnect this process's own sockets.
 * One process is enough; the embedded store suffices.
 */
const runnable = await redisReachable('the Redis outage test of the live gateway');

(runnable ? describe : describe.skip)('live gateway with Redis away (sqlite + Redis)', () => {
  let t: TestApp;
  let url: string;
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);
  const recorders: Recorder[] = [];

  beforeAll(async () => {
    t = await startTestApp('sqlite', { REDIS_URL: redisUrl });
    url = await t.listen();
    process.on('unhandledRejection', onUnhandled);
  }, 30_000);
  afterEach(() => {
    for (const recorder of recorders.splice(0)) recorder.close();
  });
  afterAll(async () => {
    process.off('unhandledRejection', onUnhandled);
    await t?.close();
  });

  it('disconnects the sockets of a session that ends on this process, and nothing rejects unhandled', async () => {
    const person = await signInPerson(url, freshEmail('outage'), { displayName: 'Paule Panne' });
    const other = await signInPerson(url, freshEmail('outage-other'), { displayName: 'Oscar Reste' });
    const leaving = await Recorder.connect(url, person, { origin: t.config.publicUrl });
    const staying = await Recorder.connect(url, other, { origin: t.config.publicUrl });
    recorders.push(leaving, staying);
    let disconnected = false;
    leaving.client.socket.on('disconnect', () => (disconnected = true));

    // The publishing connection goes away for good (no reconnection): every PUBLISH now fails.
    const redis = t.app.get<LiveRedis>(LIVE_REDIS);
    redis.pub.disconnect();
    await until(() => redis.pub.status === 'end', 5000, 'the publishing connection to close');

    await person.http.post('/api/auth/logout').expect(204);
    await until(() => disconnected, 5000, 'the socket of the ended session to be disconnected');
    expect(staying.client.socket.connected).toBe(true);
    // A failed PUBLISH rejects on a later turn: give it a few, then look.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(unhandled.map((reason) => String(reason))).toEqual([]);
  });
});
