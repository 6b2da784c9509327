import { Module, type DynamicModule } from '@nestjs/common';
import { CqrsModule } from '@nestjs/cqrs';
import { IdentityModule, identityProjections } from '#ruche/identity';
import { SpacesModule, spacesProjections } from '#ruche/spaces';
import type { RucheConfig } from './config/configuration.js';
import { HealthController } from './health/health.controller.js';
import { InfrastructureModule } from './infrastructure/infrastructure.module.js';

export interface AppOptions {
  runProjections?: boolean;
}

@Module({})
export class AppModule {
  static forRoot(config: RucheConfig, options: AppOptions = {}): DynamicModule {
    return {
      module: AppModule,
      imports: [
        CqrsModule.forRoot(),
        InfrastructureModule.forRoot(config, {
          projections: [...identityProjections, ...spacesProjections],
          runProjections: options.runProjections,
        }),
        IdentityModule.forRoot({ authMode: config.authMode, secureCookies: config.nodeEnv === 'production' }),
        SpacesModule,
      ],
      controllers: [HealthController],
    };
  }
}
