import { Body, Controller, Get, HttpCode, Param, Patch, Post, Put, Query, UseInterceptors } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { ApiCookieAuth, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentUser, type SignedInUser } from '#ruche/identity/nest';
import { ApiPageResponse, Meta, MinPositionInterceptor, PageQueryDto, ReadsFrom, type RequestMeta } from '#ruche/platform';
import { SpaceIdParams } from '#ruche/spaces/nest';
import {
  CreateDocumentCommand,
  type DocumentLanded,
  ReadDocumentCommand,
  RestoreDocumentRevisionCommand,
  UpdateDocumentCommand,
  WriteDocumentContentCommand,
} from './document.commands.js';
import { DiffRevisionsQuery, GetDocumentQuery, GetRevisionQuery, ListDocumentsQuery, ListRevisionsQuery } from './document.queries.js';
import {
  CreateDocumentDto,
  DiffQueryDto,
  DocumentIdParams,
  DocumentLandedDto,
  DocumentListItemDto,
  DocumentViewDto,
  ListDocumentsQueryDto,
  RestoreRevisionDto,
  RevisionDiffDto,
  RevisionItemDto,
  RevisionParams,
  RevisionViewDto,
  UpdateDocumentDto,
  WriteContentDto,
} from './documents.dto.js';

/** API.md, "Shared PIX documents". Thin: validate, send a command or a query, answer. */
@ApiTags('documents')
@ApiCookieAuth()
@UseInterceptors(MinPositionInterceptor)
@ReadsFrom('documents', 'spaces', 'users')
@Controller('api')
export class DocumentsController {
  constructor(
    private readonly commands: CommandBus,
    private readonly queries: QueryBus,
  ) {}

  @Post('spaces/:id/documents')
  @ApiOperation({ summary: 'Create a fiche PIX (contributor)' })
  @ApiCreatedResponse({ type: DocumentLandedDto })
  create(@Param() { id }: SpaceIdParams, @Body() body: CreateDocumentDto, @CurrentUser() user: SignedInUser, @Meta() meta: RequestMeta): Promise<DocumentLanded> {
    return this.commands.execute(new CreateDocumentCommand(id, body, user, meta));
  }

  @Get('spaces/:id/documents')
  @ApiOperation({ summary: "The space's fiches, latest changed first; filters competence and q (title)" })
  @ApiPageResponse(DocumentListItemDto, 'A page of fiches, latest changed first')
  list(@Param() { id }: SpaceIdParams, @Query() query: ListDocumentsQueryDto, @CurrentUser() user: SignedInUser) {
    return this.queries.execute(new ListDocumentsQuery(user, id, query));
  }

  @Get('documents/:id')
  @ApiOperation({ summary: 'The current revision, with competences and contributors' })
  @ApiOkResponse({ type: DocumentViewDto })
  get(@Param() { id }: DocumentIdParams, @CurrentUser() user: SignedInUser) {
    return this.queries.execute(new GetDocumentQuery(user, id));
  }

  @Post('documents/:id/read')
  @HttpCode(200)
  @ApiOperation({ summary: 'Counts one consultation (one per person, document and 30 minutes)' })
  @ApiOkResponse({ type: DocumentLandedDto })
  read(@Param() { id }: DocumentIdParams, @CurrentUser() user: SignedInUser, @Meta() meta: RequestMeta): Promise<DocumentLanded> {
    return this.commands.execute(new ReadDocumentCommand(id, user, meta));
  }

  @Put('documents/:id/content')
  @ApiOperation({ summary: 'A new revision on top of baseRevision; 409 with the current revision and body when stale' })
  @ApiOkResponse({ type: DocumentLandedDto })
  writeContent(
    @Param() { id }: DocumentIdParams,
    @Body() body: WriteContentDto,
    @CurrentUser() user: SignedInUser,
    @Meta() meta: RequestMeta,
  ): Promise<DocumentLanded> {
    return this.commands.execute(new WriteDocumentContentCommand(id, body.body, body.baseRevision, body.summary, user, meta));
  }

  @Patch('documents/:id')
  @ApiOperation({ summary: 'Change the title and/or the competences (contributor)' })
  @ApiOkResponse({ type: DocumentLandedDto })
  update(@Param() { id }: DocumentIdParams, @Body() body: UpdateDocumentDto, @CurrentUser() user: SignedInUser, @Meta() meta: RequestMeta): Promise<DocumentLanded> {
    return this.commands.execute(new UpdateDocumentCommand(id, body, user, meta));
  }

  @Get('documents/:id/revisions')
  @ApiOperation({ summary: 'The history, newest first: author, time, summary, size' })
  @ApiPageResponse(RevisionItemDto, 'A page of revisions, newest first')
  revisions(@Param() { id }: DocumentIdParams, @Query() page: PageQueryDto, @CurrentUser() user: SignedInUser) {
    return this.queries.execute(new ListRevisionsQuery(user, id, page.limit, page.cursor));
  }

  @Get('documents/:id/revisions/:rev')
  @ApiOperation({ summary: 'One revision, with its body and html' })
  @ApiOkResponse({ type: RevisionViewDto })
  revision(@Param() { id, rev }: RevisionParams, @CurrentUser() user: SignedInUser) {
    return this.queries.execute(new GetRevisionQuery(user, id, rev));
  }

  @Get('documents/:id/diff')
  @ApiOperation({ summary: 'A line diff between two revisions: hunks of { op: add|del|eq, text } lines, and the unified diff' })
  @ApiOkResponse({ type: RevisionDiffDto })
  diff(@Param() { id }: DocumentIdParams, @Query() { from, to }: DiffQueryDto, @CurrentUser() user: SignedInUser) {
    return this.queries.execute(new DiffRevisionsQuery(user, id, from, to));
  }

  @Post('documents/:id/restore')
  @HttpCode(200)
  @ApiOperation({ summary: 'A new revision with the content of an earlier one' })
  @ApiOkResponse({ type: DocumentLandedDto })
  restore(@Param() { id }: DocumentIdParams, @Body() body: RestoreRevisionDto, @CurrentUser() user: SignedInUser, @Meta() meta: RequestMeta): Promise<DocumentLanded> {
    return this.commands.execute(new RestoreDocumentRevisionCommand(id, body.revision, body.summary, user, meta));
  }
}
