import { Global, Inject, Logger, Module, type DynamicModule, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { EventStore, Upcaster } from '#ruche/eventstore';
import { ProjectionRunner, type Projection, type ReplayThreads, type SqlDatabase } from '#ruche/projections';
import { APP_INTERCEPTOR } from '@nestjs/core';
import { CLOCK, CommandRunner, EVENT_STORE, IdempotencyInterceptor, PROJECTION_RUNNER, READ_DB, systemClock, type Clock } from '#ruche/platform';
import { RUCHE_CONFIG, type RucheConfig } from '../config/configuration.js';
import { openEventStore, openReadDatabase } from './stores.js';
import { PostgresProjectionLeases } from './projection-leases.js';
import { withAppendMetrics } from '../metrics/metrics.js';

export interface InfrastructureOptions {
  projections: readonly Projection[];
  upcasters?: readonly Upcaster[];
  /** Start the projection runner with the app (tests and the CLI may not want it). */
  runProjections?: boolean;
  clock?: Clock;
  /** Rebuilds replay on several threads where the read store allows it (see ReplayThreads). */
  replayThreads?: ReplayThreads;
}

const INFRASTRUCTURE_OPTIONS = Symbol('INFRASTRUCTURE_OPTIONS');
/** With a PostgreSQL read store, several processes share it: each projection is applied by one at a time. */
const PROJECTION_LEASES = Symbol('PROJECTION_LEASES');

/** Owns the store, the read database and the projection runner, and closes them in order. */
@Global()
@Module({})
export class InfrastructureModule implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Infrastructure');

  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(READ_DB) private readonly db: SqlDatabase,
    @Inject(PROJECTION_RUNNER) private readonly runner: ProjectionRunner,
    @Inject(INFRASTRUCTURE_OPTIONS) private readonly options: InfrastructureOptions,
    @Inject(PROJECTION_LEASES) private readonly leases: PostgresProjectionLeases | null,
  ) {}

  static forRoot(config: RucheConfig, options: InfrastructureOptions): DynamicModule {
    return {
      module: InfrastructureModule,
      providers: [
        { provide: RUCHE_CONFIG, useValue: config },
        { provide: INFRASTRUCTURE_OPTIONS, useValue: options },
        { provide: CLOCK, useValue: options.clock ?? systemClock },
        { provide: EVENT_STORE, useFactory: async () => withAppendMetrics(await openEventStore(config, options.upcasters ?? [])) },
        { provide: READ_DB, useFactory: () => openReadDatabase(config) },
        CommandRunner,
        { provide: APP_INTERCEPTOR, useClass: IdempotencyInterceptor },
        {
          provide: PROJECTION_LEASES,
          useFactory: () =>
            config.readStore === 'postgres' ? new PostgresProjectionLeases({ connectionString: config.databaseUrl!, schema: config.databaseSchema }) : null,
        },
        {
          provide: PROJECTION_RUNNER,
          inject: [EVENT_STORE, READ_DB, PROJECTION_LEASES],
          useFactory: (store: EventStore, db: SqlDatabase, leases: PostgresProjectionLeases | null) =>
            new ProjectionRunner({
              store,
              db,
              projections: [...options.projections],
              logger: new Logger('Projections'),
              ...(leases ? { leases } : {}),
              ...(options.replayThreads ? { replayThreads: options.replayThreads } : {}),
            }),
        },
      ],
      exports: [RUCHE_CONFIG, CLOCK, EVENT_STORE, READ_DB, PROJECTION_RUNNER, CommandRunner],
    };
  }

  async onApplicationBootstrap(): Promise<void> {
    if (this.options.runProjections !== false) {
      await this.runner.start();
      this.logger.log('Projection runner started');
    }
  }

  async onApplicationShutdown(): Promise<void> {
    await this.runner.stop();
    await this.leases?.close();
    await this.store.close();
    await this.db.close();
  }
}
