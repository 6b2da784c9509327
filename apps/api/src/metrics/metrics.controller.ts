import { Controller, Get, Header, Inject } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { ProjectionRunner } from '#ruche/projections';
import { PROJECTION_RUNNER } from '#ruche/platform';
import { Public } from '#ruche/identity/nest';
import { logHead, metricsRegistry, projectionLag, projectionPosition } from './metrics.js';

/**
 * Prometheus' scrape endpoint. Public like /api/health: keep it off the public proxy (docs/deploy.md).
 * Projection figures are read from the checkpoints at each scrape.
 */
@ApiExcludeController()
@Controller()
export class MetricsController {
  constructor(@Inject(PROJECTION_RUNNER) private readonly runner: ProjectionRunner) {}

  @Public()
  @Get('metrics')
  @Header('Content-Type', metricsRegistry.contentType)
  @Header('Cache-Control', 'no-store')
  async metrics(): Promise<string> {
    try {
      const status = await this.runner.status();
      logHead.set(status.head);
      projectionLag.reset();
      for (const projection of status.projections) {
        projectionLag.set({ projection: projection.name, state: projection.state }, projection.lag);
        projectionPosition.set({ projection: projection.name }, projection.position);
      }
    } catch {
      // The stores are down: the process figures still tell something.
    }
    return metricsRegistry.metrics();
  }
}
