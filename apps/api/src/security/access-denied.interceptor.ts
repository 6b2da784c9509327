import { ForbiddenException, Inject, Injectable, Optional, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import type { Request } from 'express';
import { catchError, from, mergeMap, throwError, type Observable } from 'rxjs';
import { DomainError } from '#ruche/domain-kit';
import { SECURITY_AUDIT, type SecurityAudit } from '#ruche/platform';

/**
 * Records every 403 a handler answers (a signed-in user refused something they may see) as an
 * AccessDenied fact. 404s that hide private spaces are not told apart from missing resources,
 * on purpose, and are not recorded.
 */
@Injectable()
export class AccessDeniedInterceptor implements NestInterceptor {
  constructor(@Optional() @Inject(SECURITY_AUDIT) private readonly audit?: SecurityAudit) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'http' || !this.audit) return next.handle();
    return next.handle().pipe(
      catchError((error: unknown) => {
        const denied = error instanceof ForbiddenException || (error instanceof DomainError && error.code === 'FORBIDDEN');
        if (!denied) return throwError(() => error);
        const request = context.switchToHttp().getRequest<Request & { user?: { userId: string } }>();
        const fact = {
          type: 'AccessDenied' as const,
          userId: request.user?.userId,
          ip: request.ip,
          method: request.method,
          path: request.originalUrl.split('?')[0]!.slice(0, 200),
          reason: (error as Error).message.slice(0, 300),
        };
        return from(this.audit!.record(fact)).pipe(mergeMap(() => throwError(() => error)));
      }),
    );
  }
}
