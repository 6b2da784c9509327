import { Controller, Get, HttpStatus, Inject, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import type { EventStore, StoreHealth } from '#ruche/eventstore';
import type { ProjectionRunner, RunnerStatus } from '#ruche/projections';
import { EVENT_STORE, PROJECTION_RUNNER } from '#ruche/platform';
import { hasRole } from '#ruche/domain-kit';
import { CurrentUser, Public, type SignedInUser } from '#ruche/identity/nest';
import { RUCHE_CONFIG, type RucheConfig } from '../config/configuration.js';
import { GracefulShutdown } from './graceful-shutdown.js';
import { HealthDto, LivenessDto, ReadinessDto } from './health.dto.js';

type Status = 'up' | 'down';

/** What anyone may see: up or down, and how far behind each projection is. */
export interface PublicHealth {
  status: Status;
  eventStore: { status: Status; adapter: string };
  readStore: { status: Status; adapter: string };
  projections: { name: string; lag: number }[];
}

/** What a dane sees besides: the stores' error texts, the head, each projection's state. */
export interface DetailedHealth {
  status: Status;
  eventStore: StoreHealth;
  readStore: { status: Status; adapter: string; detail?: string };
  head?: number;
  projections: RunnerStatus['projections'];
}

@ApiTags('health')
@Controller('api/health')
export class HealthController {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(PROJECTION_RUNNER) private readonly runner: ProjectionRunner,
    @Inject(RUCHE_CONFIG) private readonly config: RucheConfig,
    private readonly shutdown: GracefulShutdown,
  ) {}

  /** Liveness: the process answers. A failing store is readiness' business, not a reason to restart. */
  @Public()
  @Get('live')
  @ApiOperation({ summary: 'Liveness: 200 while the process answers' })
  @ApiOkResponse({ type: LivenessDto })
  live(): { status: 'up' } {
    return { status: 'up' };
  }

  /**
   * Readiness: 200 when this process may take traffic (the event log and the read database
   * answer, and it is not shutting down); 503 otherwise, with the reasons, without error texts.
   */
  @Public()
  @Get('ready')
  @ApiOperation({ summary: 'Readiness: 200 when the stores answer and the process is not shutting down, 503 otherwise' })
  @ApiOkResponse({ type: ReadinessDto, description: 'Ready' })
  @ApiServiceUnavailableResponse({ type: ReadinessDto, description: 'Not ready: the reasons' })
  async ready(@Res({ passthrough: true }) response: Response): Promise<{ status: Status; reasons: string[] }> {
    const reasons: string[] = [];
    if (this.shutdown.draining) reasons.push('shutting down');
    const [eventStore, readStore] = await Promise.all([
      this.store.health().then((h) => h.status === 'up', () => false),
      this.runner.status().then(() => true, () => false),
    ]);
    if (!eventStore) reasons.push('the event log does not answer');
    if (!readStore) reasons.push('the read database does not answer');
    if (reasons.length > 0) response.status(HttpStatus.SERVICE_UNAVAILABLE);
    return { status: reasons.length === 0 ? 'up' : 'down', reasons };
  }

  /**
   * Public, for load balancers and monitoring: internal error texts (SQL, hosts, file paths)
   * go only to a signed-in dane. Reads only; the runner created its tables at start.
   */
  @Public()
  @Get()
  @ApiOperation({
    summary: "Up or down, and each projection's lag; 503 when the event log or the read models cannot be read. A signed-in dane also gets error texts and states.",
  })
  @ApiOkResponse({ type: HealthDto, description: 'Up' })
  @ApiServiceUnavailableResponse({ type: HealthDto, description: 'Down: the event log or the read models cannot be read' })
  async health(
    @CurrentUser() user: SignedInUser | undefined,
    @Res({ passthrough: true }) response: Response,
  ): Promise<PublicHealth | DetailedHealth> {
    const [eventStore, runner] = await Promise.all([
      this.store.health().catch(
        (error: Error): StoreHealth => ({ status: 'down', adapter: this.config.eventStore, detail: error.message }),
      ),
      this.runner.status().then(
        (status) => ({ ok: true as const, status }),
        (error: Error) => ({ ok: false as const, detail: error.message }),
      ),
    ]);
    const readStore = runner.ok
      ? { status: 'up' as const, adapter: this.config.readStore }
      : { status: 'down' as const, adapter: this.config.readStore, detail: runner.detail };
    const status: Status = eventStore.status === 'up' && readStore.status === 'up' ? 'up' : 'down';
    if (status === 'down') response.status(HttpStatus.SERVICE_UNAVAILABLE);

    if (user && hasRole(user, 'dane')) {
      return runner.ok
        ? { status, eventStore, readStore, head: runner.status.head, projections: runner.status.projections }
        : { status, eventStore, readStore, projections: [] };
    }
    return {
      status,
      eventStore: { status: eventStore.status, adapter: eventStore.adapter },
      readStore: { status: readStore.status, adapter: readStore.adapter },
      projections: runner.ok ? runner.status.projections.map(({ name, lag }) => ({ name, lag })) : [],
    };
  }
}
