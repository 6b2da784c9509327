import { Module } from '@nestjs/common';
import { spaceCommandHandlers } from './space.commands.js';
import { spaceQueryHandlers } from './space.queries.js';
import { SpaceAccess } from './space-access.js';
import { spaceActivityProjection } from './space-activity.projection.js';
import { spacesProjection } from './spaces.projection.js';
import { SpacesController } from './spaces.controller.js';

export const spacesProjections = [spacesProjection, spaceActivityProjection];

@Module({
  controllers: [SpacesController],
  providers: [...spaceCommandHandlers, ...spaceQueryHandlers, SpaceAccess],
  exports: [SpaceAccess],
})
export class SpacesModule {}
