import type { Server } from 'node:http';
import { Injectable, Logger, type BeforeApplicationShutdown, type NestMiddleware } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { NextFunction, Request, Response } from 'express';

/**
 * Called first when shutdown starts, before the HTTP server drains: long-lived connections (the
 * live gateway's sockets) are told to go and closed here, or the drain would wait for them.
 */
export const beforeDrain = new Set<() => void>();

/** How long in-flight requests get to finish after SIGTERM before their connections are cut. */
export const DRAIN_TIMEOUT_MS = Number(process.env.SHUTDOWN_DRAIN_MS ?? 25_000);

/**
 * Graceful shutdown, before the modules close their stores (Nest runs every
 * beforeApplicationShutdown hook before any onApplicationShutdown): readiness turns 503, the
 * server stops accepting connections, idle keep-alive connections are closed, answers in flight
 * are finished and carry `Connection: close`; only then do the projection runner and the stores
 * stop. So an acknowledged command is durable, and no answer is cut halfway. Past
 * DRAIN_TIMEOUT_MS the remaining connections are cut.
 */
@Injectable()
export class GracefulShutdown implements BeforeApplicationShutdown {
  private readonly logger = new Logger('Shutdown');
  draining = false;

  constructor(private readonly adapter: HttpAdapterHost) {}

  async beforeApplicationShutdown(signal?: string): Promise<void> {
    this.draining = true;
    for (const release of [...beforeDrain]) {
      try {
        release();
      } catch (error) {
        this.logger.warn(`A before-drain hook failed: ${(error as Error).message}`);
      }
    }
    const server = this.adapter.httpAdapter?.getHttpServer() as Server | undefined;
    if (!server?.listening) return;
    this.logger.log(`${signal ?? 'Shutdown'}: no new connections; finishing the requests in flight`);
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), DRAIN_TIMEOUT_MS)));
    if ((await Promise.race([closed, timeout])) === 'timeout') {
      this.logger.warn(`Requests still in flight after ${DRAIN_TIMEOUT_MS} ms: cutting their connections`);
      server.closeAllConnections();
    }
    clearTimeout(timer);
    this.logger.log('HTTP server closed; closing the stores');
  }
}

/** While draining, every answer closes its connection, so keep-alive clients go elsewhere. */
@Injectable()
export class DrainingMiddleware implements NestMiddleware {
  constructor(private readonly shutdown: GracefulShutdown) {}

  use(_request: Request, response: Response, next: NextFunction): void {
    if (this.shutdown.draining) response.setHeader('Connection', 'close');
    next();
  }
}
