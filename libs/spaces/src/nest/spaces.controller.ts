import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query, UseInterceptors } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { ApiCookieAuth, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentUser, type SignedInUser } from '#ruche/identity/nest';
import { ApiPageResponse, Meta, MinPositionInterceptor, PageQueryDto, ReadsFrom, type Landed, type RequestMeta } from '#ruche/platform';
import type { SpaceKind } from '../space.js';
import {
  ApproveJoinRequestCommand,
  ChangeMemberRoleCommand,
  CreateSpaceCommand,
  InviteMemberCommand,
  JoinSpaceCommand,
  RejectJoinRequestCommand,
  RemoveMemberCommand,
  UpdateSpaceCommand,
} from './space.commands.js';
import {
  GetSpaceQuery,
  ListJoinRequestsQuery,
  ListMembersQuery,
  ListSpacesQuery,
  SpaceActivityQuery,
} from './space.queries.js';
import {
  ActivityItemDto,
  AddMemberDto,
  ChangeRoleDto,
  CreateSpaceDto,
  JoinRequestDto,
  LandedDto,
  ListSpacesQueryDto,
  MemberAddedDto,
  MemberDto,
  SpaceCardDto,
  SpaceIdParams,
  SpaceMemberParams,
  SpaceViewDto,
  UpdateSpaceDto,
} from './spaces.dto.js';

/** API.md, "Spaces and members". Thin: validate, send a command or a query, answer. */
@ApiTags('spaces')
@ApiCookieAuth()
@UseInterceptors(MinPositionInterceptor)
@ReadsFrom('spaces', 'users')
@Controller('api/spaces')
export class SpacesController {
  constructor(
    private readonly commands: CommandBus,
    private readonly queries: QueryBus,
  ) {}

  @Post()
  @ApiOperation({ summary: 'Create a space; the creator becomes its first manager' })
  @ApiCreatedResponse({ type: LandedDto })
  create(@Body() body: CreateSpaceDto, @CurrentUser() user: SignedInUser, @Meta() meta: RequestMeta): Promise<Landed> {
    return this.commands.execute(new CreateSpaceCommand(body, user, meta));
  }

  @Get()
  @ApiOperation({ summary: 'Spaces the caller may see; filters kind, uai, q' })
  @ApiPageResponse(SpaceCardDto, 'A page of spaces, by name')
  list(@Query() query: ListSpacesQueryDto, @CurrentUser() user: SignedInUser) {
    return this.queries.execute(new ListSpacesQuery(user, { ...query, kind: query.kind as SpaceKind | undefined }));
  }

  @Get(':id')
  @ReadsFrom('spaces', 'users', 'forum_topics')
  @ApiOperation({ summary: 'The space, with myRole' })
  @ApiOkResponse({ type: SpaceViewDto })
  get(@Param() { id }: SpaceIdParams, @CurrentUser() user: SignedInUser) {
    return this.queries.execute(new GetSpaceQuery(user, id));
  }

  @Patch(':id')
  @ApiOperation({ summary: 'Change name, description or visibility (manager)' })
  @ApiOkResponse({ type: LandedDto })
  update(@Param() { id }: SpaceIdParams, @Body() body: UpdateSpaceDto, @CurrentUser() user: SignedInUser, @Meta() meta: RequestMeta): Promise<Landed> {
    return this.commands.execute(new UpdateSpaceCommand(id, body, user, meta));
  }

  @Get(':id/members')
  @ApiOperation({ summary: 'Members with roles' })
  @ApiPageResponse(MemberDto, 'A page of members, in the order they joined')
  members(@Param() { id }: SpaceIdParams, @Query() page: PageQueryDto, @CurrentUser() user: SignedInUser) {
    return this.queries.execute(new ListMembersQuery(user, id, page.limit, page.cursor));
  }

  @Post(':id/members')
  @ApiOperation({ summary: 'Add a member by e-mail, registering them if new (manager)' })
  @ApiCreatedResponse({ type: MemberAddedDto })
  addMember(@Param() { id }: SpaceIdParams, @Body() body: AddMemberDto, @CurrentUser() user: SignedInUser, @Meta() meta: RequestMeta) {
    return this.commands.execute(new InviteMemberCommand(id, body.email, body.role, user, meta));
  }

  @Patch(':id/members/:userId')
  @HttpCode(200)
  @ApiOperation({ summary: "Change a member's role (manager; the last manager cannot be demoted)" })
  @ApiOkResponse({ type: LandedDto })
  changeRole(
    @Param() { id, userId }: SpaceMemberParams,
    @Body() body: ChangeRoleDto,
    @CurrentUser() user: SignedInUser,
    @Meta() meta: RequestMeta,
  ): Promise<Landed> {
    return this.commands.execute(new ChangeMemberRoleCommand(id, userId, body.role, user, meta));
  }

  @Delete(':id/members/:userId')
  @HttpCode(200)
  @ApiOperation({ summary: 'Remove a member (manager) or leave (self)' })
  @ApiOkResponse({ type: LandedDto })
  removeMember(@Param() { id, userId }: SpaceMemberParams, @CurrentUser() user: SignedInUser, @Meta() meta: RequestMeta): Promise<Landed> {
    return this.commands.execute(new RemoveMemberCommand(id, userId, user, meta));
  }

  @Post(':id/join')
  @HttpCode(200)
  @ApiOperation({ summary: 'Public: become contributor; restricted: ask to join' })
  @ApiOkResponse({ type: LandedDto })
  join(@Param() { id }: SpaceIdParams, @CurrentUser() user: SignedInUser, @Meta() meta: RequestMeta): Promise<Landed> {
    return this.commands.execute(new JoinSpaceCommand(id, user, meta));
  }

  @Get(':id/join-requests')
  @ApiOperation({ summary: 'Pending join requests (manager)' })
  @ApiPageResponse(JoinRequestDto, 'A page of pending requests, oldest first')
  joinRequests(@Param() { id }: SpaceIdParams, @Query() page: PageQueryDto, @CurrentUser() user: SignedInUser) {
    return this.queries.execute(new ListJoinRequestsQuery(user, id, page.limit, page.cursor));
  }

  @Post(':id/join-requests/:userId/approve')
  @HttpCode(200)
  @ApiOperation({ summary: 'Approve a join request (manager)' })
  @ApiOkResponse({ type: LandedDto })
  approve(@Param() { id, userId }: SpaceMemberParams, @CurrentUser() user: SignedInUser, @Meta() meta: RequestMeta): Promise<Landed> {
    return this.commands.execute(new ApproveJoinRequestCommand(id, userId, user, meta));
  }

  @Post(':id/join-requests/:userId/reject')
  @HttpCode(200)
  @ApiOperation({ summary: 'Reject a join request (manager)' })
  @ApiOkResponse({ type: LandedDto })
  reject(@Param() { id, userId }: SpaceMemberParams, @CurrentUser() user: SignedInUser, @Meta() meta: RequestMeta): Promise<Landed> {
    return this.commands.execute(new RejectJoinRequestCommand(id, userId, user, meta));
  }

  @Get(':id/activity')
  @ReadsFrom('space_activity', 'spaces', 'users')
  @ApiOperation({ summary: "The space's recent events, newest first" })
  @ApiPageResponse(ActivityItemDto, 'A page of events, newest first')
  activity(@Param() { id }: SpaceIdParams, @Query() page: PageQueryDto, @CurrentUser() user: SignedInUser) {
    return this.queries.execute(new SpaceActivityQuery(user, id, page.limit, page.cursor));
  }
}
