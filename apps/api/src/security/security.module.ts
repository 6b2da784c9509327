import { Global, Inject, Module, type DynamicModule, type MiddlewareConsumer, type NestModule, type OnApplicationShutdown } from '@nestjs/common';
import { APP_GUARD, APP_INTERCEPTOR } from '@nestjs/core';
import { SECURITY_AUDIT } from '#ruche/platform';
import type { RucheConfig } from '../config/configuration.js';
import { AccessDeniedInterceptor } from './access-denied.interceptor.js';
import { OriginCheckMiddleware } from './origin-check.middleware.js';
import { RateLimitGuard, rateLimits, RATE_LIMIT_STORAGE, RATE_LIMITS } from './rate-limit.guard.js';
import { MemoryRateLimitStorage, type RateLimitStorage } from './rate-limit.storage.js';
import { RedisRateLimitStorage } from './redis-rate-limit.storage.js';
import { SecurityAuditController } from './security-audit.controller.js';
import { securityAuditProjection } from './security-audit.projection.js';
import { SecurityAuditService } from './security-audit.service.js';
import { SessionTimeoutMiddleware } from './session-timeout.middleware.js';

export const securityProjections = [securityAuditProjection];

/**
 * Hardening that is not a context's business: the audit trail (SECURITY_AUDIT, its projection
 * and its reading by dane), the Origin check of state-changing requests, session idle and
 * absolute timeouts, and rate limits (in Redis when REDIS_URL is set, shared by all processes).
 * Import it after IdentityModule: its guard needs the AuthGuard's user. Headers: securityHeaders().
 */
@Global()
@Module({})
export class SecurityModule implements NestModule, OnApplicationShutdown {
  constructor(@Inject(RATE_LIMIT_STORAGE) private readonly storage: RateLimitStorage) {}

  static forRoot(config: RucheConfig): DynamicModule {
    const limits = rateLimits(config.security);
    const storage: RateLimitStorage = config.redisUrl && limits.length > 0 ? new RedisRateLimitStorage(config.redisUrl) : new MemoryRateLimitStorage();
    return {
      module: SecurityModule,
      controllers: [SecurityAuditController],
      providers: [
        { provide: RATE_LIMIT_STORAGE, useValue: storage },
        { provide: RATE_LIMITS, useValue: limits },
        { provide: SECURITY_AUDIT, useClass: SecurityAuditService },
        OriginCheckMiddleware,
        SessionTimeoutMiddleware,
        ...(limits.length > 0 ? [{ provide: APP_GUARD, useClass: RateLimitGuard }] : []),
        { provide: APP_INTERCEPTOR, useClass: AccessDeniedInterceptor },
      ],
      exports: [SECURITY_AUDIT],
    };
  }

  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(OriginCheckMiddleware, SessionTimeoutMiddleware).forRoutes('*path');
  }

  async onApplicationShutdown(): Promise<void> {
    await this.storage.close();
  }
}
