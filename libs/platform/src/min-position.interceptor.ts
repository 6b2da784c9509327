import { Inject, Injectable, SetMetadata, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request, Response } from 'express';
import type { Observable } from 'rxjs';
import { DomainError } from '#ruche/domain-kit';
import { PROJECTION_RUNNER } from './tokens.js';

/** How long a query may wait for the read models to reach the position a client asks for. */
export const MIN_POSITION_WAIT_MS = 2000;

/** What the interceptor needs of the projection runner. */
export interface PositionWaiter {
  waitForPosition(position: number, timeoutMs: number, options?: { projections?: readonly string[] }): Promise<boolean>;
}

export const READS_FROM = 'ruche:reads-from';

/**
 * The projections a route (or every route of a controller) reads: `X-Min-Position` waits for
 * these only, so a slow rebuild of another read model never stalls read-your-writes here. A
 * route without it waits for every projection.
 */
export const ReadsFrom = (...projections: string[]): MethodDecorator & ClassDecorator => SetMetadata(READS_FROM, projections);

/**
 * Read-your-writes: a request with `X-Min-Position: <position>` waits (bounded) until the read
 * models it reads have applied that position, then runs. The answer says whether it was reached
 * in `X-Read-Position-Reached` (a client may then retry rather than trust a stale page).
 */
@Injectable()
export class MinPositionInterceptor implements NestInterceptor {
  constructor(
    @Inject(PROJECTION_RUNNER) private readonly runner: PositionWaiter,
    private readonly reflector: Reflector,
  ) {}

  async intercept(context: ExecutionContext, next: CallHandler): Promise<Observable<unknown>> {
    if (context.getType() !== 'http') return next.handle();
    const request = context.switchToHttp().getRequest<Request>();
    const raw = request.header('x-min-position');
    if (raw !== undefined) {
      if (!/^\d{1,15}$/.test(raw.trim())) {
        throw DomainError.validation('X-Min-Position', 'X-Min-Position must be a non-negative integer');
      }
      const projections = this.reflector.getAllAndOverride<string[] | undefined>(READS_FROM, [context.getHandler(), context.getClass()]);
      const reached = await this.runner.waitForPosition(Number(raw), MIN_POSITION_WAIT_MS, projections ? { projections } : {});
      context.switchToHttp().getResponse<Response>().setHeader('X-Read-Position-Reached', String(reached));
    }
    return next.handle();
  }
}
