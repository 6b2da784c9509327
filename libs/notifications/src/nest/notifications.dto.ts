import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, Min } from 'class-validator';
import { PageQueryDto } from '#ruche/platform';
import { NOTIFICATION_KINDS } from '../notifications.js';

export class ListNotificationsQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ enum: ['1', '0', 'true', 'false'], description: '1: unread ones only' })
  @IsOptional()
  @IsIn(['1', '0', 'true', 'false'], { message: 'unread must be 1 or 0' })
  unread?: string;
}

export class MarkNotificationsReadDto {
  @ApiPropertyOptional({ description: 'a log position: marks read every notification up to it (default: all so far)' })
  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: 'upTo must be a log position (an integer)' })
  @Min(0, { message: 'upTo must be a log position (an integer >= 0)' })
  upTo?: number;
}

export class NotificationItemDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ enum: NOTIFICATION_KINDS }) kind!: string;
  @ApiProperty() position!: number;
  @ApiProperty({ format: 'uuid' }) spaceId!: string;
  @ApiPropertyOptional({ format: 'uuid' }) topicId?: string;
  @ApiPropertyOptional({ format: 'uuid' }) documentId?: string;
  @ApiPropertyOptional({ format: 'uuid' }) postId?: string;
  @ApiProperty({ format: 'uuid', description: 'who acted' }) by!: string;
  @ApiProperty() byName!: string;
  @ApiProperty() spaceName!: string;
  @ApiPropertyOptional() topicTitle?: string;
  @ApiProperty({ format: 'date-time' }) at!: string;
  @ApiProperty() read!: boolean;
}

export class NotificationPageDto {
  @ApiProperty({ type: [NotificationItemDto] }) items!: NotificationItemDto[];
  @ApiProperty({ type: String, nullable: true }) nextCursor!: string | null;
  @ApiProperty({ description: 'unread notifications in all pages' }) unreadCount!: number;
}

export class NotificationsReadLandedDto {
  @ApiProperty({ format: 'uuid', description: 'the caller' }) id!: string;
  @ApiProperty() revision!: number;
  @ApiProperty() position!: number;
  @ApiProperty() readUpTo!: number;
}
