import { Module } from '@nestjs/common';
import { SpacesModule } from '#ruche/spaces/nest';
import { documentCommandHandlers } from './document.commands.js';
import { documentQueryHandlers } from './document.queries.js';
import { DocumentsController } from './documents.controller.js';

@Module({
  imports: [SpacesModule],
  controllers: [DocumentsController],
  providers: [...documentCommandHandlers, ...documentQueryHandlers],
})
export class DocumentsModule {}
