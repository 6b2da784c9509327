import { Module, RequestMethod, type MiddlewareConsumer, type NestModule } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { NotificationsModule } from '#ruche/notifications/nest';
import { SpacesModule } from '#ruche/spaces/nest';
import { RUCHE_CONFIG, type RucheConfig } from '../config/configuration.js';
import { LiveAuth } from './live-auth.js';
import { LiveHub } from './live-hub.js';
import { LiveRedis } from './live-redis.js';
import { LiveGateway } from './live.gateway.js';
import { LIVE_REDIS, PRESENCE_STORE } from './live.tokens.js';
import { LogoutWatcher } from './logout-watcher.js';
import { MemoryPresence, RedisPresence } from './presence.js';
import { RoomAccess } from './room-access.js';

/** The live gateway (API.md, "Live"): socket.io on `/live`, fanned out through Redis when REDIS_URL is set. */
@Module({
  imports: [SpacesModule, NotificationsModule],
  providers: [
    {
      provide: LIVE_REDIS,
      inject: [RUCHE_CONFIG],
      useFactory: (config: RucheConfig) => (config.redisUrl ? new LiveRedis(config.redisUrl, `ruche:${config.databaseSchema}:live`) : undefined),
    },
    {
      provide: PRESENCE_STORE,
      inject: [LIVE_REDIS],
      useFactory: (redis: LiveRedis | undefined) => (redis ? new RedisPresence(redis.pub, redis.prefix, randomUUID()) : new MemoryPresence()),
    },
    LiveAuth,
    RoomAccess,
    LiveHub,
    LiveGateway,
  ],
  exports: [LiveHub],
})
export class LiveModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(LogoutWatcher).forRoutes({ path: 'api/auth/logout', method: RequestMethod.POST });
  }
}
