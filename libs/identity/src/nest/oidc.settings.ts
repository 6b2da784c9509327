import type { ClaimsMapping } from './oidc.claims.js';

/** What the OpenID Connect sign-in needs from the app's configuration. */
export interface OidcSettings {
  issuer: string;
  clientId: string;
  clientSecret: string;
  claims: ClaimsMapping;
  /** The origin browsers use: the redirect URI is `<publicUrl>/api/auth/oidc/callback`. */
  publicUrl: string;
  secureCookies: boolean;
}

export const OIDC_SETTINGS = Symbol('OIDC_SETTINGS');

/** The cookie binding a sign-in in progress to the browser that started it. */
export const OIDC_LOGIN_COOKIE = 'ruche_oidc';

/** How long a browser may stay at the identity provider before the callback is refused. */
export const OIDC_LOGIN_TTL_MS = 10 * 60 * 1000;

export function redirectUri(settings: Pick<OidcSettings, 'publicUrl'>): string {
  return `${settings.publicUrl}/api/auth/oidc/callback`;
}
