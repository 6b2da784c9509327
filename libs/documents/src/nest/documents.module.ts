import { Module } from '@nestjs/common';
import { SpacesModule } from '#ruche/spaces/nest';
import { documentCommandHandlers } from './document.commands.js';
import { documentQueryHandlers } from './document.queries.js';
import { documentsProjection } from './documents.projection.js';
import { DocumentsController } from './documents.controller.js';

export const documentsProjections = [documentsProjection];

@Module({
  imports: [SpacesModule],
  controllers: [DocumentsController],
  providers: [...documentCommandHandlers, ...documentQueryHandlers],
})
export class DocumentsModule {}
