import { createHash } from 'node:crypto';
import { Inject, Injectable, Optional, type NestMiddleware, type OnModuleInit } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { createTablesOnce, type SqlDatabase } from '#ruche/projections';
import { CLOCK, READ_DB, SECURITY_AUDIT, type Clock, type SecurityAudit } from '#ruche/platform';
import { SESSION_COOKIE, SessionStore } from '#ruche/identity/nest';
import { RUCHE_CONFIG, type RucheConfig } from '../config/configuration.js';

/** A session's last use is written at most this often: idle times are exact to this much. */
const TOUCH_EVERY_MS = 60_000;
const SWEEP_EVERY_TOUCHES = 500;

/**
 * Idle and absolute session timeouts, before the AuthGuard looks at the session: a session unused
 * for SESSION_IDLE_MINUTES, or older than SESSION_ABSOLUTE_MINUTES, is deleted (the request goes
 * on signed out: 401 where a session is needed) and recorded as SessionExpired. Last uses live in
 * `session_activity` beside SessionStore's `sessions` table (whose created_at it reads).
 */
@Injectable()
export class SessionTimeoutMiddleware implements NestMiddleware, OnModuleInit {
  private touches = 0;
  /** Middleware may be instantiated more than once: the table is created once per database. */
  private static readonly tables = new WeakMap<SqlDatabase, Promise<unknown>>();

  constructor(
    @Inject(READ_DB) private readonly db: SqlDatabase,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(RUCHE_CONFIG) private readonly config: RucheConfig,
    private readonly sessions: SessionStore,
    @Optional() @Inject(SECURITY_AUDIT) private readonly audit?: SecurityAudit,
  ) {}

  async onModuleInit(): Promise<void> {
    await this.table();
  }

  private table(): Promise<unknown> {
    let ready = SessionTimeoutMiddleware.tables.get(this.db);
    if (!ready) {
      ready = createTablesOnce(this.db, ['CREATE TABLE IF NOT EXISTS session_activity (session_id TEXT PRIMARY KEY, last_seen_at TEXT NOT NULL)']);
      SessionTimeoutMiddleware.tables.set(this.db, ready);
    }
    return ready;
  }

  async use(request: Request, response: Response, next: NextFunction): Promise<void> {
    const token: unknown = request.cookies?.[SESSION_COOKIE];
    if (typeof token !== 'string' || token.length === 0) return next();
    const sessionId = createHash('sha256').update(token).digest('hex');
    await this.table();
    const row = await this.db.queryOne<{ user_id: string; created_at: string; expires_at: string; last_seen_at: string | null }>(
      `SELECT s.user_id, s.created_at, s.expires_at, a.last_seen_at FROM sessions s
       LEFT JOIN session_activity a ON a.session_id = s.token_hash WHERE s.token_hash = $1`,
      [sessionId],
    );
    const now = this.clock.now().getTime();
    // Unknown, or past the store's own expiry (12 h): SessionStore refuses it and sweeps it.
    if (!row || Date.parse(row.expires_at) < now) return next();
    const lastSeen = Date.parse(row.last_seen_at ?? row.created_at);
    const idle = now - lastSeen >= this.config.security.sessionIdleMs;
    const tooOld = now - Date.parse(row.created_at) >= this.config.security.sessionAbsoluteMs;
    if (idle || tooOld) {
      await this.sessions.delete(token);
      await this.db.execute('DELETE FROM session_activity WHERE session_id = $1', [sessionId]);
      response.clearCookie(SESSION_COOKIE, { path: '/' });
      await this.audit?.record({
        type: 'SessionExpired',
        userId: row.user_id,
        ip: request.ip,
        reason: tooOld ? 'the session reached its absolute lifetime' : 'the session was idle too long',
      });
      return next();
    }
    if (now - lastSeen >= TOUCH_EVERY_MS) {
      await this.db.execute(
        'INSERT INTO session_activity (session_id, last_seen_at) VALUES ($1, $2) ON CONFLICT (session_id) DO UPDATE SET last_seen_at = excluded.last_seen_at',
        [sessionId, new Date(now).toISOString()],
      );
      // Rows of sessions that ended by logout or expiry, swept now and then.
      if (++this.touches % SWEEP_EVERY_TOUCHES === 0) {
        await this.db.execute('DELETE FROM session_activity WHERE session_id NOT IN (SELECT token_hash FROM sessions)');
      }
    }
    next();
  }
}
