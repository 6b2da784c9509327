import { Module, type DynamicModule, type MiddlewareConsumer, type NestModule } from '@nestjs/common';
import { CqrsModule } from '@nestjs/cqrs';
import type { Clock } from '#ruche/platform';
import { IdentityModule, OidcModule } from '#ruche/identity/nest';
import { SpacesModule, spaceUpcasters } from '#ruche/spaces/nest';
import { FaqModule } from '#ruche/faq/nest';
import { DocumentsModule } from '#ruche/documents/nest';
import { ForumsModule } from '#ruche/forums/nest';
import { IndicatorsModule } from '#ruche/indicators/nest';
import { NotificationsModule } from '#ruche/notifications/nest';
import { SearchModule } from '#ruche/search/nest';
import type { RucheConfig } from './config/configuration.js';
import { HealthController } from './health/health.controller.js';
import { DrainingMiddleware, GracefulShutdown } from './health/graceful-shutdown.js';
import { LoggingModule } from './logging/logging.module.js';
import { MetricsModule } from './metrics/metrics.module.js';
import { InfrastructureModule } from './infrastructure/infrastructure.module.js';
import { SecurityModule } from './security/security.module.js';
import { appProjections, appReplayThreads } from './app-projections.js';
import { LiveModule } from './live/live.module.js';

export interface AppOptions {
  runProjections?: boolean;
  /** Replaces the system clock (tests that move time forward). */
  clock?: Clock;
}

@Module({})
export class AppModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(DrainingMiddleware).forRoutes('*path');
  }

  static forRoot(config: RucheConfig, options: AppOptions = {}): DynamicModule {
    return {
      module: AppModule,
      imports: [
        CqrsModule.forRoot(),
        LoggingModule.forRoot(config),
        MetricsModule,
        InfrastructureModule.forRoot(config, {
          projections: appProjections(config.readStore),
          replayThreads: appReplayThreads(config),
          upcasters: [...spaceUpcasters],
          runProjections: options.runProjections,
          clock: options.clock,
        }),
        IdentityModule.forRoot({ authMode: config.authMode, secureCookies: config.secureCookies }),
        ...(config.oidc ? [OidcModule.forRoot({ ...config.oidc, publicUrl: config.publicUrl, secureCookies: config.secureCookies })] : []),
        SecurityModule.forRoot(config),
        SpacesModule,
        FaqModule,
        DocumentsModule,
        ForumsModule,
        IndicatorsModule,
        NotificationsModule,
        LiveModule,
        SearchModule,
      ],
      controllers: [HealthController],
      providers: [GracefulShutdown, DrainingMiddleware],
    };
  }
}
