import { Module } from '@nestjs/common';
import { notificationsCommandHandlers } from './notifications.commands.js';
import { NotificationsController } from './notifications.controller.js';
import { notificationsProjection } from './notifications.projection.js';
import { notificationsQueryHandlers, NotificationsReader } from './notifications.queries.js';

export const notificationsProjections = [notificationsProjection];

@Module({
  controllers: [NotificationsController],
  providers: [NotificationsReader, ...notificationsCommandHandlers, ...notificationsQueryHandlers],
  exports: [NotificationsReader],
})
export class NotificationsModule {}
