import { Body, Controller, Get, HttpCode, Param, Patch, Post, Query, UseInterceptors } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { ApiCookieAuth, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentUser, type SignedInUser } from '#ruche/identity/nest';
import { Meta, MinPositionInterceptor, ReadsFrom, type Landed, type Page, type RequestMeta } from '#ruche/platform';
import {
  DraftFaqEntryCommand,
  EditFaqEntryCommand,
  PromoteTopicToFaqCommand,
  PublishFaqEntryCommand,
  UnpublishFaqEntryCommand,
  type PromotedToFaq,
} from './faq.commands.js';
import {
  DraftFaqEntryDto,
  EditFaqEntryDto,
  FaqIdParams,
  FaqItemDto,
  FaqLandedDto,
  FaqPageDto,
  ListFaqQueryDto,
  PromotedToFaqDto,
  PromoteTopicToFaqDto,
} from './faq.dto.js';
import { GetFaqEntryQuery, ListFaqQuery, type FaqItem } from './faq.queries.js';

/** API.md, "FAQ". Thin: validate, send a command or a query, answer. */
@ApiTags('faq')
@ApiCookieAuth()
@UseInterceptors(MinPositionInterceptor)
@ReadsFrom('faq', 'spaces', 'users')
@Controller('api')
export class FaqController {
  constructor(
    private readonly commands: CommandBus,
    private readonly queries: QueryBus,
  ) {}

  @Post('spaces/:id/faq')
  @ApiOperation({ summary: 'Draft an FAQ entry (contributor); it starts as a draft' })
  @ApiCreatedResponse({ type: FaqLandedDto })
  draft(@Param() { id }: FaqIdParams, @Body() body: DraftFaqEntryDto, @CurrentUser() user: SignedInUser, @Meta() meta: RequestMeta): Promise<Landed> {
    return this.commands.execute(new DraftFaqEntryCommand(id, body, user, meta));
  }

  @Get('spaces/:id/faq')
  @ApiOperation({ summary: "The space's FAQ by category and order: published entries, drafts too for managers and their authors; ?q= searches" })
  @ApiOkResponse({ type: FaqPageDto })
  list(@Param() { id }: FaqIdParams, @Query() query: ListFaqQueryDto, @CurrentUser() user: SignedInUser): Promise<Page<FaqItem>> {
    return this.queries.execute(new ListFaqQuery(user, id, query));
  }

  @Get('faq/:id')
  @ApiOperation({ summary: 'One FAQ entry (a draft: its author and the managers only)' })
  @ApiOkResponse({ type: FaqItemDto })
  get(@Param() { id }: FaqIdParams, @CurrentUser() user: SignedInUser): Promise<FaqItem> {
    return this.queries.execute(new GetFaqEntryQuery(user, id));
  }

  @Patch('faq/:id')
  @ApiOperation({ summary: 'Edit question, answer, category (the author of a draft, managers) or order (managers)' })
  @ApiOkResponse({ type: FaqLandedDto })
  edit(@Param() { id }: FaqIdParams, @Body() body: EditFaqEntryDto, @CurrentUser() user: SignedInUser, @Meta() meta: RequestMeta): Promise<Landed> {
    return this.commands.execute(new EditFaqEntryCommand(id, body, user, meta));
  }

  @Post('faq/:id/publish')
  @HttpCode(200)
  @ApiOperation({ summary: 'Publish an entry (manager)' })
  @ApiOkResponse({ type: FaqLandedDto })
  publish(@Param() { id }: FaqIdParams, @CurrentUser() user: SignedInUser, @Meta() meta: RequestMeta): Promise<Landed> {
    return this.commands.execute(new PublishFaqEntryCommand(id, user, meta));
  }

  @Post('faq/:id/unpublish')
  @HttpCode(200)
  @ApiOperation({ summary: 'Take an entry back to draft (manager)' })
  @ApiOkResponse({ type: FaqLandedDto })
  unpublish(@Param() { id }: FaqIdParams, @CurrentUser() user: SignedInUser, @Meta() meta: RequestMeta): Promise<Landed> {
    return this.commands.execute(new UnpublishFaqEntryCommand(id, user, meta));
  }

  @Post('topics/:id/promote-to-faq')
  @ApiOperation({ summary: 'A solved topic becomes a draft entry (managers, the topic author); 409 without a solution or when already promoted' })
  @ApiCreatedResponse({ type: PromotedToFaqDto })
  promote(
    @Param() { id }: FaqIdParams,
    @Body() body: PromoteTopicToFaqDto,
    @CurrentUser() user: SignedInUser,
    @Meta() meta: RequestMeta,
  ): Promise<PromotedToFaq> {
    return this.commands.execute(new PromoteTopicToFaqCommand(id, body, user, meta));
  }
}
