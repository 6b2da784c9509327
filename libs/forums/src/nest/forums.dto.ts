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

// Answers, for the OpenAPI document only (forum.queries.ts builds them).

export class TopicItemDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() title!: string;
  @ApiProperty({ type: [String], example: ['pix', 'orga'] }) tags!: string[];
  @ApiProperty({ format: 'uuid' }) authorId!: string;
  @ApiProperty() authorName!: string;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ type: 'integer' }) replyCount!: number;
  @ApiProperty({ format: 'date-time' }) lastActivityAt!: string;
  @ApiProperty() pinned!: boolean;
  @ApiProperty() locked!: boolean;
  @ApiProperty({ description: 'a reply was chosen as the solution' }) solved!: boolean;
  @ApiProperty({ description: 'posts were written since the caller last read the topic (or they never did)' }) unread!: boolean;
}

export class TopicPermissionsDto {
  @ApiProperty() reply!: boolean;
  @ApiProperty({ description: 'pin, unpin, lock and unlock it (managers)' }) moderate!: boolean;
  @ApiProperty() chooseSolution!: boolean;
}

export class TopicViewDto extends TopicItemDto {
  @ApiProperty({ format: 'uuid' }) spaceId!: string;
  @ApiProperty({ format: 'uuid' }) openingPostId!: string;
  @ApiProperty({ type: String, format: 'uuid', nullable: true }) solutionPostId!: string | null;
  @ApiProperty({ type: 'integer', description: "revision of the topic stream's last event" }) revision!: number;
  @ApiProperty({ type: () => TopicPermissionsDto, description: 'what the caller may do here' }) permissions!: TopicPermissionsDto;
}

export class PostDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ format: 'uuid' }) authorId!: string;
  @ApiProperty() authorName!: string;
  @ApiProperty({ description: "Markdown as typed; '' once deleted" }) body!: string;
  @ApiProperty({ description: "the body rendered and sanitized; '' once deleted" }) html!: string;
  @ApiProperty({ type: String, format: 'uuid', nullable: true, description: 'the post it quotes' }) replyTo!: string | null;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) editedAt!: string | null;
  @ApiProperty({ description: 'a placeholder for a deleted post' }) deleted!: boolean;
  @ApiProperty({ type: 'integer', description: 'how many versions the post has had' }) version!: number;
  @ApiProperty({ type: 'object', additionalProperties: { type: 'integer' }, example: { '👍': 2 }, description: 'emoji → how many people added it (absent when nobody did)' })
  reactions!: Record<string, number>;
  @ApiProperty({ enum: REACTION_EMOJIS, isArray: true, description: 'the emojis the caller added' }) mine!: string[];
}

export class PostPageDto {
  @ApiProperty({ type: [PostDto] }) items!: PostDto[];
  @ApiProperty({ type: String, nullable: true, description: 'send it as ?cursor= for the next page; null on the last one' }) nextCursor!: string | null;
}

export class TopicPageDto {
  @ApiProperty({ type: () => TopicViewDto }) topic!: TopicViewDto;
  @ApiProperty({ type: () => PostPageDto, description: 'a page of its posts, oldest first' }) posts!: PostPageDto;
}

export class PostVersionDto {
  @ApiProperty({ type: 'integer' }) version!: number;
  @ApiProperty({ description: "Markdown; '' once the post is deleted" }) body!: string;
  @ApiProperty({ description: "rendered and sanitized; '' once the post is deleted" }) html!: string;
  @ApiProperty({ format: 'date-time' }) at!: string;
  @ApiProperty({ format: 'uuid', description: 'who wrote this version' }) by!: string;
  @ApiProperty() byName!: string;
}

export class PostVersionsDto {
  @ApiProperty({ format: 'uuid' }) postId!: string;
  @ApiProperty({ format: 'uuid' }) topicId!: string;
  @ApiProperty() deleted!: boolean;
  @ApiProperty({ type: [PostVersionDto], description: 'oldest first' }) items!: PostVersionDto[];
}
