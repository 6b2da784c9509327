import { createHash } from 'node:crypto';
import { HttpException, Inject, Injectable, Optional, type CanActivate, type ExecutionContext } from '@nestjs/common';
import type { Request, Response } from 'express';
import { SECURITY_AUDIT, type SecurityAudit } from '#ruche/platform';
import type { SecurityConfig } from '../config/configuration.js';
import type { RateLimitStorage } from './rate-limit.storage.js';

export const RATE_LIMITS = Symbol('RATE_LIMITS');
export const RATE_LIMIT_STORAGE = Symbol('RATE_LIMIT_STORAGE');

const SIGN_IN_PATHS = new Set(['/api/auth/dev-login', '/api/auth/oidc/login', '/api/auth/oidc/callback']);
const WRITES = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const MINUTE = 60_000;

type RequestWithUser = Request & { user?: { userId: string } };
const isSignIn = (request: Request): boolean => SIGN_IN_PATHS.has(request.path);
const isWrite = (request: Request): boolean => WRITES.has(request.method) && !isSignIn(request) && request.path !== '/api/auth/logout';
const ipOf = (request: Request): string => request.ip ?? request.socket.remoteAddress ?? 'unknown';

/** One limit: which requests it counts, and whose (the tracker); per minute. */
export interface RateLimit {
  name: 'sign-in' | 'writes-ip' | 'writes-user';
  limit: number;
  applies(request: RequestWithUser): boolean;
  tracker(request: RequestWithUser): string;
}

/**
 * The three limits, each per minute (0: none): sign-ins per address; writes per signed-in user
 * (whatever the address); writes per address (whoever signed in there: one machine, many accounts).
 */
export function rateLimits(config: SecurityConfig): RateLimit[] {
  const all: RateLimit[] = [
    { name: 'sign-in', limit: config.signInPerMinutePerIp, applies: isSignIn, tracker: ipOf },
    { name: 'writes-ip', limit: config.writesPerMinutePerIp, applies: isWrite, tracker: ipOf },
    { name: 'writes-user', limit: config.writesPerMinutePerUser, applies: (r) => isWrite(r) && r.user !== undefined, tracker: (r) => r.user!.userId },
  ];
  return all.filter((limit) => limit.limit > 0);
}

/**
 * Rate limits as a global guard, registered after the AuthGuard so that `request.user` is known:
 * 429 with `Retry-After` (seconds) and a problem, and one RateLimited fact per block in the audit
 * trail. Counts live in memory, or in Redis (REDIS_URL) shared by every process. Keys hold a hash
 * of the address or user id, never the value.
 *
 * Why not @nestjs/throttler: its 6.x is CommonJS requiring the ESM-only @nestjs/common 12, which
 * Node >= 20.19 loads but Jest on Node 20 cannot (the htmlparser2 problem of docs/decisions.md).
 */
@Injectable()
export class RateLimitGuard implements CanActivate {
  /** Key → end of the block this process already reported. */
  private readonly reported = new Map<string, number>();

  constructor(
    @Inject(RATE_LIMITS) private readonly limits: readonly RateLimit[],
    @Inject(RATE_LIMIT_STORAGE) private readonly storage: RateLimitStorage,
    @Optional() @Inject(SECURITY_AUDIT) private readonly audit?: SecurityAudit,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return true;
    const request = context.switchToHttp().getRequest<RequestWithUser>();
    for (const limit of this.limits) {
      if (!limit.applies(request)) continue;
      const key = `${limit.name}:${createHash('sha256').update(limit.tracker(request)).digest('hex')}`;
      const record = await this.storage.increment(key, MINUTE, limit.limit);
      if (!record.isBlocked) continue;
      const retryAfter = Math.max(1, record.timeToBlockExpire);
      context.switchToHttp().getResponse<Response>().setHeader('Retry-After', String(retryAfter));
      await this.report(key, retryAfter, limit, request);
      throw new HttpException(`Too many requests: try again in ${retryAfter} s`, 429);
    }
    return true;
  }

  /** One fact per block and process, not per refused request: a flood must not flood the log too. */
  private async report(key: string, retryAfter: number, limit: RateLimit, request: RequestWithUser): Promise<void> {
    const now = Date.now();
    if ((this.reported.get(key) ?? 0) > now) return;
    if (this.reported.size > 10_000) for (const [k, until] of this.reported) if (until <= now) this.reported.delete(k);
    this.reported.set(key, now + retryAfter * 1000);
    await this.audit?.record({
      type: 'RateLimited',
      userId: request.user?.userId,
      ip: ipOf(request),
      method: request.method,
      path: request.path,
      reason: `more than ${limit.limit} requests a minute (${limit.name})`,
      details: { limit: limit.name },
    });
  }
}
