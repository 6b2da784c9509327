import { Controller, Get, Query, UseInterceptors } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { ApiCookieAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentUser, type SignedInUser } from '#ruche/identity/nest';
import { MinPositionInterceptor, ReadsFrom, type Page } from '#ruche/platform';
import { SearchPageDto, SearchQueryDto } from './search.dto.js';
import { SEARCH_PROJECTION } from './search.projection.js';
import { SearchQuery, type SearchHit } from './search.queries.js';

/** API.md, "Search". */
@ApiTags('search')
@ApiCookieAuth()
@UseInterceptors(MinPositionInterceptor)
@ReadsFrom(SEARCH_PROJECTION, 'spaces')
@Controller('api')
export class SearchController {
  constructor(private readonly queries: QueryBus) {}

  @Get('search')
  @ApiOperation({ summary: 'French full-text search over the topics, replies, FAQ entries and fiches PIX you may read, best first' })
  @ApiOkResponse({ type: SearchPageDto })
  search(@Query() query: SearchQueryDto, @CurrentUser() user: SignedInUser): Promise<Page<SearchHit>> {
    const { q, spaceId, type, limit, cursor } = query;
    return this.queries.execute(new SearchQuery(user, { q, spaceId, type, limit, cursor }));
  }
}
