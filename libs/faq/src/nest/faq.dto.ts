import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsInt, IsOptional, IsString, IsUUID, MaxLength } from 'class-validator';
import { PageQueryDto } from '#ruche/platform';
import { FAQ_CATEGORY_MAX, FAQ_DEFAULT_CATEGORY, FAQ_ORDER_MAX, FAQ_ORDER_MIN, FAQ_QUESTION_MAX, FAQ_STATUSES } from '../faq-entry.js';

/*
 * Lengths, blanks and the 200 kB limit of answers (413) are checked by the domain, which counts
 * characters as people do (an accented letter or an emoji is one) and names the field: the DTOs
 * check types only, so a large answer reaches it.
 */

export class DraftFaqEntryDto {
  @ApiProperty({ example: 'Comment activer Pix Orga ?', maxLength: FAQ_QUESTION_MAX })
  @IsString()
  question!: string;

  @ApiProperty({ description: 'Markdown, at most 200 kB (413 beyond)' })
  @IsString()
  answer!: string;

  @ApiPropertyOptional({ maxLength: FAQ_CATEGORY_MAX, default: FAQ_DEFAULT_CATEGORY })
  @IsOptional()
  @IsString()
  category?: string;
}

export class EditFaqEntryDto {
  @ApiPropertyOptional({ maxLength: FAQ_QUESTION_MAX })
  @IsOptional()
  @IsString()
  question?: string;

  @ApiPropertyOptional({ description: 'Markdown, at most 200 kB (413 beyond)' })
  @IsOptional()
  @IsString()
  answer?: string;

  @ApiPropertyOptional({ maxLength: FAQ_CATEGORY_MAX })
  @IsOptional()
  @IsString()
  category?: string;

  @ApiPropertyOptional({
    minimum: FAQ_ORDER_MIN,
    maximum: FAQ_ORDER_MAX,
    description: 'place within the category (managers): lower first, ties in creation order; every entry starts at 0',
  })
  @IsOptional()
  @IsInt({ message: 'order must be an integer' })
  order?: number;
}

export class PromoteTopicToFaqDto {
  @ApiPropertyOptional({ maxLength: FAQ_CATEGORY_MAX, default: FAQ_DEFAULT_CATEGORY })
  @IsOptional()
  @IsString()
  category?: string;
}

export class ListFaqQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ description: 'searches questions and answers (case and accents folded)' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  q?: string;
}

export class FaqIdParams {
  @IsUUID('all', { message: 'id must be a UUID' })
  id!: string;
}

export class FaqLandedDto {
  @ApiProperty() id!: string;
  @ApiProperty({ description: "revision of the entry stream's last event" }) revision!: number;
  @ApiProperty({ description: 'log position of the last event: send it as X-Min-Position to read your write' })
  position!: number;
}

export class PromotedToFaqDto extends FaqLandedDto {
  @ApiProperty({ description: 'the promoted topic' }) topicId!: string;
}

export class FaqItemDto {
  @ApiProperty() id!: string;
  @ApiProperty() spaceId!: string;
  @ApiProperty() question!: string;
  @ApiProperty({ description: 'Markdown as typed' }) answer!: string;
  @ApiProperty({ description: 'the answer rendered and sanitized' }) html!: string;
  @ApiProperty() category!: string;
  @ApiProperty() order!: number;
  @ApiProperty({ enum: FAQ_STATUSES }) status!: string;
  @ApiProperty() authorId!: string;
  @ApiProperty() authorName!: string;
  @ApiPropertyOptional({ description: 'the forum topic it was promoted from' }) fromTopicId?: string;
  @ApiProperty() createdAt!: string;
  @ApiProperty() updatedAt!: string;
  @ApiPropertyOptional() publishedAt?: string;
  @ApiProperty() revision!: number;
}

export class FaqPageDto {
  @ApiProperty({ type: [FaqItemDto] }) items!: FaqItemDto[];
  @ApiProperty({ type: String, nullable: true }) nextCursor!: string | null;
}
