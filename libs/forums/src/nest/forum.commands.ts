import { Inject, Injectable } from '@nestjs/common';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { type Actor, type CommandMetadata, DomainError, type SpaceRights } from '#ruche/domain-kit';
import type { SqlDatabase } from '#ruche/projections';
import type { EventStore } from '#ruche/eventstore';
import {
  CommandRunner,
  EVENT_STORE,
  MIN_POSITION_WAIT_MS,
  PROJECTION_RUNNER,
  READ_DB,
  RucheCommand,
  subCommandId,
  type Landed,
  type PositionWaiter,
  type RequestMeta,
} from '#ruche/platform';
import { SpaceAccess } from '#ruche/spaces/nest';
import { topicDecider, type TopicCommand } from '../topic.decide.js';
import { topicStreamName } from '../topic.js';

/** Where a command on a post landed: the post, its topic, and the topic stream's revision and position. */
export interface PostLanded extends Landed {
  topicId: string;
}

/** Where a new topic landed, with its opening post. */
export interface TopicLanded extends Landed {
  postId: string;
}

export interface OpenTopicInput {
  title: string;
  body: string;
  tags?: string[];
}

/** Opens a topic; its id is the command's id, its opening post's id derives from it (stable across retries). */
export class OpenTopicCommand extends RucheCommand<TopicLanded> {
  constructor(
    readonly spaceId: string,
    readonly input: OpenTopicInput,
    actor: Actor,
    meta: RequestMeta,
    /** A fixed id, for seeds; otherwise the command id (a UUIDv7). */
    readonly topicId: string = meta.commandId,
  ) {
    super(actor, meta);
  }
}

export class PostReplyCommand extends RucheCommand<PostLanded> {
  constructor(
    readonly topicId: string,
    readonly input: { body: string; replyTo?: string },
    actor: Actor,
    meta: RequestMeta,
    readonly postId: string = meta.commandId,
  ) {
    super(actor, meta);
  }
}

export class EditPostCommand extends RucheCommand<PostLanded> {
  constructor(readonly postId: string, readonly body: string, actor: Actor, meta: RequestMeta) {
    super(actor, meta);
  }
}

export class DeletePostCommand extends RucheCommand<PostLanded> {
  constructor(readonly postId: string, actor: Actor, meta: RequestMeta) {
    super(actor, meta);
  }
}

export type ModerationAction = 'pin' | 'unpin' | 'lock' | 'unlock';

/** Pin, unpin, lock or unlock a topic (managers). */
export class ModerateTopicCommand extends RucheCommand {
  constructor(readonly topicId: string, readonly action: ModerationAction, actor: Actor, meta: RequestMeta) {
    super(actor, meta);
  }
}

export class ChooseSolutionCommand extends RucheCommand {
  constructor(readonly topicId: string, readonly postId: string, actor: Actor, meta: RequestMeta) {
    super(actor, meta);
  }
}

export class ReactToPostCommand extends RucheCommand<PostLanded> {
  constructor(readonly postId: string, readonly emoji: string, readonly present: boolean, actor: Actor, meta: RequestMeta) {
    super(actor, meta);
  }
}

/** The caller has read the topic up to now. */
export class ReadTopicCommand extends RucheCommand {
  constructor(readonly topicId: string, actor: Actor, meta: RequestMeta) {
    super(actor, meta);
  }
}

const MODERATION: Record<ModerationAction, 'PinTopic' | 'UnpinTopic' | 'LockTopic' | 'UnlockTopic'> = {
  pin: 'PinTopic',
  unpin: 'UnpinTopic',
  lock: 'LockTopic',
  unlock: 'UnlockTopic',
};

/**
 * Runs topic commands on `topic-<id>` streams with the actor's rights in the topic's space
 * (from the space's stream, never from a read model that may lag).
 */
@Injectable()
export class TopicStreams {
  constructor(
    readonly runner: CommandRunner,
    private readonly access: SpaceAccess,
    @Inject(READ_DB) private readonly db: SqlDatabase,
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(PROJECTION_RUNNER) private readonly projections: PositionWaiter,
  ) {}

  /** The space a topic belongs to, from its stream (NOT_FOUND when there is no such topic). */
  async spaceOf(topicId: string): Promise<string> {
    const { state } = await this.runner.load(topicStreamName(topicId), topicDecider);
    if (state.status !== 'open') throw DomainError.notFound('Topic not found');
    return state.spaceId;
  }

  /**
   * The topic of a post, from the posts read model. A post the caller may not know about (none,
   * or in a private space they are not a member of) is NOT_FOUND alike.
   */
  async topicOfPost(postId: string, actor: Actor): Promise<{ topicId: string; rights: SpaceRights }> {
    let row = await this.postRow(postId);
    if (!row) {
      // A post written a moment ago may not be in the read model yet: wait (bounded) for it to
      // reach the log's head before answering 404, so that a client may edit what it just posted.
      const head = await this.store.headPosition();
      if (await this.projections.waitForPosition(head, MIN_POSITION_WAIT_MS, { projections: ['forum_posts'] })) row = await this.postRow(postId);
    }
    const rights = row ? await this.access.forCommand(row.space_id, actor) : undefined;
    if (!row || !rights?.mayKnow) throw DomainError.notFound('Post not found');
    return { topicId: row.topic_id, rights };
  }

  private postRow(postId: string): Promise<{ topic_id: string; space_id: string } | undefined> {
    return this.db.queryOne<{ topic_id: string; space_id: string }>(`SELECT topic_id, space_id FROM forum_posts WHERE id = $1`, [postId]);
  }

  rightsIn(spaceId: string, actor: Actor): Promise<SpaceRights> {
    return this.access.forCommand(spaceId, actor);
  }

