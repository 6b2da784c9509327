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

// Answers, for the OpenAPI document only (document.queries.ts builds them).

export class CompetenceDto {
  @ApiProperty({ enum: PIX_COMPETENCE_CODES }) code!: string;
  @ApiProperty({ example: 'Mener une recherche et une veille d’information' }) label!: string;
}

export class PersonDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() displayName!: string;
}

class DocumentFieldsDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ format: 'uuid' }) spaceId!: string;
  @ApiProperty() title!: string;
  @ApiProperty({ type: [CompetenceDto] }) competences!: CompetenceDto[];
  @ApiProperty({ type: 'integer', description: 'the current content revision (the next baseRevision)' }) revision!: number;
  @ApiProperty({ format: 'uuid' }) createdBy!: string;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ format: 'date-time' }) updatedAt!: string;
  @ApiProperty({ type: 'integer', description: 'consultations (one per person, document and 30 minutes)' }) views!: number;
}

export class DocumentListItemDto extends DocumentFieldsDto {
  @ApiProperty({ description: 'the start of the body, as plain text' }) excerpt!: string;
}

export class DocumentPermissionsDto {
  @ApiProperty({ description: 'write content, title and competences' }) edit!: boolean;
}

export class DocumentViewDto extends DocumentFieldsDto {
  @ApiProperty({ description: 'Markdown' }) body!: string;
  @ApiProperty({ description: 'the body rendered and sanitized' }) html!: string;
  @ApiProperty({ type: [PersonDto], description: 'everyone who wrote a revision, in the order they first did' }) contributors!: PersonDto[];
  @ApiProperty({ type: () => DocumentPermissionsDto, description: 'what the caller may do with it' }) permissions!: DocumentPermissionsDto;
}

export class RevisionItemDto {
  @ApiProperty({ type: 'integer' }) revision!: number;
  @ApiProperty({ type: () => PersonDto }) author!: PersonDto;
  @ApiProperty({ format: 'date-time' }) at!: string;
  @ApiProperty({ type: String, nullable: true }) summary!: string | null;
  @ApiProperty({ type: 'integer', description: "the body's size in bytes (UTF-8)" }) size!: number;
  @ApiProperty({ type: 'integer', nullable: true, description: 'the revision whose content a restore brought back' }) restoredFrom!: number | null;
}

export class RevisionViewDto extends RevisionItemDto {
  @ApiProperty({ format: 'uuid' }) documentId!: string;
  @ApiProperty({ description: 'Markdown' }) body!: string;
  @ApiProperty({ description: 'the body rendered and sanitized' }) html!: string;
}

export class DiffLineDto {
  @ApiProperty({ enum: ['add', 'del', 'eq'], description: 'added in `to`, removed from `from`, or kept' }) op!: string;
  @ApiProperty() text!: string;
}

export class DiffHunkDto {
  @ApiProperty({ type: 'integer', description: 'first line of the hunk in `from` (1-based; 0 when it starts before any line of it)' }) oldStart!: number;
  @ApiProperty({ type: 'integer' }) oldLines!: number;
  @ApiProperty({ type: 'integer' }) newStart!: number;
  @ApiProperty({ type: 'integer' }) newLines!: number;
  @ApiProperty({ type: [DiffLineDto] }) lines!: DiffLineDto[];
}

export class RevisionDiffDto {
  @ApiProperty({ type: 'integer' }) from!: number;
  @ApiProperty({ type: 'integer' }) to!: number;
  @ApiProperty({ type: 'integer', description: 'lines added' }) added!: number;
  @ApiProperty({ type: 'integer', description: 'lines removed' }) removed!: number;
  @ApiProperty({ type: [DiffHunkDto] }) hunks!: DiffHunkDto[];
  @ApiProperty({ description: 'the same as a unified diff (`--- revision N` / `+++ revision M`)' }) unified!: string;
}
