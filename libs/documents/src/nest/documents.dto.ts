import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsArray, IsIn, IsInt, IsOptional, IsString, IsUUID, Max, MaxLength, Min } from 'class-validator';
import { PIX_COMPETENCE_CODES } from '#ruche/domain-kit';
import { PageQueryDto } from '#ruche/platform';
import { DOCUMENT_SUMMARY_MAX, DOCUMENT_TITLE_MAX } from '../document.js';

/*
 * The DTOs check shapes only (strings, integers, lists): the rules on titles, bodies and
 * competences are the decider's, which names the field (400) or answers 413 for a body over
 * 200 kB. So no @MaxLength on `body` (the JSON limit is 1 MB) and none on `title`, whose length
 * the domain counts in code points.
 */

const MAX_REVISION = Number.MAX_SAFE_INTEGER;

export class CreateDocumentDto {
  @ApiProperty({ example: 'Évaluer la compétence 3.1 avec PIX', maxLength: DOCUMENT_TITLE_MAX })
  @IsString()
  title!: string;

  @ApiProperty({ description: 'Markdown, at most 200 kB (413 beyond)' })
  @IsString()
  body!: string;

  @ApiProperty({ type: [String], example: ['1.1', '3.1'], description: `PIX competence codes: ${PIX_COMPETENCE_CODES.join(', ')}` })
  @IsArray()
  competences!: string[];
}

export class UpdateDocumentDto {
  @ApiPropertyOptional({ maxLength: DOCUMENT_TITLE_MAX })
  @IsOptional()
  @IsString()
  title?: string;

  @ApiPropertyOptional({ type: [String], example: ['4.1'] })
  @IsOptional()
  @IsArray()
  competences?: string[];
}

export class WriteContentDto {
  @ApiProperty({ description: 'Markdown, at most 200 kB (413 beyond)' })
  @IsString()
  body!: string;

  @ApiProperty({ description: 'the revision this content was written from (409 when it is no longer the current one)', minimum: 1 })
  @IsInt({ message: 'baseRevision must be an integer' })
  @Min(1, { message: 'baseRevision must be at least 1' })
  @Max(MAX_REVISION)
  baseRevision!: number;

  @ApiPropertyOptional({ maxLength: DOCUMENT_SUMMARY_MAX, description: 'what changed, for the history' })
  @IsOptional()
  @IsString()
  summary?: string;
}

export class RestoreRevisionDto {
  @ApiProperty({ minimum: 1 })
  @IsInt({ message: 'revision must be an integer' })
  @Min(1, { message: 'revision must be at least 1' })
  @Max(MAX_REVISION)
  revision!: number;

  @ApiPropertyOptional({ maxLength: DOCUMENT_SUMMARY_MAX })
  @IsOptional()
  @IsString()
  summary?: string;
}

export class ListDocumentsQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ enum: PIX_COMPETENCE_CODES })
  @IsOptional()
  @IsIn(PIX_COMPETENCE_CODES, { message: `competence must be one of ${PIX_COMPETENCE_CODES.join(', ')}` })
  competence?: string;

  @ApiPropertyOptional({ description: 'searches the titles' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  q?: string;
}

export class DiffQueryDto {
  @ApiProperty({ minimum: 1 })
  @Type(() => Number)
  @IsInt({ message: 'from must be a revision number' })
  @Min(1, { message: 'from must be at least 1' })
  @Max(MAX_REVISION)
  from!: number;

  @ApiProperty({ minimum: 1 })
  @Type(() => Number)
  @IsInt({ message: 'to must be a revision number' })
  @Min(1, { message: 'to must be at least 1' })
  @Max(MAX_REVISION)
  to!: number;
}

export class DocumentIdParams {
  @IsUUID('all', { message: 'id must be a UUID' })
  id!: string;
}

export class RevisionParams extends DocumentIdParams {
  @Type(() => Number)
  @IsInt({ message: 'rev must be a revision number' })
  @Min(1, { message: 'rev must be at least 1' })
  @Max(MAX_REVISION)
  rev!: number;
}

export class DocumentLandedDto {
  @ApiProperty() id!: string;
  @ApiProperty({ description: "revision of the stream's last event" }) revision!: number;
  @ApiProperty({ description: 'log position of the last event: send it as X-Min-Position to read your write' })
  position!: number;
  @ApiProperty({ description: "the document's content revision after this command (the next baseRevision)" })
  documentRevision!: number;
}
