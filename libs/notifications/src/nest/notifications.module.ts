import { Module } from '@nestjs/common';
import { notificationsCommandHandlers } from './notifications.commands.js';
import { NotificationsController } from './notifications.controller.js';
import { notificationsQueryHandlers, NotificationsReader } from './notifications.queries.js';

@Module({
  controllers: [NotificationsController],
  providers: [NotificationsReader, ...notificationsCommandHandlers, ...notificationsQueryHandlers],
  exports: [NotificationsReader],
})
export class NotificationsModule {}
