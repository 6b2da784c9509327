import request from 'supertest';
import { CommandBus } from '@nestjs/cqrs';
import type { SqlDatabase } from '#ruche/projections';
import { READ_DB } from '#ruche/platform';
import { SignInCommand } from '#ruche/identity/nest';
import { startTestProvider, type TestAccount, type TestProvider } from './support/oidc-test-provider.js';
import { startTestApp, storeKinds, type TestApp } from './support/test-app.js';

/** The origin Ruche is configured with; the provider sends browsers back there. */
const PUBLIC_URL = 'http://127.0.0.1:39117';
const kinds = await storeKinds();

describe.each(kinds)('OpenID Connect sign-in against a real provider (%s)', (kind) => {
  let provider: TestProvider;
  let t: TestApp;
  let db: SqlDatabase;
  let accounts = 0;

  beforeAll(async () => {
    provider = await startTestProvider({ redirectUri: `${PUBLIC_URL}/api/auth/oidc/callback`, postLogoutRedirectUri: `${PUBLIC_URL}/` });
    t = await startTestApp(kind, {
      AUTH_MODE: 'oidc',
      OIDC_ISSUER: provider.issuer,
      OIDC_CLIENT_ID: provider.clientId,
      OIDC_CLIENT_SECRET: provider.clientSecret,
      PUBLIC_URL,
    });
    db = t.app.get<SqlDatabase>(READ_DB);
  }, 60_000);

  afterAll(async () => {
    await t?.close();
    await provider?.close();
  });

  function account(overrides: Partial<TestAccount> = {}): TestAccount {
    accounts += 1;
    return {
      sub: `agent-${kind}-${accounts}-${Date.now().toString(36)}`,
      email: `agent${accounts}.${Date.now().toString(36)}@ac-test.fr`,
      given_name: 'Camille',
      usual_name: 'Martin',
      uid: `cmartin${accounts}`,
      ...overrides,
    };
  }

  const sessionCount = async (): Promise<number> => (await db.queryOne<{ n: number }>('SELECT COUNT(*) AS n FROM sessions'))!.n;

  /** Starts a sign-in at Ruche: answers the provider's authorization URL (the agent keeps the binding cookie). */
  async function begin(agent: request.Agent, returnTo = '/espaces'): Promise<URL> {
    const response = await agent.get(`/api/auth/oidc/login?returnTo=${encodeURIComponent(returnTo)}`);
    expect(response.status).toBe(302);
    const location = new URL(response.headers.location as string);
    expect(location.origin).toBe(provider.issuer);
    return location;
  }

  /** The provider's redirect back to Ruche, as a path for the test client. */
  const pathOf = (url: URL): string => `${url.pathname}${url.search}`;

  const sessionCookieSet = (response: request.Response): boolean =>
    ((response.headers['set-cookie'] as unknown as string[] | undefined) ?? []).some((line) => line.startsWith('ruche_session=') && !line.startsWith('ruche_session=;'));

  /** A refusal: the status, a problem naming why, no session cookie, no session row, still signed out. */
  async function expectRefused(agent: request.Agent, response: request.Response, status: number, detail: RegExp, sessionsBefore: number): Promise<void> {
    expect({ status: response.status, type: response.headers['content-type'] }).toEqual({ status, type: expect.stringContaining('application/problem+json') });
    expect(response.body.detail).toMatch(detail);
    expect(sessionCookieSet(response)).toBe(false);
    expect(await sessionCount()).toBe(sessionsBefore);
    expect((await agent.get('/api/me')).status).toBe(401);
  }

  it('tells the sign-in page that people sign in through the identity provider, and refuses the dev sign-in', async () => {
    expect((await t.anonymous().get('/api/auth/mode').expect(200)).body).toEqual({ mode: 'oidc' });
    await t.anonymous().post('/api/auth/dev-login').send({ email: 'someone@ac-test.fr' }).expect(404);
  });

  it('signs a person in: PKCE, state and nonce sent, claims from the signed userinfo (ProConnect preset), session set, back where they started', async () => {
    const person = account();
    provider.signInAs(person);
    const agent = t.anonymous();
    const authorize = await begin(agent, '/espaces/mine?x=1');
    const params = authorize.searchParams;
    expect({
      response_type: params.get('response_type'),
      client_id: params.get('client_id'),
      redirect_uri: params.get('redirect_uri'),
      code_challenge_method: params.get('code_challenge_method'),
      scope: params.get('scope'),
    }).toEqual({
      response_type: 'code',
      client_id: provider.clientId,
      redirect_uri: `${PUBLIC_URL}/api/auth/oidc/callback`,
      code_challenge_method: 'S256',
      scope: 'openid email given_name usual_name uid siret',
    });
    expect(params.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(params.get('state')).toMatch(/^[A-Za-z0-9_-]{20,}$/);
    expect(params.get('nonce')).toMatch(/^[A-Za-z0-9_-]{20,}$/);

    const back = await provider.browse(authorize.href, PUBLIC_URL);
    expect(back.pathname).toBe('/api/auth/oidc/callback');
    const before = await sessionCount();
    const callback = await agent.get(pathOf(back));
    expect(callback.status).toBe(302);
    expect(callback.headers.location).toBe('/espaces/mine?x=1');
    expect(sessionCookieSet(callback)).toBe(true);
    expect(await sessionCount()).toBe(before + 1);
    const me = await agent.get('/api/me');
    expect(me.status).toBe(200);
    expect(me.body).toEqual({ id: expect.any(String), email: person.email, displayName: 'Camille Martin', roles: ['enseignant'] });

    // The same callback again (a replay) finds no sign-in in progress, with or without the cookie.
    const sessions = await sessionCount();
    await expectRefused(t.anonymous(), await t.anonymous().get(pathOf(back)), 400, /unknown, expired or already used/, sessions);
    const replay = await agent.get(pathOf(back));
    expect(replay.status).toBe(400);
    expect(await sessionCount()).toBe(sessions);
  });

  it('keys users by (issuer, sub): a first OIDC sign-in links the existing user of its e-mail; a later e-mail change at the provider keeps the user', async () => {
    const person = account({ given_name: 'Dominique', usual_name: 'Bernard' });
    // The user exists already, as an invitation (or a dev-mode sign-in) made them.
    const existing = await t.app.get(CommandBus).execute(new SignInCommand({ email: person.email, displayName: 'D. Bernard' }, { commandId: crypto.randomUUID(), correlationId: 'test' }));
    provider.signInAs(person);
    const agent = t.anonymous();
    const back = await provider.browse((await begin(agent)).href, PUBLIC_URL);
    expect((await agent.get(pathOf(back))).status).toBe(302);
    const me = await agent.get('/api/me');
    expect(me.body).toMatchObject({ id: existing.user.userId, email: person.email, displayName: 'Dominique Bernard' });

    provider.signInAs({ ...person, email: `renamed.${person.email}` });
    const again = t.anonymous();
    const backAgain = await provider.browse((await begin(again)).href, PUBLIC_URL);
    expect((await again.get(pathOf(backAgain))).status).toBe(302);
    expect((await again.get('/api/me')).body.id).toBe(existing.user.userId);
  });

  it('refuses a callback whose state is not the one this browser started with', async () => {
    provider.signInAs(account());
    const agent = t.anonymous();
    const back = await provider.browse((await begin(agent)).href, PUBLIC_URL);
    back.searchParams.set('state', 'forged-state-value-0123456789');
    const before = await sessionCount();
    await expectRefused(agent, await agent.get(pathOf(back)), 400, /state/, before);
  });

  it('refuses a callback from another browser (no sign-in started there): login CSRF', async () => {
    provider.signInAs(account());
    const victim = t.anonymous();
    const back = await provider.browse((await begin(t.anonymous())).href, PUBLIC_URL);
    const before = await sessionCount();
    await expectRefused(victim, await victim.get(pathOf(back)), 400, /unknown, expired or already used/, before);
  });

  it('refuses an ID token carrying another nonce (a code obtained for another sign-in)', async () => {
    provider.signInAs(account());
    const agent = t.anonymous();
    const authorize = await begin(agent);
    authorize.searchParams.set('nonce', 'a-nonce-ruche-never-sent-0123456789');
    const back = await provider.browse(authorize.href, PUBLIC_URL);
    const before = await sessionCount();
    await expectRefused(agent, await agent.get(pathOf(back)), 401, /nonce/, before);
  });

  it('refuses an ID token issued for another audience', async () => {
    provider.signInAs(account());
    const agent = t.anonymous();
    const back = await provider.browse((await begin(agent)).href, PUBLIC_URL);
    provider.tamperNextIdToken((claims) => ({ ...claims, aud: 'another-application' }));
    const before = await sessionCount();
    await expectRefused(agent, await agent.get(pathOf(back)), 401, /aud/, before);
  });

  it('refuses an expired ID token', async () => {
    provider.signInAs(account());
    const agent = t.anonymous();
    const back = await provider.browse((await begin(agent)).href, PUBLIC_URL);
    const now = Math.floor(Date.now() / 1000);
    provider.tamperNextIdToken((claims) => ({ ...claims, iat: now - 7200, exp: now - 3600 }));
    const before = await sessionCount();
    await expectRefused(agent, await agent.get(pathOf(back)), 401, /exp/, before);
  });

  it('refuses an ID token from an unknown issuer, and a callback naming another issuer', async () => {
    provider.signInAs(account());
    const agent = t.anonymous();
    const back = await provider.browse((await begin(agent)).href, PUBLIC_URL);
    provider.tamperNextIdToken((claims) => ({ ...claims, iss: 'https://idp.elsewhere.example' }));
    const before = await sessionCount();
    await expectRefused(agent, await agent.get(pathOf(back)), 401, /iss/, before);

    provider.signInAs(account());
    const other = t.anonymous();
    const backOther = await provider.browse((await begin(other)).href, PUBLIC_URL);
    backOther.searchParams.set('iss', 'https://idp.elsewhere.example');
    await expectRefused(other, await other.get(pathOf(backOther)), 401, /iss/, before);
  });

  it('refuses a callback carrying the provider\'s error (the person cancelled)', async () => {
    const agent = t.anonymous();
    const authorize = await begin(agent);
    const state = authorize.searchParams.get('state')!;
    const before = await sessionCount();
    const response = await agent.get(`/api/auth/oidc/callback?error=access_denied&state=${state}&iss=${encodeURIComponent(provider.issuer)}`);
    await expectRefused(agent, response, 401, /access_denied/, before);
  });

  it('logs out here and at the provider (RP-initiated logout with the ID token as hint)', async () => {
    provider.signInAs(account());
    const agent = t.anonymous();
    const back = await provider.browse((await begin(agent)).href, PUBLIC_URL);
    expect((await agent.get(pathOf(back))).status).toBe(302);
    const before = await sessionCount();

    const logout = await agent.post('/api/auth/oidc/logout').set('Accept', 'application/json');
    expect(logout.status).toBe(200);
    const endSession = new URL(logout.body.redirectTo as string);
    expect(endSession.origin).toBe(provider.issuer);
    expect(endSession.searchParams.get('post_logout_redirect_uri')).toBe(`${PUBLIC_URL}/`);
    expect(endSession.searchParams.get('id_token_hint')).toMatch(/^ey/);
    expect(await sessionCount()).toBe(before - 1);
    expect((await agent.get('/api/me')).status).toBe(401);
    // The provider accepts the hint and asks the person to confirm (its own logout page).
    const atProvider = await fetch(endSession, { redirect: 'manual' });
    expect(atProvider.status).toBe(200);
    expect(await atProvider.text()).toContain('logout');

    // A browser form gets a redirect.
    const form = await t.anonymous().post('/api/auth/oidc/logout').set('Accept', 'text/html');
    expect(form.status).toBe(303);
    expect(new URL(form.headers.location as string).origin).toBe(provider.issuer);
  });

  it('has no dev sign-in in this mode', async () => {
    const response = await t.anonymous().post('/api/auth/dev-login').send({ email: 'someone@ac-test.fr' });
    expect(response.status).toBe(404);
  });
});
