import { Module } from '@nestjs/common';
import { SpacesModule } from '#ruche/spaces/nest';
import { faqCommandHandlers } from './faq.commands.js';
import { FaqController } from './faq.controller.js';
import { faqQueryHandlers } from './faq.queries.js';

@Module({
  imports: [SpacesModule],
  controllers: [FaqController],
  providers: [...faqCommandHandlers, ...faqQueryHandlers],
})
export class FaqModule {}
