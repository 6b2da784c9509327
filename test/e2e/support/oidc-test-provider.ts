import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider, { type Configuration } from 'oidc-provider';

/** A person known to the test provider: their subject and the claims it asserts. */
export interface TestAccount {
  sub: string;
  email: string;
  given_name?: string;
  usual_name?: string;
  uid?: string;
  [claim: string]: unknown;
}

export interface TestProvider {
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** Who logs in at the provider from now on, in a browser of their own (the test plays them at the login form). */
  signInAs(account: TestAccount): void;
  /**
   * Rewrites the claims of the next ID token the token endpoint answers, signed again with the
   * provider's own key: a token only the relying party's checks can catch (audience, expiry…).
   */
  tamperNextIdToken(change: (claims: Record<string, unknown>) => Record<string, unknown>): void;
  /**
   * Follows redirects from `url` through the provider (login and consent done on the person's
   * behalf) until one leaves for `stopAtOrigin`; answers that URL.
   */
  browse(url: string, stopAtOrigin: string): Promise<URL>;
  close(): Promise<void>;
}

function base64url(value: Buffer | string): string {
  return Buffer.from(value).toString('base64url');
}

function resign(jwt: string, key: KeyObject, kid: string, change: (claims: Record<string, unknown>) => Record<string, unknown>): string {
  const [, payload] = jwt.split('.');
  const claims = change(JSON.parse(Buffer.from(payload!, 'base64url').toString('utf8')) as Record<string, unknown>);
  const input = `${base64url(JSON.stringify({ alg: 'RS256', typ: 'JWT', kid }))}.${base64url(JSON.stringify(claims))}`;
  return `${input}.${base64url(sign('sha256', Buffer.from(input), key))}`;
}

/**
 * A real OpenID Connect provider (`oidc-provider`) on loopback, shaped like ProConnect: claims
 * `email`, `given_name`, `usual_name`, `uid`, `siret` as scopes, given only by a signed userinfo
 * answer; PKCE required; RP-initiated logout. One confidential client, Ruche.
 */
export async function startTestProvider(options: { redirectUri: string; postLogoutRedirectUri: string; clientId?: string }): Promise<TestProvider> {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const kid = 'test-key-1';
  const jwk = { ...privateKey.export({ format: 'jwk' }), kid, use: 'sig', alg: 'RS256' };
  const clientId = options.clientId ?? 'ruche-test';
  const clientSecret = 'a-client-secret-long-enough-for-hs256-0123456789';
  const accounts = new Map<string, TestAccount>();
  let current: TestAccount | undefined;
  let tamper: ((claims: Record<string, unknown>) => Record<string, unknown>) | undefined;

  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const configuration: Configuration = {
    clients: [
      {
        client_id: clientId,
        client_secret: clientSecret,
        redirect_uris: [options.redirectUri],
        post_logout_redirect_uris: [options.postLogoutRedirectUri],
        grant_types: ['authorization_code'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_basic',
        id_token_signed_response_alg: 'RS256',
        userinfo_signed_response_alg: 'RS256',
      },
    ],
    jwks: { keys: [jwk as never] },
    cookies: { keys: ['cookie-key-for-tests-only'] },
    pkce: { required: () => true },
    claims: {
      openid: ['sub'],
      email: ['email', 'email_verified'],
      given_name: ['given_name'],
      usual_name: ['usual_name'],
      uid: ['uid'],
      siret: ['siret'],
      roles: ['ruche_roles', 'rne'],
    },
    features: {
      devInteractions: { enabled: false },
      jwtUserinfo: { enabled: true },
      rpInitiatedLogout: { enabled: true },
    },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    findAccount: async (_ctx, sub) => {
      const account = accounts.get(sub);
      if (!account) return undefined;
      return { accountId: sub, claims: async () => ({ ...account, email_verified: true }) };
    },
    ttl: { AccessToken: 600, AuthorizationCode: 60, IdToken: 600, Interaction: 600, Session: 3600, Grant: 3600 },
    renderError: async (ctx, out) => {
      ctx.type = 'json';
      ctx.body = out;
    },
  };
  const provider = new Provider(issuer, configuration);
  provider.use(async (ctx, next) => {
    await next();
    const body = ctx.body as { id_token?: unknown } | undefined;
    if (ctx.path === '/token' && tamper && body && typeof body.id_token === 'string') {
      const change = tamper;
      tamper = undefined;
      ctx.body = { ...body, id_token: resign(body.id_token, privateKey, kid, change) };
    }
  });
  const callback = provider.callback();

  server.on('request', (req, res) => {
    if (!req.url?.startsWith('/interaction/')) return void callback(req, res);
    void (async () => {
      const details = await provider.interactionDetails(req, res);
      if (details.prompt.name === 'login') {
        if (!current) throw new Error('signInAs() was not called');
        accounts.set(current.sub, current);
        await provider.interactionFinished(req, res, { login: { accountId: current.sub } }, { mergeWithLastSubmission: false });
        return;
      }
      const grant = details.grantId
        ? (await provider.Grant.find(details.grantId))!
        : new provider.Grant({ accountId: details.session!.accountId, clientId: details.params.client_id as string });
      const missing = details.prompt.details as { missingOIDCScope?: string[]; missingOIDCClaims?: string[] };
      if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
      if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
      const grantId = await grant.save();
      await provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
    })().catch((error: Error) => {
      res.statusCode = 500;
      res.end(error.message);
    });
  });

  const cookies = new Map<string, string>();
  return {
    issuer,
    clientId,
    clientSecret,
    signInAs: (account) => {
      current = account;
      // Another person, another browser: no single sign-on from the previous one's provider session.
      cookies.clear();
    },
    tamperNextIdToken: (change) => void (tamper = change),
    async browse(start, stopAtOrigin) {
      let url = new URL(start);
      for (let hop = 0; hop < 20; hop++) {
        if (url.origin === stopAtOrigin) return url;
        const cookie = [...cookies].map(([name, value]) => `${name}=${value}`).join('; ');
        const response = await fetch(url, { redirect: 'manual', headers: cookie ? { cookie } : {} });
        for (const line of response.headers.getSetCookie()) {
          const [pair] = line.split(';');
          const index = pair!.indexOf('=');
          const name = pair!.slice(0, index);
          const value = pair!.slice(index + 1);
          if (value === '' || /expires=Thu, 01 Jan 1970/i.test(line)) cookies.delete(name);
          else cookies.set(name, value);
        }
        const location = response.headers.get('location');
        if (!location) throw new Error(`The provider answered ${response.status} at ${url.pathname} without a redirect: ${await response.text()}`);
        await response.arrayBuffer();
        url = new URL(location, url);
      }
      throw new Error('Too many redirects at the provider');
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
