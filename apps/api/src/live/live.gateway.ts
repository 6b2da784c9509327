import { Inject, Logger, Optional, type BeforeApplicationShutdown } from '@nestjs/common';
import { WebSocketGateway, type OnGatewayConnection, type OnGatewayDisconnect, type OnGatewayInit } from '@nestjs/websockets';
import { createAdapter } from '@socket.io/redis-adapter';
import { LIVE_NAMESPACE, type LiveError } from '#ruche/live-client';
import { FloodGuard } from './flood-guard.js';
import { HandshakeRefused, LiveAuth } from './live-auth.js';
import { LiveRefusal } from './live-errors.js';
import { LiveHub, type LiveNamespace, type LiveSocket } from './live-hub.js';
import { LiveRedis } from './live-redis.js';
import { connectedSockets } from '../metrics/metrics.js';
import { beforeDrain } from '../health/graceful-shutdown.js';
import { LIVE_REDIS } from './live.tokens.js';

/** Client messages are small ({ room, since }); anything bigger is not ours. */
const MAX_MESSAGE_BYTES = 4096;
/** setTimeout's limit; a session lasts far less. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** How long clients wait (spread ±50 %) before reconnecting after a shutdown. */
export const SHUTDOWN_RECONNECT_MS = 1000;

const RATE_LIMITED: LiveError = { code: 'RATE_LIMITED', message: 'Too many requests: slow down' };

/**
 * The socket.io adapter of API.md's "Live": namespace `/live`, authenticated at the handshake by
 * the session cookie (and the Origin), with a typed event map. Rooms and delivery are the hub's.
 */
@WebSocketGateway({ namespace: LIVE_NAMESPACE, serveClient: false, maxHttpBufferSize: MAX_MESSAGE_BYTES })
export class LiveGateway
  implements OnGatewayInit<LiveNamespace>, OnGatewayConnection<LiveSocket>, OnGatewayDisconnect<LiveSocket>, BeforeApplicationShutdown
{
  private readonly logger = new Logger('Live');
  private nsp: LiveNamespace | undefined;
  private readonly expiries = new WeakMap<LiveSocket, NodeJS.Timeout>();

  constructor(
    private readonly hub: LiveHub,
    private readonly auth: LiveAuth,
    @Optional() @Inject(LIVE_REDIS) private readonly redis?: LiveRedis,
  ) {}

  private readonly release = (): void => this.beforeApplicationShutdown();

  afterInit(nsp: LiveNamespace): void {
    this.nsp = nsp;
    beforeDrain.add(this.release);
    this.hub.attach(nsp);
    // Across processes: presence broadcasts and session ends go through Redis (see docs/decisions.md, "Live").
    if (this.redis) {
      const { pub, sub } = this.redis.forAdapter();
      nsp.server.adapter(createAdapter(pub, sub, { key: `${this.redis.prefix}:socket.io` }));
    }
    nsp.use((socket, next) => {
      this.auth.authenticate(socket.handshake.headers).then(
        (data) => {
          socket.data = data;
          next();
        },
        (error: unknown) => {
          if (error instanceof HandshakeRefused) return next(error);
          this.logger.error(`handshake failed: ${(error as Error).stack ?? String(error)}`);
          next(new Error('Try again later'));
        },
      );
    });
  }

  handleConnection(socket: LiveSocket): void {
    connectedSockets.inc();
    void socket.join(`session:${socket.data.sessionId}`);
    const untilExpiry = Date.parse(socket.data.expiresAt) - Date.now();
    this.expiries.set(socket, setTimeout(() => socket.disconnect(true), Math.max(0, Math.min(untilExpiry, MAX_TIMER_MS))));
    const guard = new FloodGuard();
    const admit = (ack: unknown): ((answer: unknown) => void) | undefined => {
      const reply = typeof ack === 'function' ? (ack as (answer: unknown) => void) : () => undefined;
      const verdict = guard.take();
      if (verdict === 'ok') return reply;
      if (verdict === 'disconnect') {
        this.logger.warn(`socket ${socket.id} of ${socket.data.user.userId} disconnected for flooding`);
        socket.disconnect(true);
      } else reply({ ok: false, error: RATE_LIMITED });
      return undefined;
    };
    socket.on('subscribe', (request: unknown, ack?: unknown) => {
      const reply = admit(ack);
      if (reply) void this.hub.subscribe(socket, request, reply);
    });
    socket.on('unsubscribe', (request: unknown, ack?: unknown) => {
      const reply = admit(ack);
      if (!reply) return;
      this.hub.unsubscribe(socket, request).then(
        () => reply({ ok: true }),
        (error: unknown) => {
          if (error instanceof LiveRefusal) return reply({ ok: false, error: error.error });
          this.logger.error(`unsubscribe failed: ${(error as Error).stack ?? String(error)}`);
          reply({ ok: false, error: { code: 'UNAVAILABLE', message: 'Try again later' } });
        },
      );
    });
  }

  handleDisconnect(socket: LiveSocket): void {
    connectedSockets.dec();
    clearTimeout(this.expiries.get(socket));
    void this.hub.disconnected(socket);
  }

  /**
   * The process stops: this process's sockets are told to come back (to another process, or to
   * this one restarted) after a short, spread delay, then disconnected; their rooms resume from the
   * last position each client saw, so nothing is lost across the restart.
   */
  beforeApplicationShutdown(): void {
    beforeDrain.delete(this.release);
    if (!this.nsp) return;
    this.nsp.local.emit('shutdown', { reconnectInMs: SHUTDOWN_RECONNECT_MS });
    this.nsp.local.disconnectSockets(true);
  }

  /** A session ended (logout): its sockets, in every process, are disconnected at once. */
  endSession(sessionId: string): void {
    // This process's own sockets first, without Redis: the adapter disconnects them only when its
    // own request comes back through Redis, which never happens while Redis is away.
    this.nsp?.local.in(`session:${sessionId}`).disconnectSockets(true);
    this.nsp?.in(`session:${sessionId}`).disconnectSockets(true);
  }
}
