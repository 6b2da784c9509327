import { Global, Module } from '@nestjs/common';
import { SpacesModule, UNREAD_TOPICS } from '#ruche/spaces/nest';
import { forumCommandHandlers } from './forum.commands.js';
import { forumQueryHandlers, UnreadTopics } from './forum.queries.js';
import { ForumsController } from './forums.controller.js';

/**
 * Gives the spaces context (GET /api/spaces/:id) the caller's unread topics without importing
 * the forums: global, so that SpacesModule's optional UNREAD_TOPICS finds it.
 */
@Global()
@Module({
  providers: [UnreadTopics, { provide: UNREAD_TOPICS, useExisting: UnreadTopics }],
  exports: [UNREAD_TOPICS],
})
export class ForumReadMarksModule {}

@Module({
  imports: [SpacesModule, ForumReadMarksModule],
  controllers: [ForumsController],
  providers: [...forumCommandHandlers, ...forumQueryHandlers],
})
export class ForumsModule {}
