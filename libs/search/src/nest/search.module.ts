import { Module } from '@nestjs/common';
import { SpacesModule } from '#ruche/spaces/nest';
import { SearchController } from './search.controller.js';
import { searchQueryHandlers } from './search.queries.js';

/** GET /api/search; its index is `searchProjections(dialect)`, given to the projection runner. */
@Module({
  imports: [SpacesModule],
  controllers: [SearchController],
  providers: [...searchQueryHandlers],
})
export class SearchModule {}
