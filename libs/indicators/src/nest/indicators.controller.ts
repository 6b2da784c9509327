import { Body, Controller, Get, Param, Post, Query, Res, UseInterceptors } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { ApiCookieAuth, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { CurrentUser, Public, type SignedInUser } from '#ruche/identity/nest';
import { Meta, MinPositionInterceptor, ReadsFrom, type RequestMeta } from '#ruche/platform';
import { SpaceIdParams } from '#ruche/spaces/nest';
import { CsvExport, CsvInterceptor } from './csv.interceptor.js';
import { RecordMilestoneCommand, type MilestoneLanded } from './establishment.commands.js';
import {
  academyCsv,
  competencesCsv,
  deploymentCsv,
  dormantCsv,
  establishmentCsv,
  explainCsv,
  publicCsv,
  spaceCsv,
} from './indicators.csv.js';
import {
  AcademyQueryDto,
  DormantQueryDto,
  ExplainQueryDto,
  FormatQueryDto,
  MilestoneLandedDto,
  PixCompetencesQueryDto,
  RecordMilestoneDto,
  SeriesQueryDto,
  SpanQueryDto,
  UaiParams,
} from './indicators.dto.js';
import { INDICATORS_PROJECTION } from './indicators.projection.js';
import {
  AcademyIndicatorsDto,
  DormantSpacesDto,
  EstablishmentIndicatorsDto,
  ExplanationDto,
  PixCompetencesDto,
  PixDeploymentDto,
  PublicIndicatorsDto,
  SpaceIndicatorsDto,
} from './indicators.responses.js';
import {
  AcademyIndicatorsQuery,
  DormantSpacesQuery,
  EstablishmentIndicatorsQuery,
  ExplainQuery,
  PixCompetencesQuery,
  PixDeploymentQuery,
  PublicIndicatorsQuery,
  SpaceIndicatorsQuery,
} from './indicators.queries.js';

const CSV = 'text/csv';

/** API.md, "Indicators": figures per space, establishment and académie, with the events behind them. */
@ApiTags('indicators')
@ApiCookieAuth()
@UseInterceptors(MinPositionInterceptor, CsvInterceptor)
@ReadsFrom(INDICATORS_PROJECTION, 'spaces', 'users')
@Controller('api/indicators')
export class IndicatorsController {
  constructor(private readonly queries: QueryBus) {}

  @Get('spaces/:id')
  @ApiOperation({ summary: "A space's figures per period, with the span before (its managers, dane, cmine, inspecteur)" })
  @ApiProduces('application/json', CSV)
  @CsvExport('indicateurs-espace.csv', spaceCsv)
  @ApiOkResponse({ type: SpaceIndicatorsDto })
  space(@Param() { id }: SpaceIdParams, @Query() query: SeriesQueryDto, @CurrentUser() user: SignedInUser) {
    return this.queries.execute(new SpaceIndicatorsQuery(user, id, query));
  }

  @Get('academy')
  @ApiOperation({ summary: 'The académie grouped by establishment, department, space or kind (dane, cmine, inspecteur)' })
  @ApiProduces('application/json', CSV)
  @CsvExport('indicateurs-academie.csv', academyCsv)
  @ApiOkResponse({ type: AcademyIndicatorsDto })
  academy(@Query() query: AcademyQueryDto, @CurrentUser() user: SignedInUser) {
    return this.queries.execute(new AcademyIndicatorsQuery(user, query, query.groupBy));
  }

  @Get('establishments/:uai')
  @ApiOperation({ summary: "The establishment's spaces and figures (its rrupn and chef d'établissement, the académie roles)" })
  @ApiProduces('application/json', CSV)
  @CsvExport('indicateurs-etablissement.csv', establishmentCsv)
  @ApiOkResponse({ type: EstablishmentIndicatorsDto })
  establishment(@Param() { uai }: UaiParams, @Query() query: SpanQueryDto, @CurrentUser() user: SignedInUser) {
    return this.queries.execute(new EstablishmentIndicatorsQuery(user, uai, query));
  }

  @Get('dormant-spaces')
  @ApiOperation({ summary: 'Spaces without contribution for `days` days, among those the caller follows' })
  @ApiProduces('application/json', CSV)
  @CsvExport('espaces-en-sommeil.csv', dormantCsv)
  @ApiOkResponse({ type: DormantSpacesDto })
  dormant(@Query() query: DormantQueryDto, @CurrentUser() user: SignedInUser) {
    return this.queries.execute(new DormantSpacesQuery(user, query.days ?? 30));
  }

  @Get('pix-competences')
  @ApiOperation({ summary: 'Fiches PIX per competence, all 16, zeros included' })
  @ApiProduces('application/json', CSV)
  @CsvExport('fiches-par-competence.csv', competencesCsv)
  @ApiOkResponse({ type: PixCompetencesDto })
  competences(@Query() query: PixCompetencesQueryDto, @CurrentUser() user: SignedInUser) {
    return this.queries.execute(new PixCompetencesQuery(user, { spaceId: query.spaceId, uai: query.uai }));
  }

  @Get('pix-deployment')
  @ApiOperation({ summary: 'The PIX deployment table: milestones per establishment' })
  @ApiProduces('application/json', CSV)
  @CsvExport('deploiement-pix.csv', (result: Parameters<typeof deploymentCsv>[0]) => deploymentCsv(result))
  @ApiOkResponse({ type: PixDeploymentDto })
  deployment(@Query() _query: FormatQueryDto, @CurrentUser() user: SignedInUser) {
    return this.queries.execute(new PixDeploymentQuery(user));
  }

  @Get('explain')
  @ApiOperation({ summary: 'The events behind one figure (position, type, stream, time), to those who may read them' })
  @ApiProduces('application/json', CSV)
  @CsvExport('evenements-de-l-indicateur.csv', explainCsv)
  @ApiOkResponse({ type: ExplanationDto })
  explain(@Query() query: ExplainQueryDto, @CurrentUser() user: SignedInUser) {
    return this.queries.execute(new ExplainQuery(user, query));
  }
}

/** POST /api/establishments/:uai/milestones. */
@ApiTags('indicators')
@ApiCookieAuth()
@Controller('api/establishments')
export class EstablishmentsController {
  constructor(private readonly commands: CommandBus) {}

  @Post(':uai/milestones')
  @ApiOperation({ summary: "Record a PIX milestone of the establishment (its rrupn or chef d'établissement, dane); again is a no-op" })
  @ApiCreatedResponse({ type: MilestoneLandedDto, description: 'recorded' })
  @ApiOkResponse({ type: MilestoneLandedDto, description: 'already recorded: nothing written' })
  async record(
    @Param() { uai }: UaiParams,
    @Body() body: RecordMilestoneDto,
    @CurrentUser() user: SignedInUser,
    @Meta() meta: RequestMeta,
    @Res({ passthrough: true }) response: Response,
  ): Promise<MilestoneLanded> {
    const landed = await this.commands.execute(new RecordMilestoneCommand(uai, body.milestone, body.date, user, meta));
    if (!landed.recorded) response.status(200);
    return landed;
  }
}

/** GET /api/public/indicators: no sign-in, no personal data, people counts under 5 masked. */
@ApiTags('indicators')
@Public()
@UseInterceptors(MinPositionInterceptor, CsvInterceptor)
@ReadsFrom(INDICATORS_PROJECTION)
@Controller('api/public/indicators')
export class PublicIndicatorsController {
  constructor(private readonly queries: QueryBus) {}

  @Get()
  @ApiOperation({ summary: 'Aggregated activity per département and for the académie, and the PIX deployment table' })
  @ApiProduces('application/json', CSV)
  @CsvExport('indicateurs-publics.csv', publicCsv)
  @ApiOkResponse({ type: PublicIndicatorsDto })
  indicators(@Query() query: SpanQueryDto) {
    return this.queries.execute(new PublicIndicatorsQuery({ from: query.from, to: query.to }));
  }
}
