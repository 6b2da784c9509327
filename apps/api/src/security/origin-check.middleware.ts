import { Inject, Injectable, Optional, type NestMiddleware } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { SECURITY_AUDIT, type SecurityAudit } from '#ruche/platform';
import { RUCHE_CONFIG, type RucheConfig } from '../config/configuration.js';
import { problem, sendProblem } from '../http/problem.js';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Where a browser says a request comes from: its Origin, else its Referer's origin; undefined when
 * it says neither (scripts and command-line clients, which carry no ambient cookie to abuse).
 */
export function requestOrigin(headers: { origin?: string | string[]; referer?: string | string[] }): string | undefined {
  const origin = Array.isArray(headers.origin) ? headers.origin[0] : headers.origin;
  if (origin !== undefined) return origin;
  const referer = Array.isArray(headers.referer) ? headers.referer[0] : headers.referer;
  if (referer === undefined) return undefined;
  try {
    return new URL(referer).origin;
  } catch {
    return 'null';
  }
}

/** Is a request (or a websocket handshake) from this origin welcome? Exported for the live gateway. */
export function isAllowedOrigin(origin: string | undefined, publicUrl: string): boolean {
  return origin === undefined || origin === publicUrl;
}

/**
 * State-changing requests are accepted only from the configured origin (PUBLIC_URL), on top of
 * SameSite=Lax cookies: a cross-site form or fetch, and an opaque origin (`null`), get 403 and
 * are recorded in the audit trail.
 */
@Injectable()
export class OriginCheckMiddleware implements NestMiddleware {
  constructor(
    @Inject(RUCHE_CONFIG) private readonly config: RucheConfig,
    @Optional() @Inject(SECURITY_AUDIT) private readonly audit?: SecurityAudit,
  ) {}

  async use(request: Request, response: Response, next: NextFunction): Promise<void> {
    if (SAFE_METHODS.has(request.method)) return next();
    const origin = requestOrigin(request.headers);
    if (isAllowedOrigin(origin, this.config.publicUrl)) return next();
    await this.audit?.record({
      type: 'OriginRefused',
      ip: request.ip,
      method: request.method,
      path: request.originalUrl.split('?')[0]!.slice(0, 200),
      reason: 'a state-changing request from another origin',
      details: { origin: String(origin).slice(0, 200) },
    });
    sendProblem(response, problem(403, `Requests that change something are accepted only from ${this.config.publicUrl}`));
  }
}
