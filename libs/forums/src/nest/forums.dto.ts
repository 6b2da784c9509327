import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsIn, IsOptional, IsString, IsUUID, Matches, MaxLength } from 'class-validator';
import { PageQueryDto } from '#ruche/platform';
import { REACTION_EMOJIS, TAG_MAX_LENGTH, TAGS_MAX, TOPIC_TITLE_MAX } from '../topic.js';

/*
 * The DTOs check types and shapes; the domain (topic.decide.ts) checks the rules (lengths, tag
 * words, the reaction allow-list, 200 kB bodies → 413), so that each rule lives in one place and
 * answers a problem naming the same field either way. Bodies have no @MaxLength: a body over
 * 200 kB must reach the domain to be answered 413.
 */

export class OpenTopicDto {
  @ApiProperty({ example: 'Activer PIX Orga dans l’ENT', maxLength: TOPIC_TITLE_MAX })
  @IsString()
  title!: string;

  @ApiProperty({ description: 'Markdown, at most 200 kB', example: 'Comment active-t-on **PIX Orga** ?' })
  @IsString()
  body!: string;

  @ApiPropertyOptional({
    type: [String],
    maxItems: TAGS_MAX,
    description: `short words: 1 to ${TAG_MAX_LENGTH} letters, digits, '-' or '_' (lower-cased)`,
    example: ['pix', 'orga'],
  })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(100)
  @IsString({ each: true })
  tags?: string[];
}

export class PostReplyDto {
  @ApiProperty({ description: 'Markdown, at most 200 kB' })
  @IsString()
  body!: string;

  @ApiPropertyOptional({ description: 'the post of this topic being quoted' })
  @IsOptional()
  @IsUUID('all', { message: 'replyTo must be a UUID' })
  replyTo?: string;
}

export class EditPostDto {
  @ApiProperty({ description: 'Markdown, at most 200 kB; the earlier versions are kept' })
  @IsString()
  body!: string;
}

export class ChooseSolutionDto {
  @ApiProperty({ description: 'a reply of this topic' })
  @IsUUID('all', { message: 'postId must be a UUID' })
  postId!: string;
}

export class ReactionDto {
  @ApiProperty({ enum: REACTION_EMOJIS })
  @IsString()
  @MaxLength(16)
  emoji!: string;
}

export class TopicIdParams {
  @IsUUID('all', { message: 'id must be a UUID' })
  id!: string;
}

export class PostIdParams {
  @IsUUID('all', { message: 'id must be a UUID' })
  id!: string;
}

export class ReactionParams extends PostIdParams {
  @IsString()
  @MaxLength(16)
  emoji!: string;
}

export const TOPIC_SORTS = ['latest', 'unanswered'] as const;

export class ListTopicsQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ enum: TOPIC_SORTS, default: 'latest', description: 'latest: pinned first, then by latest activity; unanswered: no reply yet' })
  @IsOptional()
  @IsIn(TOPIC_SORTS, { message: `sort must be one of ${TOPIC_SORTS.join(', ')}` })
  sort?: (typeof TOPIC_SORTS)[number];

  @ApiPropertyOptional({ description: 'only the topics with this tag' })
  @IsOptional()
  @IsString()
  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim().normalize('NFC').toLowerCase() : value))
  @Matches(/^[\p{L}\p{N}][\p{L}\p{N}_-]{0,29}$/u, { message: `tag must be a short word (1 to ${TAG_MAX_LENGTH} letters, digits, '-' or '_')` })
  tag?: string;
}

export class TopicLandedDto {
  @ApiProperty({ description: 'the topic' }) id!: string;
  @ApiProperty({ description: 'its opening post' }) postId!: string;
  @ApiProperty() revision!: number;
  @ApiProperty({ description: 'send it as X-Min-Position to read your write' }) position!: number;
}

export class PostLandedDto {
  @ApiProperty({ description: 'the post' }) id!: string;
  @ApiProperty() topicId!: string;
  @ApiProperty() revision!: number;
  @ApiProperty({ description: 'send it as X-Min-Position to read your write' }) position!: number;
}
