import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, IsUUID } from 'class-validator';
import { PageQueryDto } from '#ruche/platform';
import { SEARCH_QUERY_MAX, SEARCH_TYPES } from '../search-request.js';

export class SearchQueryDto extends PageQueryDto {
  // Blank and too long are checked by the domain (parseSearchText), which names `q` either way.
  @ApiProperty({ description: `French full-text query (accents and plurals folded), 1–${SEARCH_QUERY_MAX} characters`, example: 'évaluation compétences' })
  @IsOptional()
  @IsString({ message: 'q must be a string' })
  q?: string;

  @ApiPropertyOptional({ description: 'only this space (404 when it does not exist or is not yours to know)' })
  @IsOptional()
  @IsUUID('all', { message: 'spaceId must be a UUID' })
  spaceId?: string;

  @ApiPropertyOptional({ enum: SEARCH_TYPES, description: 'topic (title and opening post), post (a reply), faq, document (fiche PIX)' })
  @IsOptional()
  @IsIn(SEARCH_TYPES, { message: `type must be one of ${SEARCH_TYPES.join(', ')}` })
  type?: (typeof SEARCH_TYPES)[number];
}

export class SearchHitDto {
  @ApiProperty({ enum: SEARCH_TYPES }) type!: string;
  @ApiProperty({ description: "the topic's, reply's, FAQ entry's or fiche's id" }) id!: string;
  @ApiProperty() spaceId!: string;
  @ApiProperty() spaceName!: string;
  @ApiPropertyOptional({ description: 'topic and post hits' }) topicId?: string;
  @ApiPropertyOptional({ description: "a reply's id, a topic's opening post" }) postId?: string;
  @ApiPropertyOptional({ enum: ['draft', 'published'], description: 'FAQ hits' }) status?: string;
  @ApiProperty({ description: "the topic's title for a reply" }) title!: string;
  @ApiProperty({ description: 'HTML: escaped text with the matching words in <mark>…</mark>' }) excerpt!: string;
  @ApiProperty({ example: '/topics/0190…#post-0190…' }) url!: string;
  @ApiProperty() updatedAt!: string;
}

export class SearchPageDto {
  @ApiProperty({ type: [SearchHitDto] }) items!: SearchHitDto[];
  @ApiProperty({ type: String, nullable: true }) nextCursor!: string | null;
}
