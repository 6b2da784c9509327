import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import request from 'supertest';
import { createApp } from '../../apps/api/src/bootstrap.js';
import { loadConfiguration } from '../../apps/api/src/config/configuration.js';
import { freshEmail, startTestApp, type TestApp } from './support/test-app.js';

const run = promisify(execFile);

describe('identity', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp('sqlite');
  });
  afterAll(() => t?.close());

  it('gives one user to concurrent first sign-ins of the same e-mail', async () => {
    const email = freshEmail('rush');
    const ids = await Promise.all(
      Array.from({ length: 8 }, async () => (await t.anonymous().post('/api/auth/dev-login').send({ email }).expect(200)).body.id as string),
    );
    expect(new Set(ids).size).toBe(1);
    const registered = await t.store.readStream(`user-${ids[0]}`);
    expect(registered.filter((e) => e.type === 'UserRegistered')).toHaveLength(1);
  });

  it('updates claims on a later dev sign-in, as fresh claims from an identity provider would', async () => {
    const email = freshEmail('promoted');
    await t.signIn(email, { roles: ['enseignant'] });
    const again = await t.signIn(email, { roles: ['rrupn'], uai: '0061234x' });
    const me = await again.agent.get('/api/me').expect(200);
    expect(me.body).toMatchObject({ roles: ['rrupn'], uai: '0061234X' });
  });

  it('ignores a forged or expired session cookie', async () => {
    const forged = await t.anonymous().get('/api/me').set('Cookie', 'ruche_session=forged-token').expect(401);
    expect(forged.body.status).toBe(401);
  });

  it('answers dev-login with 404 when AUTH_MODE is not dev', async () => {
    const config = { ...t.config, authMode: 'oidc' as const, sqliteFile: `${t.config.sqliteFile}.oidc` };
    const app = await createApp(config);
    await app.init();
    try {
      const r = await request(app.getHttpServer()).post('/api/auth/dev-login').send({ email: freshEmail() });
      expect(r.status).toBe(404);
      expect(r.headers['content-type']).toMatch(/application\/problem\+json/);
    } finally {
      await app.close();
    }
  });

  it('refuses to start with AUTH_MODE=dev when NODE_ENV=production, with a clear message', async () => {
    await run('npm', ['run', '-s', 'build'], { cwd: process.cwd() });
    const failure = await run('node', ['dist/apps/api/src/main.js'], {
      cwd: process.cwd(),
      env: { ...process.env, NODE_ENV: 'production', AUTH_MODE: 'dev', PORT: '0' },
    }).then(
      () => undefined,
      (error: { code: number; stderr: string }) => error,
    );
    expect(failure?.code).toBe(78);
    expect(failure?.stderr).toMatch(/AUTH_MODE=dev .*refused when NODE_ENV=production/);
  }, 60_000);

  it('rejects configuration mistakes all at once at start', () => {
    expect(() => loadConfiguration({ PORT: '-1', SEED: 'maybe' })).toThrow(/PORT[\s\S]*SEED/);
  });
});
