import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import type { INestApplication } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import request from 'supertest';
import type { SqlDatabase } from '#ruche/projections';
import { READ_DB, type Clock } from '#ruche/platform';
import { SignInCommand, type SignedIn } from '#ruche/identity/nest';
import { createApp } from '../../apps/api/src/bootstrap.js';
import { loadConfiguration, type RucheConfig } from '../../apps/api/src/config/configuration.js';
import { freshEmail, startTestApp, type TestApp } from './support/test-app.js';

const run = promisify(execFile);

describe('identity', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp('sqlite');
  });
  afterAll(() => t?.close());

  it('tells the sign-in page that people sign in by e-mail here (AUTH_MODE=dev)', async () => {
    expect((await t.anonymous().get('/api/auth/mode').expect(200)).body).toEqual({ mode: 'dev' });
  });

  it('gives one user to concurrent first sign-ins of the same e-mail', async () => {
    const email = freshEmail('rush');
    const ids = await Promise.all(
      Array.from({ length: 8 }, async () => (await t.anonymous().post('/api/auth/dev-login').send({ email }).expect(200)).body.id as string),
    );
    expect(new Set(ids).size).toBe(1);
    const registered = await t.store.readStream(`user-${ids[0]}`);
    expect(registered.filter((e) => e.type === 'UserRegistered')).toHaveLength(1);
  });

  it('gives one user to one sign-in command run twice at once (the seed in two processes, a retried request)', async () => {
    const email = freshEmail('twice');
    const meta = { commandId: randomUUID(), correlationId: 'identity-e2e' };
    const commands = t.app.get(CommandBus);
    // The same command id appends the same EmailClaimed event id: the log takes the second as a
    // retry of the first and answers both as successes, while only the first one's user id is in it.
    const signedIn = await Promise.all([1, 2].map(() => commands.execute<SignInCommand, SignedIn>(new SignInCommand({ email }, meta))));
    expect(new Set(signedIn.map((s) => s.user.userId)).size).toBe(1);
    const registered = (await t.store.readAll({ fromPosition: 0, maxCount: 100_000 })).filter(
      (e) => e.type === 'UserRegistered' && (e.data as { email: string }).email === email,
    );
    expect(registered.map((e) => e.streamName)).toEqual([`user-${signedIn[0]!.user.userId}`]);
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
    const config = { ...t.config, authMode: 'oidc' as const, sqliteFile: `${t.config.sqliteFile}.oidc`, sqliteReadFile: `${t.config.sqliteReadFile}.oidc` };
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
    // dist/ is built once for the run by test/support/global-build.ts.
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

  describe('the session cookie', () => {
    const cookieOf = (response: request.Response): string => {
      const cookies = ([] as string[]).concat(response.headers['set-cookie'] ?? []);
      const session = cookies.find((c) => c.startsWith('ruche_session='));
      if (!session) throw new Error(`no session cookie in ${JSON.stringify(cookies)}`);
      return session;
    };

    it('is Secure when PUBLIC_URL is https, even outside production', async () => {
      await withApp({ PUBLIC_URL: 'https://ruche.ac-test.fr' }, async (app) => {
        const r = await request(app.getHttpServer()).post('/api/auth/dev-login').send({ email: freshEmail('https') }).expect(200);
        expect(cookieOf(r)).toMatch(/;\s*Secure/i);
        expect(cookieOf(r)).toMatch(/;\s*HttpOnly/i);
      });
    });

    it('is not Secure when PUBLIC_URL is http', async () => {
      await withApp({ PUBLIC_URL: 'http://localhost:3000' }, async (app) => {
        const r = await request(app.getHttpServer()).post('/api/auth/dev-login').send({ email: freshEmail('http') }).expect(200);
        expect(cookieOf(r)).not.toMatch(/Secure/i);
      });
    });
  });

  describe('session expiry (12 h)', () => {
    const HOUR = 60 * 60 * 1000;
    /**
     * A clock that only moves when told. It starts at the real time: the cookie's Expires comes from
     * this clock, and the test client's cookie jar drops cookies by the real one, so a fixed start
     * would fail the test whenever the real time is past start + 12 h.
     */
    const clock = { at: new Date(), now: (): Date => new Date(clock.at) } satisfies Clock & { at: Date };
    const advance = (ms: number): void => {
      clock.at = new Date(clock.at.getTime() + ms);
    };

    it('answers 401 past expiry, and the next sign-in sweeps the expired row', async () => {
      clock.at = new Date();
      await withApp({}, async (app) => {
        const db = app.get<SqlDatabase>(READ_DB);
        const server = app.getHttpServer();
        const early = request.agent(server);
        const signedIn = await early.post('/api/auth/dev-login').send({ email: freshEmail('early') }).expect(200);
        const userId = signedIn.body.id as string;
        const sessionsOf = async (id: string): Promise<number> =>
          Number((await db.queryOne<{ n: number | string }>('SELECT COUNT(*) AS n FROM sessions WHERE user_id = $1', [id]))?.n);

        advance(12 * HOUR - 1000);
        await early.get('/api/me').expect(200);
        advance(2000);
        const expired = await early.get('/api/me').expect(401);
        expect(expired.body.status).toBe(401);
        expect(await sessionsOf(userId)).toBe(1);

        const late = await request(server).post('/api/auth/dev-login').send({ email: freshEmail('late') }).expect(200);
        expect(await sessionsOf(userId)).toBe(0);
        expect(await sessionsOf(late.body.id as string)).toBe(1);
      }, { clock });
    });

    it("finds expired sessions for the sweep through an index on expires_at", async () => {
      await withApp({}, async (app) => {
        const plan = await app
          .get<SqlDatabase>(READ_DB)
          .query<{ detail: string }>('EXPLAIN QUERY PLAN DELETE FROM sessions WHERE expires_at < $1', [new Date().toISOString()]);
        expect(plan.map((row) => row.detail).join('\n')).toMatch(/USING (COVERING )?INDEX sessions_expires_at/);
      });
    });
  });
});

/** A separate app on its own SQLite file, with the given environment and options. */
async function withApp(
  env: Record<string, string>,
  use: (app: INestApplication, config: RucheConfig) => Promise<void>,
  options: { clock?: Clock } = {},
): Promise<void> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ruche-identity-'));
  const config = loadConfiguration({ NODE_ENV: 'test', DATA_DIR: dataDir, SEED: 'none', ...env });
  const app = await createApp(config, options);
  await app.init();
  try {
    await use(app, config);
  } finally {
    await app.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}
