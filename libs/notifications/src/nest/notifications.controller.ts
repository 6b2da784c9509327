import { Body, Controller, Get, HttpCode, Post, Query, UseInterceptors } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { ApiCookieAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentUser, type SignedInUser } from '#ruche/identity/nest';
import { Meta, MinPositionInterceptor, ReadsFrom, type RequestMeta } from '#ruche/platform';
import { MarkNotificationsReadCommand, type NotificationsReadLanded } from './notifications.commands.js';
import { ListNotificationsQueryDto, MarkNotificationsReadDto, NotificationPageDto, NotificationsReadLandedDto } from './notifications.dto.js';
import { ListNotificationsQuery, type NotificationPage } from './notifications.queries.js';

/** API.md, "Notifications": the caller's own, newest first. */
@ApiTags('notifications')
@ApiCookieAuth()
@UseInterceptors(MinPositionInterceptor)
@ReadsFrom('notifications', 'spaces', 'users')
@Controller('api/me/notifications')
export class NotificationsController {
  constructor(
    private readonly commands: CommandBus,
    private readonly queries: QueryBus,
  ) {}

  @Get()
  @ApiOperation({ summary: 'My notifications, newest first; ?unread=1 for the unread ones' })
  @ApiOkResponse({ type: NotificationPageDto })
  list(@Query() query: ListNotificationsQueryDto, @CurrentUser() user: SignedInUser): Promise<NotificationPage> {
    const unread = query.unread === '1' || query.unread === 'true';
    return this.queries.execute(new ListNotificationsQuery(user, { unread, limit: query.limit, cursor: query.cursor }));
  }

  @Post('read')
  @HttpCode(200)
  @ApiOperation({ summary: 'Marks my notifications read up to `upTo` (a position; default: all so far)' })
  @ApiOkResponse({ type: NotificationsReadLandedDto })
  read(@Body() body: MarkNotificationsReadDto, @CurrentUser() user: SignedInUser, @Meta() meta: RequestMeta): Promise<NotificationsReadLanded> {
    return this.commands.execute(new MarkNotificationsReadCommand(body.upTo, user, meta));
  }
}
