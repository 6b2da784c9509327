import { Inject, Injectable } from '@nestjs/common';
import type { Actor } from '#ruche/domain-kit';
import { SESSION_COOKIE, SessionStore, UsersQueries, usersProjection } from '#ruche/identity/nest';
import type { ProjectionRunner } from '#ruche/projections';
import { PROJECTION_RUNNER } from '#ruche/platform';
import { RUCHE_CONFIG, type RucheConfig } from '../config/configuration.js';

/** The signed-in person behind a socket. */
export interface LiveUser extends Actor {
  email: string;
  displayName: string;
}

/** What the gateway keeps on each socket (socket.data). */
export interface LiveSocketData {
  user: LiveUser;
  /** The session's id (the hash of its token): its end disconnects the socket. */
  sessionId: string;
  expiresAt: string;
}

/** Why a handshake was refused; the client sees the message in its `connect_error`. */
export class HandshakeRefused extends Error {
  constructor(
    message: string,
    readonly data: { status: 401 | 403 },
  ) {
    super(message);
  }
}

const USER_VISIBILITY_WAIT_MS = 2000;

/** The value of one cookie in a Cookie header (undefined when absent or malformed). */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0 || part.slice(0, eq).trim() !== name) continue;
    let value = part.slice(eq + 1).trim();
    if (value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    try {
      return decodeURIComponent(value);
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/**
 * Authenticates a handshake as the HTTP guard does a request: the session cookie, then the user
 * read model. Browsers always send `Origin` on a WebSocket handshake and on cross-site requests:
 * one that is not PUBLIC_URL's is refused, so no other site can open a socket with our cookie.
 * A handshake without `Origin` comes from a non-browser client (or a same-origin long-polling
 * GET) and carries the cookie only if its owner gave it.
 */
@Injectable()
export class LiveAuth {
  constructor(
    @Inject(RUCHE_CONFIG) private readonly config: RucheConfig,
    private readonly sessions: SessionStore,
    private readonly users: UsersQueries,
    @Inject(PROJECTION_RUNNER) private readonly runner: ProjectionRunner,
  ) {}

  async authenticate(headers: { origin?: string; cookie?: string }): Promise<LiveSocketData> {
    const origin = headers.origin;
    if (origin !== undefined && origin !== this.config.publicUrl) throw new HandshakeRefused('Origin not allowed', { status: 403 });
    const token = cookieValue(headers.cookie, SESSION_COOKIE);
    if (!token) throw new HandshakeRefused('Sign in first', { status: 401 });
    const session = await this.sessions.find(token);
    if (!session) throw new HandshakeRefused('Sign in first', { status: 401 });
    let user = await this.users.byId(session.userId);
    if (!user) {
      await this.runner.waitForPosition(session.position, USER_VISIBILITY_WAIT_MS, { projections: [usersProjection.name] });
      user = await this.users.byId(session.userId);
    }
    if (!user) throw new HandshakeRefused('Sign in first', { status: 401 });
    return {
      user: { userId: user.id, email: user.email, displayName: user.displayName, roles: user.roles, ...(user.uai ? { uai: user.uai } : {}) },
      sessionId: session.sessionId,
      expiresAt: session.expiresAt,
    };
  }

  /** The session id behind a Cookie header, to end its sockets when it ends. */
  async sessionIdOf(cookieHeader: string | undefined): Promise<string | undefined> {
    const token = cookieValue(cookieHeader, SESSION_COOKIE);
    return token ? (await this.sessions.find(token))?.sessionId : undefined;
  }
}