  async decide(
    command: RucheCommand<unknown>,
    topicId: string,
    build: (metadata: CommandMetadata) => TopicCommand,
  ): Promise<{ revision: number; position: number }> {
    const result = await this.runner.run(topicStreamName(topicId), topicDecider, command, (metadata): TopicCommand => build(metadata));
    return { revision: result.revision, position: result.position };
  }

  /** Rights in the topic's space, then the decision. */
  async decideOnTopic(
    command: RucheCommand<unknown>,
    topicId: string,
    build: (metadata: CommandMetadata, rights: SpaceRights) => TopicCommand,
  ): Promise<Landed> {
    const rights = await this.rightsIn(await this.spaceOf(topicId), command.actor);
    return { id: topicId, ...(await this.decide(command, topicId, (metadata) => build(metadata, rights))) };
  }

  /** The post's topic and the rights in its space, then the decision. */
  async decideOnPost(
    command: RucheCommand<unknown>,
    postId: string,
    build: (metadata: CommandMetadata, rights: SpaceRights) => TopicCommand,
  ): Promise<PostLanded> {
    const { topicId, rights } = await this.topicOfPost(postId, command.actor);
    return { id: postId, topicId, ...(await this.decide(command, topicId, (metadata) => build(metadata, rights))) };
  }
}

@CommandHandler(OpenTopicCommand)
export class OpenTopicHandler implements ICommandHandler<OpenTopicCommand> {
  constructor(private readonly topics: TopicStreams) {}

  async execute(command: OpenTopicCommand): Promise<TopicLanded> {
    const { spaceId, topicId, input, actor, meta } = command;
    const rights = await this.topics.rightsIn(spaceId, actor);
    const postId = subCommandId(meta.commandId, 'opening-post');
    const landed = await this.topics.decide(command, topicId, (metadata) => ({
      type: 'OpenTopic',
      data: { topicId, spaceId, postId, title: input.title, body: input.body, tags: input.tags, rights },
      metadata,
    }));
    return { id: topicId, postId, ...landed };
  }
}

@CommandHandler(PostReplyCommand)
export class PostReplyHandler implements ICommandHandler<PostReplyCommand> {
  constructor(private readonly topics: TopicStreams) {}

  async execute(command: PostReplyCommand): Promise<PostLanded> {
    const { topicId, postId, input } = command;
    const landed = await this.topics.decideOnTopic(command, topicId, (metadata, rights) => ({
      type: 'PostReply',
      data: { postId, body: input.body, replyTo: input.replyTo ?? null, rights },
      metadata,
    }));
    return { ...landed, id: postId, topicId };
  }
}

@CommandHandler(EditPostCommand)
export class EditPostHandler implements ICommandHandler<EditPostCommand> {
  constructor(private readonly topics: TopicStreams) {}

  execute(command: EditPostCommand): Promise<PostLanded> {
    const { postId, body } = command;
    return this.topics.decideOnPost(command, postId, (metadata, rights) => ({ type: 'EditPost', data: { postId, body, rights }, metadata }));
  }
}

@CommandHandler(DeletePostCommand)
export class DeletePostHandler implements ICommandHandler<DeletePostCommand> {
  constructor(private readonly topics: TopicStreams) {}

  execute(command: DeletePostCommand): Promise<PostLanded> {
    const { postId } = command;
    return this.topics.decideOnPost(command, postId, (metadata, rights) => ({ type: 'DeletePost', data: { postId, rights }, metadata }));
  }
}

@CommandHandler(ModerateTopicCommand)
export class ModerateTopicHandler implements ICommandHandler<ModerateTopicCommand> {
  constructor(private readonly topics: TopicStreams) {}

  execute(command: ModerateTopicCommand): Promise<Landed> {
    const type = MODERATION[command.action];
    return this.topics.decideOnTopic(command, command.topicId, (metadata, rights) => ({ type, data: { rights }, metadata }));
  }
}

@CommandHandler(ChooseSolutionCommand)
export class ChooseSolutionHandler implements ICommandHandler<ChooseSolutionCommand> {
  constructor(private readonly topics: TopicStreams) {}

  execute(command: ChooseSolutionCommand): Promise<Landed> {
    const { topicId, postId } = command;
    return this.topics.decideOnTopic(command, topicId, (metadata, rights) => ({ type: 'ChooseSolution', data: { postId, rights }, metadata }));
  }
}

@CommandHandler(ReactToPostCommand)
export class ReactToPostHandler implements ICommandHandler<ReactToPostCommand> {
  constructor(private readonly topics: TopicStreams) {}

  execute(command: ReactToPostCommand): Promise<PostLanded> {
    const { postId, emoji, present } = command;
    return this.topics.decideOnPost(command, postId, (metadata, rights) => ({
      type: present ? 'AddReaction' : 'RemoveReaction',
      data: { postId, emoji, rights },
      metadata,
    }));
  }
}

@CommandHandler(ReadTopicCommand)
export class ReadTopicHandler implements ICommandHandler<ReadTopicCommand> {
  constructor(private readonly topics: TopicStreams) {}

  execute(command: ReadTopicCommand): Promise<Landed> {
    return this.topics.decideOnTopic(command, command.topicId, (metadata, rights) => ({ type: 'ReadTopic', data: { rights }, metadata }));
  }
}

export const forumCommandHandlers = [
  TopicStreams,
  OpenTopicHandler,
  PostReplyHandler,
  EditPostHandler,
  DeletePostHandler,
  ModerateTopicHandler,
  ChooseSolutionHandler,
  ReactToPostHandler,
  ReadTopicHandler,
];
