import { Inject, Injectable, UnauthorizedException, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { ProjectionRunner } from '#ruche/projections';
import { PROJECTION_RUNNER } from '#ruche/platform';
import { IS_PUBLIC, type RequestWithUser } from './auth.decorators.js';
import { SESSION_COOKIE, SessionStore } from './session.store.js';
import { UsersQueries } from './users.queries.js';
import { usersProjection } from './users.projection.js';

/** How long a request waits for a just-registered user to reach the read model. */
const USER_VISIBILITY_WAIT_MS = 2000;

/**
 * Global guard: resolves the session cookie to the signed-in user on every request, and
 * answers 401 on routes not marked @Public() when there is none.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly sessions: SessionStore,
    private readonly users: UsersQueries,
    @Inject(PROJECTION_RUNNER) private readonly runner: ProjectionRunner,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return true;
    const request = context.switchToHttp().getRequest<RequestWithUser>();
    const token: unknown = request.cookies?.[SESSION_COOKIE];
    if (typeof token === 'string' && token.length > 0) {
      const session = await this.sessions.find(token);
      if (session) {
        let user = await this.users.byId(session.userId);
        if (!user) {
          await this.runner.waitForPosition(session.position, USER_VISIBILITY_WAIT_MS, { projections: [usersProjection.name] });
          user = await this.users.byId(session.userId);
        }
        if (user) {
          request.user = {
            userId: user.id,
            email: user.email,
            displayName: user.displayName,
            roles: user.roles,
            uai: user.uai,
            sessionId: session.sessionId,
          };
        }
      }
    }
    const isPublic = this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, [context.getHandler(), context.getClass()]);
    if (!isPublic && !request.user) throw new UnauthorizedException('Sign in first');
    return true;
  }
}
