/** What the identity module needs from the app's configuration. */
export interface AuthSettings {
  authMode: 'dev' | 'oidc';
  /** Session cookies marked Secure: the public URL is https (or COOKIE_SECURE says so). */
  secureCookies: boolean;
}

export const AUTH_SETTINGS = Symbol('AUTH_SETTINGS');
