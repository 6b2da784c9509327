import { Injectable } from '@nestjs/common';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { v5 as uuidv5 } from 'uuid';
import { type Actor, type CommandMetadata, NO_SPACE_RIGHTS } from '#ruche/domain-kit';
import { CommandRunner, RucheCommand, type Landed, type RequestMeta } from '#ruche/platform';
import { SpaceAccess } from '#ruche/spaces/nest';
import { faqEntryDecider, type FaqCommand } from '../faq-entry.decide.js';
import { faqStreamName } from '../faq-entry.js';
import { TopicsForFaq } from './topic-to-promote.js';

export interface DraftFaqEntryInput {
  question: string;
  answer: string;
  category?: string;
}

export interface EditFaqEntryInput {
  question?: string;
  answer?: string;
  category?: string;
  order?: number;
}

/** A contributor drafts an entry in a space; its id is the command's id (stable across retries). */
export class DraftFaqEntryCommand extends RucheCommand {
  constructor(
    readonly spaceId: string,
    readonly input: DraftFaqEntryInput,
    actor: Actor,
    meta: RequestMeta,
    /** A fixed id, for seeds; otherwise the command id (a UUIDv7). */
    readonly entryId: string = meta.commandId,
  ) {
    super(actor, meta);
  }
}

export class EditFaqEntryCommand extends RucheCommand {
  constructor(readonly entryId: string, readonly input: EditFaqEntryInput, actor: Actor, meta: RequestMeta) {
    super(actor, meta);
  }
}

export class PublishFaqEntryCommand extends RucheCommand {
  constructor(readonly entryId: string, actor: Actor, meta: RequestMeta) {
    super(actor, meta);
  }
}

export class UnpublishFaqEntryCommand extends RucheCommand {
  constructor(readonly entryId: string, actor: Actor, meta: RequestMeta) {
    super(actor, meta);
  }
}

/** Answered by promote-to-faq: where the new entry landed, and the topic it came from. */
export type PromotedToFaq = Landed & { topicId: string };

export class PromoteTopicToFaqCommand extends RucheCommand<PromotedToFaq> {
  constructor(readonly topicId: string, readonly input: { category?: string }, actor: Actor, meta: RequestMeta) {
    super(actor, meta);
  }
}

const PROMOTED_ENTRY_NAMESPACE = 'b0f7c3d2-5e1a-4f8b-9c6d-3a2e1f0b7d94';

/**
 * The entry a topic is promoted to: derived from the topic's id, so a topic lands in the FAQ
 * once (promoting it again finds the stream taken: 409 naming that entry), whoever asks.
 */
export function promotedEntryId(topicId: string): string {
  return uuidv5(`faq-from-topic:${topicId}`, PROMOTED_ENTRY_NAMESPACE);
}

/** Runs one FAQ command on its entry's stream, with the actor's rights in the entry's space. */
@Injectable()
export class FaqStreams {
  constructor(
    readonly runner: CommandRunner,
    private readonly access: SpaceAccess,
  ) {}

  async decide(command: RucheCommand<unknown>, entryId: string, build: (metadata: CommandMetadata) => FaqCommand): Promise<Landed> {
    const result = await this.runner.run(faqStreamName(entryId), faqEntryDecider, command, (metadata) => build(metadata));
    return { id: entryId, revision: result.revision, position: result.position };
  }

  /**
   * The actor's rights in the space of an existing entry (its space never changes). No entry:
   * no rights, and the decider answers 404 as for any entry the actor may not see.
   */
  async rightsOnEntry(entryId: string, actor: Actor) {
    const { state } = await this.runner.load(faqStreamName(entryId), faqEntryDecider);
    return state.status === 'none' ? NO_SPACE_RIGHTS : this.access.forCommand(state.spaceId, actor);
  }

  rightsInSpace(spaceId: string, actor: Actor) {
    return this.access.forCommand(spaceId, actor);
  }
}

@CommandHandler(DraftFaqEntryCommand)
export class DraftFaqEntryHandler implements ICommandHandler<DraftFaqEntryCommand> {
  constructor(private readonly faq: FaqStreams) {}

  async execute(command: DraftFaqEntryCommand): Promise<Landed> {
    const { spaceId, entryId, input, actor } = command;
    const rights = await this.faq.rightsInSpace(spaceId, actor);
    return this.faq.decide(command, entryId, (metadata) => ({ type: 'DraftFaqEntry', data: { entryId, spaceId, rights, ...input }, metadata }));
  }
}

@CommandHandler(EditFaqEntryCommand)
export class EditFaqEntryHandler implements ICommandHandler<EditFaqEntryCommand> {
  constructor(private readonly faq: FaqStreams) {}

  async execute(command: EditFaqEntryCommand): Promise<Landed> {
    const { entryId, input, actor } = command;
    const rights = await this.faq.rightsOnEntry(entryId, actor);
    return this.faq.decide(command, entryId, (metadata) => ({ type: 'EditFaqEntry', data: { rights, ...input }, metadata }));
  }
}

@CommandHandler(PublishFaqEntryCommand)
export class PublishFaqEntryHandler implements ICommandHandler<PublishFaqEntryCommand> {
  constructor(private readonly faq: FaqStreams) {}

  async execute(command: PublishFaqEntryCommand): Promise<Landed> {
    const rights = await this.faq.rightsOnEntry(command.entryId, command.actor);
    return this.faq.decide(command, command.entryId, (metadata) => ({ type: 'PublishFaqEntry', data: { rights }, metadata }));
  }
}

@CommandHandler(UnpublishFaqEntryCommand)
export class UnpublishFaqEntryHandler implements ICommandHandler<UnpublishFaqEntryCommand> {
  constructor(private readonly faq: FaqStreams) {}

  async execute(command: UnpublishFaqEntryCommand): Promise<Landed> {
    const rights = await this.faq.rightsOnEntry(command.entryId, command.actor);
    return this.faq.decide(command, command.entryId, (metadata) => ({ type: 'UnpublishFaqEntry', data: { rights }, metadata }));
  }
}

@CommandHandler(PromoteTopicToFaqCommand)
export class PromoteTopicToFaqHandler implements ICommandHandler<PromoteTopicToFaqCommand> {
  constructor(
    private readonly faq: FaqStreams,
    private readonly topics: TopicsForFaq,
  ) {}

  async execute(command: PromoteTopicToFaqCommand): Promise<PromotedToFaq> {
    const { topicId, input, actor } = command;
    const topic = await this.topics.load(topicId);
    const rights = topic ? await this.faq.rightsInSpace(topic.spaceId, actor) : NO_SPACE_RIGHTS;
    const entryId = promotedEntryId(topicId);
    const landed = await this.faq.decide(command, entryId, (metadata) => ({
      type: 'PromoteTopicToFaq',
      data: { entryId, rights, topic, ...input },
      metadata,
    }));
    return { ...landed, topicId };
  }
}

export const faqCommandHandlers = [
  FaqStreams,
  TopicsForFaq,
  DraftFaqEntryHandler,
  EditFaqEntryHandler,
  PublishFaqEntryHandler,
  UnpublishFaqEntryHandler,
  PromoteTopicToFaqHandler,
];
