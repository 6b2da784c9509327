import { createHash, randomBytes } from 'node:crypto';
import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { createTablesOnce, type SqlDatabase } from '#ruche/projections';
import { CLOCK, READ_DB, type Clock } from '#ruche/platform';
import { OIDC_LOGIN_TTL_MS } from './oidc.settings.js';

/** A sign-in started at the identity provider: what the callback must find again. */
export interface PendingLogin {
  state: string;
  nonce: string;
  codeVerifier: string;
  returnTo: string;
}

/**
 * Technical state of the OpenID Connect flow, in the read database so that every API process
 * sees it: sign-ins in progress (keyed by the hash of a random cookie value, so the callback
 * must come back to the browser that started it, and used once), and the ID token of each OIDC
 * session (the `id_token_hint` of RP-initiated logout).
 */
@Injectable()
export class OidcStore implements OnModuleInit {
  constructor(
    @Inject(READ_DB) private readonly db: SqlDatabase,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async onModuleInit(): Promise<void> {
    await createTablesOnce(this.db, [
      `CREATE TABLE IF NOT EXISTS oidc_logins (
         binding_hash TEXT PRIMARY KEY,
         state TEXT NOT NULL,
         nonce TEXT NOT NULL,
         code_verifier TEXT NOT NULL,
         return_to TEXT NOT NULL,
         expires_at TEXT NOT NULL
       )`,
      'CREATE INDEX IF NOT EXISTS oidc_logins_expires_at ON oidc_logins (expires_at)',
      `CREATE TABLE IF NOT EXISTS oidc_sessions (
         session_id TEXT PRIMARY KEY,
         id_token TEXT NOT NULL,
         expires_at TEXT NOT NULL
       )`,
      'CREATE INDEX IF NOT EXISTS oidc_sessions_expires_at ON oidc_sessions (expires_at)',
    ]);
  }

  /** Records a sign-in in progress; returns the cookie value that binds it to this browser. */
  async start(login: PendingLogin): Promise<{ binding: string; expiresAt: Date }> {
    const binding = randomBytes(32).toString('base64url');
    const now = this.clock.now();
    const expiresAt = new Date(now.getTime() + OIDC_LOGIN_TTL_MS);
    await this.db.execute('DELETE FROM oidc_logins WHERE expires_at < $1', [now.toISOString()]);
    await this.db.execute(
      'INSERT INTO oidc_logins (binding_hash, state, nonce, code_verifier, return_to, expires_at) VALUES ($1, $2, $3, $4, $5, $6)',
      [hash(binding), login.state, login.nonce, login.codeVerifier, login.returnTo, expiresAt.toISOString()],
    );
    return { binding, expiresAt };
  }

  /** Takes the sign-in in progress of this cookie value, once: a replayed callback finds nothing. */
  async take(binding: string): Promise<PendingLogin | undefined> {
    const row = await this.db.queryOne<{ state: string; nonce: string; code_verifier: string; return_to: string; expires_at: string }>(
      'DELETE FROM oidc_logins WHERE binding_hash = $1 RETURNING state, nonce, code_verifier, return_to, expires_at',
      [hash(binding)],
    );
    if (!row || row.expires_at < this.clock.now().toISOString()) return undefined;
    return { state: row.state, nonce: row.nonce, codeVerifier: row.code_verifier, returnTo: row.return_to };
  }

  async rememberIdToken(sessionId: string, idToken: string, expiresAt: Date): Promise<void> {
    await this.db.execute('DELETE FROM oidc_sessions WHERE expires_at < $1', [this.clock.now().toISOString()]);
    await this.db.execute('INSERT INTO oidc_sessions (session_id, id_token, expires_at) VALUES ($1, $2, $3)', [sessionId, idToken, expiresAt.toISOString()]);
  }

  /** The session's ID token, forgotten as it is read (the session ends with it). */
  async forgetIdToken(sessionId: string): Promise<string | undefined> {
    const row = await this.db.queryOne<{ id_token: string }>('DELETE FROM oidc_sessions WHERE session_id = $1 RETURNING id_token', [sessionId]);
    return row?.id_token;
  }
}

function hash(value: string): string {
  return createHash('sha256').update(value).digest('hex');
}

/** The session id SessionStore keys sessions by (the SHA-256 of the cookie's token). */
export function sessionIdOfToken(token: string): string {
  return hash(token);
}
