import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, IsUUID, Max, MaxLength, Min } from 'class-validator';
import { PageQueryDto } from '#ruche/platform';
import { GRANULARITIES } from '../calendar.js';
import { RECORDED_MILESTONES } from '../establishment.js';
import { FIGURE_FIELDS } from '../figures.js';
import { EXPLAIN_INDICATORS, GROUP_BYS } from './indicators.queries.js';

/*
 * Query strings are checked for shape here; their meaning (a real day, a known groupBy, a UAI…)
 * is checked by the domain's parsers, which name the field in the 400 problem.
 */

export const FORMATS = ['json', 'csv'] as const;

/** `?format=csv` (or `Accept: text/csv`) answers CSV; json is the default. */
export class FormatQueryDto {
  @ApiPropertyOptional({ enum: FORMATS, description: 'csv: UTF-8 with BOM, `;` separator, decimal comma (or send Accept: text/csv)' })
  @IsOptional()
  @IsIn(FORMATS, { message: `format must be one of ${FORMATS.join(', ')}` })
  format?: string;
}

export class SpanQueryDto extends FormatQueryDto {
  @ApiPropertyOptional({ example: '2026-09-01', description: 'first day (Europe/Paris), included; default 30 days before `to`' })
  @IsOptional()
  @IsString()
  @MaxLength(20)
  from?: string;

  @ApiPropertyOptional({ example: '2027-06-30', description: 'last day (Europe/Paris), included; default today' })
  @IsOptional()
  @IsString()
  @MaxLength(20)
  to?: string;
}

export class SeriesQueryDto extends SpanQueryDto {
  @ApiPropertyOptional({ enum: GRANULARITIES, default: 'day' })
  @IsOptional()
  @IsString()
  @MaxLength(20)
  granularity?: string;
}

export class AcademyQueryDto extends SpanQueryDto {
  @ApiPropertyOptional({ enum: GROUP_BYS, default: 'establishment' })
  @IsOptional()
  @IsString()
  @MaxLength(20)
  groupBy?: string;
}

export class DormantQueryDto extends FormatQueryDto {
  @ApiPropertyOptional({ default: 30, minimum: 1, maximum: 3650, description: 'no contribution for at least this many days' })
  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: 'days must be an integer' })
  @Min(1)
  @Max(3650)
  days?: number;
}

export class PixCompetencesQueryDto extends FormatQueryDto {
  @ApiPropertyOptional({ description: "one space's fiches (its managers, the académie roles)" })
  @IsOptional()
  @IsUUID('all', { message: 'spaceId must be a UUID' })
  spaceId?: string;

  @ApiPropertyOptional({ example: '0061234X', description: "one establishment's fiches" })
  @IsOptional()
  @IsString()
  @MaxLength(20)
  uai?: string;
}

export class ExplainQueryDto extends PageQueryDto {
  @ApiProperty({ enum: EXPLAIN_INDICATORS })
  @IsOptional()
  @IsString()
  @MaxLength(30)
  indicator?: string;

  @ApiProperty({ enum: FIGURE_FIELDS })
  @IsOptional()
  @IsString()
  @MaxLength(40)
  field?: string;

  @ApiPropertyOptional({ description: 'the space id, UAI, département code or kind (none for academy)' })
  @IsOptional()
  @IsString()
  @MaxLength(60)
  key?: string;

  @ApiPropertyOptional({ example: '2026-09-07', description: "the period's first day; or give from and to" })
  @IsOptional()
  @IsString()
  @MaxLength(20)
  period?: string;

  @ApiPropertyOptional({ enum: GRANULARITIES, default: 'day' })
  @IsOptional()
  @IsString()
  @MaxLength(20)
  granularity?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(20)
  from?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(20)
  to?: string;

  @ApiPropertyOptional({ enum: FORMATS })
  @IsOptional()
  @IsIn(FORMATS, { message: `format must be one of ${FORMATS.join(', ')}` })
  format?: string;
}

export class UaiParams {
  @ApiProperty({ example: '0061234X' })
  @IsString()
  @MaxLength(20)
  uai!: string;
}

export class RecordMilestoneDto {
  @ApiProperty({ enum: RECORDED_MILESTONES, description: 'space_opened is recorded by the creation of the establishment space' })
  @IsString()
  @MaxLength(60)
  milestone!: string;

  @ApiPropertyOptional({ example: '2026-10-05', description: 'the day it was reached (Europe/Paris); default today' })
  @IsOptional()
  @IsString()
  @MaxLength(20)
  date?: string;
}

export class MilestoneLandedDto {
  @ApiProperty({ example: '0061234X' }) id!: string;
  @ApiProperty() revision!: number;
  @ApiProperty() position!: number;
  @ApiProperty({ description: 'false when the milestone was already recorded (nothing written)' }) recorded!: boolean;
}
