import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query, UseInterceptors } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { ApiCookieAuth, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentUser, type SignedInUser } from '#ruche/identity/nest';
import { ApiPageResponse, Meta, MinPositionInterceptor, PageQueryDto, ReadsFrom, type Landed, type RequestMeta } from '#ruche/platform';
import { LandedDto, SpaceIdParams } from '#ruche/spaces/nest';
import {
  ChooseSolutionCommand,
  DeletePostCommand,
  EditPostCommand,
  ModerateTopicCommand,
  OpenTopicCommand,
  PostReplyCommand,
  ReactToPostCommand,
  ReadTopicCommand,
  type ModerationAction,
  type PostLanded,
  type TopicLanded,
} from './forum.commands.js';
import { GetTopicQuery, ListTopicsQuery, PostVersionsQuery } from './forum.queries.js';
import {
  ChooseSolutionDto,
  EditPostDto,
  ListTopicsQueryDto,
  OpenTopicDto,
  PostIdParams,
  PostLandedDto,
  PostReplyDto,
  PostVersionsDto,
  ReactionDto,
  ReactionParams,
  TopicIdParams,
  TopicItemDto,
  TopicLandedDto,
  TopicPageDto,
} from './forums.dto.js';

/** API.md, "Forums". Thin: validate, send a command or a query, answer. */
@ApiTags('forums')
@ApiCookieAuth()
@UseInterceptors(MinPositionInterceptor)
@ReadsFrom('forum_topics', 'forum_posts', 'spaces', 'users')
@Controller('api')
export class ForumsController {
  constructor(
    private readonly commands: CommandBus,
    private readonly queries: QueryBus,
  ) {}

  @Post('spaces/:id/topics')
  @ApiOperation({ summary: 'Open a topic (contributor)' })
  @ApiCreatedResponse({ type: TopicLandedDto })
  open(@Param() { id }: SpaceIdParams, @Body() body: OpenTopicDto, @CurrentUser() user: SignedInUser, @Meta() meta: RequestMeta): Promise<TopicLanded> {
    return this.commands.execute(new OpenTopicCommand(id, body, user, meta));
  }

  @Get('spaces/:id/topics')
  @ReadsFrom('forum_topics', 'spaces', 'users')
  @ApiOperation({ summary: 'Topics of a space: pinned first then latest activity, or unanswered ones; filter by tag' })
  @ApiPageResponse(TopicItemDto, 'A page of topics')
  list(@Param() { id }: SpaceIdParams, @Query() query: ListTopicsQueryDto, @CurrentUser() user: SignedInUser) {
    return this.queries.execute(new ListTopicsQuery(user, id, query));
  }

  @Get('topics/:id')
  @ApiOperation({ summary: 'A topic and a page of its posts (deleted ones as placeholders)' })
  @ApiOkResponse({ type: TopicPageDto })
  get(@Param() { id }: TopicIdParams, @Query() page: PageQueryDto, @CurrentUser() user: SignedInUser) {
    return this.queries.execute(new GetTopicQuery(user, id, page.limit, page.cursor));
  }

  @Post('topics/:id/read')
  @HttpCode(200)
  @ApiOperation({ summary: 'The caller has read the topic: clears its unread mark, counts one consultation per 30 minutes' })
  @ApiOkResponse({ type: LandedDto })
  read(@Param() { id }: TopicIdParams, @CurrentUser() user: SignedInUser, @Meta() meta: RequestMeta): Promise<Landed> {
    return this.commands.execute(new ReadTopicCommand(id, user, meta));
  }

  @Post('topics/:id/posts')
  @ApiOperation({ summary: 'Reply (contributor); 409 if the topic is locked' })
  @ApiCreatedResponse({ type: PostLandedDto })
  reply(@Param() { id }: TopicIdParams, @Body() body: PostReplyDto, @CurrentUser() user: SignedInUser, @Meta() meta: RequestMeta): Promise<PostLanded> {
    return this.commands.execute(new PostReplyCommand(id, body, user, meta));
  }

  @Patch('posts/:id')
  @ApiOperation({ summary: 'Edit a post (author or manager); earlier versions are kept' })
  @ApiOkResponse({ type: PostLandedDto })
  edit(@Param() { id }: PostIdParams, @Body() body: EditPostDto, @CurrentUser() user: SignedInUser, @Meta() meta: RequestMeta): Promise<PostLanded> {
    return this.commands.execute(new EditPostCommand(id, body.body, user, meta));
  }

