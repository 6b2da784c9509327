import { Injectable, type NestMiddleware } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { LiveAuth } from './live-auth.js';
import { LiveGateway } from './live.gateway.js';

/**
 * Watches `POST /api/auth/logout`: once the session is ended, its sockets are disconnected (the
 * session is not an event of the log, so the hub cannot learn it from there).
 */
@Injectable()
export class LogoutWatcher implements NestMiddleware {
  constructor(
    private readonly auth: LiveAuth,
    private readonly gateway: LiveGateway,
  ) {}

  use(request: Request, response: Response, next: NextFunction): void {
    this.auth.sessionIdOf(request.headers.cookie).then(
      (sessionId) => {
        if (sessionId) response.on('finish', () => response.statusCode < 400 && this.gateway.endSession(sessionId));
        next();
      },
      () => next(),
    );
  }
}
