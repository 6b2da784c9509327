import { Module } from '@nestjs/common';
import { SpacesModule } from '#ruche/spaces/nest';
import { CsvInterceptor } from './csv.interceptor.js';
import { establishmentCommandHandlers } from './establishment.commands.js';
import { ExplainReader } from './explain.reader.js';
import { FiguresReader } from './figures.reader.js';
import { IndicatorAccess } from './indicator-access.js';
import { EstablishmentsController, IndicatorsController, PublicIndicatorsController } from './indicators.controller.js';
import { indicatorQueryHandlers } from './indicators.queries.js';

@Module({
  imports: [SpacesModule],
  controllers: [IndicatorsController, EstablishmentsController, PublicIndicatorsController],
  providers: [...establishmentCommandHandlers, ...indicatorQueryHandlers, FiguresReader, ExplainReader, IndicatorAccess, CsvInterceptor],
})
export class IndicatorsModule {}