  @Get('posts/:id/versions')
  @ApiOperation({ summary: 'Every version of a post (author or manager)' })
  @ApiOkResponse({ type: PostVersionsDto })
  versions(@Param() { id }: PostIdParams, @CurrentUser() user: SignedInUser) {
    return this.queries.execute(new PostVersionsQuery(user, id));
  }

  @Delete('posts/:id')
  @HttpCode(200)
  @ApiOperation({ summary: 'Delete a post (author or manager); the thread keeps a placeholder' })
  @ApiOkResponse({ type: PostLandedDto })
  remove(@Param() { id }: PostIdParams, @CurrentUser() user: SignedInUser, @Meta() meta: RequestMeta): Promise<PostLanded> {
    return this.commands.execute(new DeletePostCommand(id, user, meta));
  }

  @Post('topics/:id/pin')
  @HttpCode(200)
  @ApiOperation({ summary: 'Pin a topic (manager)' })
  @ApiOkResponse({ type: LandedDto })
  pin(@Param() { id }: TopicIdParams, @CurrentUser() user: SignedInUser, @Meta() meta: RequestMeta): Promise<Landed> {
    return this.moderate(id, 'pin', user, meta);
  }

  @Post('topics/:id/unpin')
  @HttpCode(200)
  @ApiOperation({ summary: 'Unpin a topic (manager)' })
  @ApiOkResponse({ type: LandedDto })
  unpin(@Param() { id }: TopicIdParams, @CurrentUser() user: SignedInUser, @Meta() meta: RequestMeta): Promise<Landed> {
    return this.moderate(id, 'unpin', user, meta);
  }

  @Post('topics/:id/lock')
  @HttpCode(200)
  @ApiOperation({ summary: 'Lock a topic: nobody may reply (manager)' })
  @ApiOkResponse({ type: LandedDto })
  lock(@Param() { id }: TopicIdParams, @CurrentUser() user: SignedInUser, @Meta() meta: RequestMeta): Promise<Landed> {
    return this.moderate(id, 'lock', user, meta);
  }

  @Post('topics/:id/unlock')
  @HttpCode(200)
  @ApiOperation({ summary: 'Unlock a topic (manager)' })
  @ApiOkResponse({ type: LandedDto })
  unlock(@Param() { id }: TopicIdParams, @CurrentUser() user: SignedInUser, @Meta() meta: RequestMeta): Promise<Landed> {
    return this.moderate(id, 'unlock', user, meta);
  }

  @Post('topics/:id/solution')
  @HttpCode(200)
  @ApiOperation({ summary: "Choose a reply as the topic's solution (topic author or manager)" })
  @ApiOkResponse({ type: LandedDto })
  solution(@Param() { id }: TopicIdParams, @Body() body: ChooseSolutionDto, @CurrentUser() user: SignedInUser, @Meta() meta: RequestMeta): Promise<Landed> {
    return this.commands.execute(new ChooseSolutionCommand(id, body.postId, user, meta));
  }

  @Post('posts/:id/reactions')
  @HttpCode(200)
  @ApiOperation({ summary: 'Add a reaction from the allow-list (contributor); adding it again does nothing' })
  @ApiOkResponse({ type: PostLandedDto })
  react(@Param() { id }: PostIdParams, @Body() body: ReactionDto, @CurrentUser() user: SignedInUser, @Meta() meta: RequestMeta): Promise<PostLanded> {
    return this.commands.execute(new ReactToPostCommand(id, body.emoji, true, user, meta));
  }

  @Delete('posts/:id/reactions/:emoji')
  @HttpCode(200)
  @ApiOperation({ summary: 'Remove your reaction (the emoji URL-encoded); removing an absent one does nothing' })
  @ApiOkResponse({ type: PostLandedDto })
  unreact(@Param() { id, emoji }: ReactionParams, @CurrentUser() user: SignedInUser, @Meta() meta: RequestMeta): Promise<PostLanded> {
    return this.commands.execute(new ReactToPostCommand(id, emoji, false, user, meta));
  }

  private moderate(topicId: string, action: ModerationAction, user: SignedInUser, meta: RequestMeta): Promise<Landed> {
    return this.commands.execute(new ModerateTopicCommand(topicId, action, user, meta));
  }
}
