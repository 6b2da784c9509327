import { Inject, Injectable } from '@nestjs/common';
import * as oidc from 'openid-client';
import { OIDC_SETTINGS, redirectUri, type OidcSettings } from './oidc.settings.js';
import type { PendingLogin } from './oidc.store.js';

/** What a checked callback proved: who the provider says this is, and what it claims. */
export interface OidcIdentity {
  issuer: string;
  subject: string;
  claims: Record<string, unknown>;
  idToken: string;
}

/** The provider's answer failed a check (state, nonce, audience, issuer, expiry, signature…). */
export class OidcRefusal extends Error {
  constructor(
    message: string,
    /** 400: the callback request itself is wrong; 401: what the provider answered does not hold. */
    readonly status: 400 | 401,
    /** The library's code (e.g. OAUTH_JWT_CLAIM_COMPARISON_FAILED), for the audit trail. */
    readonly code?: string,
  ) {
    super(message);
  }
}

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * The relying party, on openid-client 6: discovery from the issuer (once, retried after a
 * failure), authorization URLs with PKCE (S256), state and nonce, and the checks of the
 * callback: state, the `iss` response parameter when the provider supports it, the code
 * exchange with the verifier, and the ID token's signature (the provider's JWKS), issuer,
 * audience (and `azp`), expiry, issue time and nonce. Claims come from the ID token, and from
 * the userinfo endpoint (signed when the mapping says so) when the mapping asks for them.
 */
@Injectable()
export class OidcClient {
  private configuration: Promise<oidc.Configuration> | undefined;

  constructor(@Inject(OIDC_SETTINGS) private readonly settings: OidcSettings) {}

  /** The provider's configuration, discovered at first use. */
  config(): Promise<oidc.Configuration> {
    this.configuration ??= this.discover().catch((error: unknown) => {
      this.configuration = undefined;
      throw error;
    });
    return this.configuration;
  }

  async authorizationUrl(): Promise<{ url: URL; pending: Omit<PendingLogin, 'returnTo'> }> {
    const config = await this.config();
    const codeVerifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const nonce = oidc.randomNonce();
    const url = oidc.buildAuthorizationUrl(config, {
      ...this.settings.claims.authorizationParams,
      redirect_uri: redirectUri(this.settings),
      response_type: 'code',
      scope: scopeOf(this.settings.claims.scope),
      code_challenge: await oidc.calculatePKCECodeChallenge(codeVerifier),
      code_challenge_method: 'S256',
      state,
      nonce,
    });
    return { url, pending: { state, nonce, codeVerifier } };
  }

  /** Checks the callback (its full URL as the provider redirected to it) against the login it ends. */
  async complete(callbackUrl: URL, pending: PendingLogin): Promise<OidcIdentity> {
    const config = await this.config();
    let tokens: Awaited<ReturnType<typeof oidc.authorizationCodeGrant>>;
    try {
      tokens = await oidc.authorizationCodeGrant(config, callbackUrl, {
        pkceCodeVerifier: pending.codeVerifier,
        expectedState: pending.state,
        expectedNonce: pending.nonce,
        idTokenExpected: true,
      });
    } catch (error) {
      throw refusal(error);
    }
    const idClaims = tokens.claims();
    if (!idClaims || !tokens.id_token) throw new OidcRefusal('The identity provider sent no ID token', 401);
    let claims: Record<string, unknown> = { ...idClaims };
    if (this.settings.claims.userinfo) {
      try {
        const userinfo = await oidc.fetchUserInfo(config, tokens.access_token, idClaims.sub);
        claims = { ...claims, ...userinfo };
      } catch (error) {
        throw refusal(error);
      }
    }
    return { issuer: idClaims.iss, subject: idClaims.sub, claims, idToken: tokens.id_token };
  }

  /** Where to send the browser to end its session at the provider too (RP-initiated logout). */
  async endSessionUrl(idToken: string | undefined): Promise<URL | undefined> {
    const config = await this.config();
    if (!config.serverMetadata().end_session_endpoint) return undefined;
    return oidc.buildEndSessionUrl(config, {
      post_logout_redirect_uri: `${this.settings.publicUrl}/`,
      client_id: this.settings.clientId,
      ...(idToken ? { id_token_hint: idToken } : {}),
    });
  }

  private async discover(): Promise<oidc.Configuration> {
    const issuer = new URL(this.settings.issuer);
    const { claims } = this.settings;
    const metadata: Partial<oidc.ClientMetadata> = {
      client_secret: this.settings.clientSecret,
      ...(claims.idTokenSignedResponseAlg ? { id_token_signed_response_alg: claims.idTokenSignedResponseAlg } : {}),
      ...(claims.userinfoSignedResponseAlg ? { userinfo_signed_response_alg: claims.userinfoSignedResponseAlg } : {}),
    };
    // Plain http only for a provider on this machine (tests, a local Keycloak): config refuses it elsewhere.
    const insecure = issuer.protocol === 'http:' && LOOPBACK.has(issuer.hostname);
    return oidc.discovery(issuer, this.settings.clientId, metadata, oidc.ClientSecretBasic(this.settings.clientSecret), {
      ...(insecure ? { execute: [oidc.allowInsecureRequests] } : {}),
      timeout: 10,
    });
  }
}

function scopeOf(scope: string): string {
  const scopes = scope.split(' ');
  return (scopes.includes('openid') ? scopes : ['openid', ...scopes]).join(' ');
}

/** openid-client's errors, as a refusal that says why without echoing tokens. */
function refusal(error: unknown): OidcRefusal {
  if (error instanceof OidcRefusal) return error;
  const code = (error as { code?: unknown }).code;
  // openid-client wraps oauth4webapi's error, whose message names the claim that failed.
  const cause = error instanceof Error && error.cause instanceof Error ? error.cause.message : undefined;
  const message = error instanceof Error ? (cause && cause !== error.message ? `${cause} (${error.message})` : error.message) : String(error);
  if (error instanceof oidc.AuthorizationResponseError) {
    return new OidcRefusal(`The identity provider refused the sign-in: ${error.error}`, 401, error.error);
  }
  if (error instanceof oidc.ResponseBodyError) {
    return new OidcRefusal(`The identity provider refused the code: ${error.error}`, 401, error.error);
  }
  return new OidcRefusal(`The identity provider's answer failed a check: ${message}`, 401, typeof code === 'string' ? code : undefined);
}
