import { ApiProperty, type ApiPropertyOptions } from '@nestjs/swagger';
import { GRANULARITIES } from '../calendar.js';
import { MILESTONES } from '../establishment.js';
import { FIGURE_FIELDS, SMALL_COUNT } from '../figures.js';
import { EXPLAIN_INDICATORS, GROUP_BYS } from './indicators.queries.js';

/*
 * The answers of the indicators, for the OpenAPI document only (indicators.queries.ts builds
 * them). Each also answers text/csv (see indicators.csv.ts).
 */

const count = (description: string): ApiPropertyOptions => ({ type: 'integer', minimum: 0, description });
const day = (description: string): ApiPropertyOptions => ({ type: String, format: 'date', example: '2026-10-05', description });

export class FiguresDto {
  @ApiProperty(count('topics opened (TopicOpened)')) topics!: number;
  @ApiProperty(count('replies (ReplyPosted), self-replies included')) replies!: number;
  @ApiProperty(count('distinct people who wrote a topic, a reply, a fiche or a revision, or first published an FAQ entry')) contributors!: number;
  @ApiProperty(count('arrivals in the spaces (MemberAdded, MemberJoined, JoinRequestApproved)')) newMembers!: number;
  @ApiProperty(count('fiches PIX created')) documents!: number;
  @ApiProperty(count('new revisions of fiches (restores included)')) revisions!: number;
  @ApiProperty(count('FAQ entries published for the first time')) faqPublished!: number;
  @ApiProperty(count('consultations (TopicRead, DocumentRead)')) views!: number;
  @ApiProperty(count('distinct people behind the consultations')) uniqueVisitors!: number;
  @ApiProperty(count('topics opened in the span that nobody else answered within 48 h (once their 48 h are over)')) unansweredTopics!: number;
  @ApiProperty({ type: Number, nullable: true, description: 'median hours (one decimal) from opening to the first reply by someone else; null without any' })
  medianFirstReplyHours!: number | null;
}

export class SeriesPointDto extends FiguresDto {
  @ApiProperty(day("the period's first day (Europe/Paris)")) period!: string;
}

export class SpaceIndicatorsDto {
  @ApiProperty({ format: 'uuid' }) spaceId!: string;
  @ApiProperty(day('first day, snapped to the first period')) from!: string;
  @ApiProperty(day('last day, snapped to the last period')) to!: string;
  @ApiProperty({ enum: GRANULARITIES }) granularity!: string;
  @ApiProperty({ type: () => [SeriesPointDto] }) series!: SeriesPointDto[];
  @ApiProperty({ type: () => [SeriesPointDto], description: 'the same number of periods just before' }) previous!: SeriesPointDto[];
  @ApiProperty({ type: () => FiguresDto }) totals!: FiguresDto;
  @ApiProperty({ type: () => FiguresDto }) previousTotals!: FiguresDto;
}

export class AcademyRowDto extends FiguresDto {
  @ApiProperty({ description: "the UAI, département code, space id or kind; 'none' for spaces without UAI, 'hidden' for private spaces the caller may not know" })
  key!: string;
  @ApiProperty() label!: string;
}

export class AcademyIndicatorsDto {
  @ApiProperty(day('first day')) from!: string;
  @ApiProperty(day('last day')) to!: string;
  @ApiProperty({ enum: GROUP_BYS }) groupBy!: string;
  @ApiProperty({ type: () => [AcademyRowDto] }) rows!: AcademyRowDto[];
  @ApiProperty({ type: () => FiguresDto }) totals!: FiguresDto;
  @ApiProperty({ type: () => FiguresDto }) previousTotals!: FiguresDto;
}

const milestone: ApiPropertyOptions = { type: String, format: 'date', nullable: true, example: '2026-10-05' };

export class MilestonesDto {
  @ApiProperty(milestone) referent_designated!: string | null;
  @ApiProperty(milestone) referent_trained_pix_orga!: string | null;
  @ApiProperty(milestone) referent_trained_pix_certif!: string | null;
  @ApiProperty(milestone) pix_orga_activated!: string | null;
  @ApiProperty(milestone) pix_certif_activated!: string | null;
  @ApiProperty(milestone) digital_committee_set_up!: string | null;
  @ApiProperty({ type: String, format: 'date', nullable: true, example: '2026-10-05', description: "the creation day of the establishment's space" })
  space_opened!: string | null;
}

export class EstablishmentSpaceFiguresDto extends FiguresDto {
  @ApiProperty({ type: String, format: 'uuid', nullable: true, description: 'null for the private spaces the caller may not know, counted together' }) spaceId!: string | null;
  @ApiProperty() name!: string;
  @ApiProperty({ type: String, nullable: true }) kind!: string | null;
  @ApiProperty({ type: String, nullable: true }) visibility!: string | null;
}

