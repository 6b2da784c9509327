import { createHash, randomBytes } from 'node:crypto';
import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { createTablesOnce, type SqlDatabase } from '#ruche/projections';
import { CLOCK, READ_DB, type Clock } from '#ruche/platform';

export const SESSION_COOKIE = 'ruche_session';
const SESSION_TTL_MS = 12 * 60 * 60 * 1000;

export interface SessionRecord {
  userId: string;
  /** Log position of the sign-in's writes: the user read model is waited for up to it. */
  position: number;
  expiresAt: string;
}

/**
 * Server-side sessions in the read database. Sessions are technical state, not domain facts,
 * so they are not event-sourced. Only a hash of the token is stored: a leaked table opens
 * no session.
 */
@Injectable()
export class SessionStore implements OnModuleInit {
  constructor(
    @Inject(READ_DB) private readonly db: SqlDatabase,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async onModuleInit(): Promise<void> {
    await createTablesOnce(this.db, [
      `CREATE TABLE IF NOT EXISTS sessions (
         token_hash TEXT PRIMARY KEY,
         user_id TEXT NOT NULL,
         position BIGINT NOT NULL,
         created_at TEXT NOT NULL,
         expires_at TEXT NOT NULL
       )`,
      // The sweep at each sign-in looks expired rows up by expires_at, not by scanning the table.
      'CREATE INDEX IF NOT EXISTS sessions_expires_at ON sessions (expires_at)',
    ]);
  }

  /** A new session id at each sign-in (no fixation). Returns the token for the cookie. */
  async create(userId: string, position: number): Promise<{ token: string; expiresAt: Date }> {
    const token = randomBytes(32).toString('base64url');
    const now = this.clock.now();
    const expiresAt = new Date(now.getTime() + SESSION_TTL_MS);
    await this.db.execute(
      'INSERT INTO sessions (token_hash, user_id, position, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)',
      [hashToken(token), userId, position, now.toISOString(), expiresAt.toISOString()],
    );
    // Expired sessions are swept at sign-in: cheap, and no timer to manage.
    await this.db.execute('DELETE FROM sessions WHERE expires_at < $1', [now.toISOString()]);
    return { token, expiresAt };
  }

  async find(token: string): Promise<(SessionRecord & { sessionId: string }) | undefined> {
    const row = await this.db.queryOne<{ user_id: string; position: number | string; expires_at: string; token_hash: string }>(
      'SELECT token_hash, user_id, position, expires_at FROM sessions WHERE token_hash = $1',
      [hashToken(token)],
    );
    if (!row || row.expires_at < this.clock.now().toISOString()) return undefined;
    return { sessionId: row.token_hash, userId: row.user_id, position: Number(row.position), expiresAt: row.expires_at };
  }

  async delete(token: string): Promise<void> {
    await this.db.execute('DELETE FROM sessions WHERE token_hash = $1', [hashToken(token)]);
  }
}

function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}
