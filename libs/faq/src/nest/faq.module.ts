import { Module } from '@nestjs/common';
import { SpacesModule } from '#ruche/spaces/nest';
import { faqCommandHandlers } from './faq.commands.js';
import { FaqController } from './faq.controller.js';
import { faqProjection } from './faq.projection.js';
import { faqQueryHandlers } from './faq.queries.js';

export const faqProjections = [faqProjection];

@Module({
  imports: [SpacesModule],
  controllers: [FaqController],
  providers: [...faqCommandHandlers, ...faqQueryHandlers],
})
export class FaqModule {}
