import { Controller, Get, HttpStatus, Inject, Res } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import type { EventStore } from '#ruche/eventstore';
import type { ProjectionRunner } from '#ruche/projections';
import { EVENT_STORE, PROJECTION_RUNNER } from '#ruche/platform';
import { RUCHE_CONFIG, type RucheConfig } from '../config/configuration.js';
import { Public } from '#ruche/identity';

@ApiTags('health')
@Controller('api/health')
export class HealthController {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(PROJECTION_RUNNER) private readonly runner: ProjectionRunner,
    @Inject(RUCHE_CONFIG) private readonly config: RucheConfig,
  ) {}

  @Public()
  @Get()
  @ApiOperation({ summary: "The event log's state and the projections' lag; 503 when the log is down" })
  async health(@Res({ passthrough: true }) response: Response) {
    const eventStore = await this.store.health().catch((error: Error) => ({
      status: 'down' as const,
      adapter: this.config.eventStore,
      detail: error.message,
    }));
    const projections = await this.runner.status().catch(() => []);
    const status = eventStore.status === 'up' ? 'up' : 'down';
    if (status === 'down') response.status(HttpStatus.SERVICE_UNAVAILABLE);
    return { status, eventStore, readStore: this.config.readStore, projections };
  }
}
