/** What the identity module needs from the app's configuration. */
export interface AuthSettings {
  authMode: 'dev' | 'oidc';
  /** Cookies marked Secure (behind HTTPS in production). */
  secureCookies: boolean;
}

export const AUTH_SETTINGS = Symbol('AUTH_SETTINGS');