export class EstablishmentIndicatorsDto {
  @ApiProperty({ example: '0061234X' }) uai!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ type: String, nullable: true, example: '06' }) department!: string | null;
  @ApiProperty(day('first day')) from!: string;
  @ApiProperty(day('last day')) to!: string;
  @ApiProperty({ type: () => [EstablishmentSpaceFiguresDto] }) spaces!: EstablishmentSpaceFiguresDto[];
  @ApiProperty({ type: () => FiguresDto }) totals!: FiguresDto;
  @ApiProperty({ type: () => FiguresDto }) previousTotals!: FiguresDto;
  @ApiProperty({ type: () => MilestonesDto }) milestones!: MilestonesDto;
}

export class DormantSpaceDto {
  @ApiProperty({ format: 'uuid' }) spaceId!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ enum: ['academic', 'establishment', 'thematic'] }) kind!: string;
  @ApiProperty({ type: String, nullable: true }) uai!: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) lastContributionAt!: string | null;
  @ApiProperty({ type: 'integer', description: 'Paris days since the last contribution (or the creation, without any)' }) daysSince!: number;
}

export class DormantSpacesDto {
  @ApiProperty({ type: 'integer' }) days!: number;
  @ApiProperty({ type: () => [DormantSpaceDto] }) items!: DormantSpaceDto[];
}

export class PixCompetenceDto {
  @ApiProperty({ example: '3.1' }) code!: string;
  @ApiProperty() label!: string;
  @ApiProperty({ type: 'integer', description: 'fiches tagged with it' }) documents!: number;
}

export class PixCompetencesDto {
  @ApiProperty({ type: () => [PixCompetenceDto], description: 'all 16 competences, zeros included' }) items!: PixCompetenceDto[];
}

export class DeploymentItemDto {
  @ApiProperty({ example: '0061234X' }) uai!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ type: String, nullable: true, example: '06' }) department!: string | null;
  @ApiProperty({ type: () => MilestonesDto }) milestones!: MilestonesDto;
}

export class PixDeploymentDto {
  @ApiProperty({ type: () => [DeploymentItemDto] }) items!: DeploymentItemDto[];
}

export class ExplainedEventDto {
  @ApiProperty({ type: 'integer' }) position!: number;
  @ApiProperty() type!: string;
  @ApiProperty({ example: 'topic-0193…' }) streamName!: string;
  @ApiProperty({ format: 'date-time', description: 'when the log recorded it' }) createdAt!: string;
  @ApiProperty({ format: 'date-time', description: "the event's own time, which put it in its day" }) at!: string;
}

export class ExplanationDto {
  @ApiProperty({ enum: EXPLAIN_INDICATORS }) indicator!: string;
  @ApiProperty({ enum: FIGURE_FIELDS }) field!: string;
  @ApiProperty({ type: String, nullable: true }) key!: string | null;
  @ApiProperty(day('first day')) from!: string;
  @ApiProperty(day('last day')) to!: string;
  @ApiProperty({ type: Number, nullable: true, description: 'the figure the items explain' }) figure!: number | null;
  @ApiProperty({ type: () => [ExplainedEventDto] }) items!: ExplainedEventDto[];
  @ApiProperty({ type: String, nullable: true }) nextCursor!: string | null;
}

const people = (description: string): ApiPropertyOptions => ({ oneOf: [{ type: 'integer', minimum: 5 }, { type: 'string', enum: [SMALL_COUNT] }], description: `${description}; "< 5" under 5` });

export class PublicFiguresDto {
  @ApiProperty(count('topics opened')) topics!: number;
  @ApiProperty(count('replies')) replies!: number;
  @ApiProperty(people('distinct contributors')) contributors!: number | string;
  @ApiProperty(people('arrivals in the spaces')) newMembers!: number | string;
  @ApiProperty(count('fiches PIX created')) documents!: number;
  @ApiProperty(count('revisions of fiches')) revisions!: number;
  @ApiProperty(count('FAQ entries published')) faqPublished!: number;
  @ApiProperty(count('consultations')) views!: number;
  @ApiProperty(people('distinct visitors')) uniqueVisitors!: number | string;
  @ApiProperty(count('unanswered topics')) unansweredTopics!: number;
  @ApiProperty({ type: Number, nullable: true }) medianFirstReplyHours!: number | null;
}

export class PublicDepartmentDto extends PublicFiguresDto {
  @ApiProperty({ example: '06' }) code!: string;
  @ApiProperty({ example: '06 — Alpes-Maritimes' }) label!: string;
}

export class PublicIndicatorsDto {
  @ApiProperty({ format: 'date-time' }) generatedAt!: string;
  @ApiProperty(day('first day (default: 1 September of the school year)')) from!: string;
  @ApiProperty(day('last day (default: today)')) to!: string;
  @ApiProperty({ type: () => PublicFiguresDto }) academy!: PublicFiguresDto;
  @ApiProperty({ type: () => [PublicDepartmentDto] }) departments!: PublicDepartmentDto[];
  @ApiProperty({ type: () => [DeploymentItemDto] }) deployment!: DeploymentItemDto[];
}

/** Keeps the milestone list and its class in step (a new milestone needs a property above). */
export const DOCUMENTED_MILESTONES: readonly (keyof MilestonesDto)[] = MILESTONES;
