import { Module } from '@nestjs/common';
import { spaceCommandHandlers } from './space.commands.js';
import { spaceQueryHandlers } from './space.queries.js';
import { SpaceAccess } from './space-access.js';
import { SpacesController } from './spaces.controller.js';

@Module({
  controllers: [SpacesController],
  providers: [...spaceCommandHandlers, ...spaceQueryHandlers, SpaceAccess],
  exports: [SpaceAccess],
})
export class SpacesModule {}
