import { Inject, Injectable } from '@nestjs/common';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import type { Actor, CommandMetadata, SpaceRights } from '#ruche/domain-kit';
import { NO_SPACE_RIGHTS } from '#ruche/domain-kit';
import type { EventStore } from '#ruche/eventstore';
import type { SqlDatabase } from '#ruche/projections';
import { CommandRunner, EVENT_STORE, READ_DB, RucheCommand, type Landed, type RequestMeta } from '#ruche/platform';
import { SpaceAccess } from '#ruche/spaces/nest';
import { documentDecider, type DocumentCommand } from '../document.decide.js';
import { documentStreamName, isDocumentEvent, type DocumentEvent, type DocumentState } from '../document.js';

/** Where a document command landed, with the document's content revision after it. */
export interface DocumentLanded extends Landed {
  /** The document's content revision (what `baseRevision` names), not the stream's revision. */
  documentRevision: number;
}

export interface CreateDocumentInput {
  title: string;
  body: string;
  competences: string[];
}

export interface UpdateDocumentInput {
  title?: string;
  competences?: string[];
}

/** Creates a fiche in a space; its id is the command's id, so a retried creation lands once. */
export class CreateDocumentCommand extends RucheCommand<DocumentLanded> {
  constructor(
    readonly spaceId: string,
    readonly input: CreateDocumentInput,
    actor: Actor,
    meta: RequestMeta,
    /** A fixed id, for seeds; otherwise the command id (a UUIDv7). */
    readonly documentId: string = meta.commandId,
  ) {
    super(actor, meta);
  }
}

/** PUT content: a new revision on top of `baseRevision`. */
export class WriteDocumentContentCommand extends RucheCommand<DocumentLanded> {
  constructor(
    readonly documentId: string,
    readonly body: string,
    readonly baseRevision: number,
    readonly summary: string | undefined,
    actor: Actor,
    meta: RequestMeta,
  ) {
    super(actor, meta);
  }
}

/** A new revision with the content of `revision`. */
export class RestoreDocumentRevisionCommand extends RucheCommand<DocumentLanded> {
  constructor(
    readonly documentId: string,
    readonly revision: number,
    readonly summary: string | undefined,
    actor: Actor,
    meta: RequestMeta,
  ) {
    super(actor, meta);
  }
}

/** PATCH: title and/or competences. */
export class UpdateDocumentCommand extends RucheCommand<DocumentLanded> {
  constructor(readonly documentId: string, readonly input: UpdateDocumentInput, actor: Actor, meta: RequestMeta) {
    super(actor, meta);
  }
}

/** One consultation (at most one per person, document and 30 minutes reaches the log). */
export class ReadDocumentCommand extends RucheCommand<DocumentLanded> {
  constructor(readonly documentId: string, actor: Actor, meta: RequestMeta) {
    super(actor, meta);
  }
}

const contentRevisionOf = (state: DocumentState): number => (state.status === 'active' ? state.revision : 0);

/**
 * Runs one document command on its stream: the actor's rights come from the space's stream (never
 * a read model that may lag), and the answer says where it landed and the content revision.
 */
@Injectable()
export class DocumentStreams {
  constructor(
    readonly runner: CommandRunner,
    private readonly access: SpaceAccess,
  ) {}

  /** The document's state (from the command side's cache plus what was appended since). */
  async state(documentId: string): Promise<DocumentState> {
    return (await this.runner.load(documentStreamName(documentId), documentDecider)).state;
  }

  /** The actor's rights in the document's space; none when there is no such document. */
  async rightsIn(state: DocumentState, actor: Actor): Promise<SpaceRights> {
    return state.status === 'active' ? this.access.forCommand(state.spaceId, actor) : NO_SPACE_RIGHTS;
  }

  async decide(
    command: RucheCommand<unknown>,
    documentId: string,
    build: (metadata: CommandMetadata, state: DocumentState) => DocumentCommand,
  ): Promise<DocumentLanded> {
    const streamName = documentStreamName(documentId);
    let decidedOn: DocumentState | undefined;
    const result = await this.runner.run(streamName, documentDecider, command, (metadata, state) => {
      decidedOn = state;
      return build(metadata, state);
    });
    const after = result.events.reduce<DocumentState | undefined>(
      (state, event) => (state ? documentDecider.evolve(state, event) : state),
      decidedOn,
    );
    // A replayed command (an Idempotency-Key retry) decided nothing this time: read the revision.
    const documentRevision = contentRevisionOf(after ?? (await this.state(documentId)));
    return { id: documentId, revision: result.revision, position: result.position, documentRevision };
  }
}

@CommandHandler(CreateDocumentCommand)
export class CreateDocumentHandler implements ICommandHandler<CreateDocumentCommand> {
  constructor(
    private readonly documents: DocumentStreams,
    private readonly access: SpaceAccess,
  ) {}

  async execute(command: CreateDocumentCommand): Promise<DocumentLanded> {
    const { spaceId, documentId, input, actor } = command;
    const rights = await this.access.forCommand(spaceId, actor);
    return this.documents.decide(command, documentId, (metadata) => ({
      type: 'CreateDocument',
      data: { documentId, spaceId, title: input.title, body: input.body, competences: input.competences, rights },
      metadata,
    }));
  }
}

@CommandHandler(WriteDocumentContentCommand)
export class WriteDocumentContentHandler implements ICommandHandler<WriteDocumentContentCommand> {
  constructor(private readonly documents: DocumentStreams) {}

  async execute(command: WriteDocumentContentCommand): Promise<DocumentLanded> {
    const { documentId, body, baseRevision, summary, actor } = command;
    const rights = await this.documents.rightsIn(await this.documents.state(documentId), actor);
    return this.documents.decide(command, documentId, (metadata) => ({
      type: 'WriteDocumentContent',
      data: { documentId, body, baseRevision, ...(summary === undefined ? {} : { summary }), rights },
      metadata,
    }));
  }
}

/**
 * The decider keeps no past bodies: the body of the revision to restore comes from the revisions
 * read model, or, when that one lags behind the stream, from the stream itself.
 */
@Injectable()
export class RevisionBodies {
  constructor(
    @Inject(READ_DB) private readonly db: SqlDatabase,
    @Inject(EVENT_STORE) private readonly store: EventStore,
  ) {}

  async find(documentId: string, revision: number): Promise<string | undefined> {
    const row = await this.db.queryOne<{ body: string }>(
      `SELECT body FROM document_revisions WHERE document_id = $1 AND revision = $2`,
      [documentId, revision],
    );
    if (row) return row.body;
    for (const event of await this.store.readStream(documentStreamName(documentId))) {
      if (!isDocumentEvent(event)) continue;
      const recorded = event as DocumentEvent;
      if ((recorded.type === 'DocumentCreated' || recorded.type === 'DocumentRevised') && recorded.data.revision === revision) {
        return recorded.data.body;
      }
    }
    return undefined;
  }
}

@CommandHandler(RestoreDocumentRevisionCommand)
export class RestoreDocumentRevisionHandler implements ICommandHandler<RestoreDocumentRevisionCommand> {
  constructor(
    private readonly documents: DocumentStreams,
    private readonly bodies: RevisionBodies,
  ) {}

  async execute(command: RestoreDocumentRevisionCommand): Promise<DocumentLanded> {
    const { documentId, revision, summary, actor } = command;
    const state = await this.documents.state(documentId);
    const rights = await this.documents.rightsIn(state, actor);
    // Look a body up only for someone who may restore, and a revision that exists: decide refuses the rest.
    const lookUp = rights.contribute && state.status === 'active' && Number.isSafeInteger(revision) && revision >= 1 && revision <= state.revision;
    const body = lookUp ? await this.bodies.find(documentId, revision) : undefined;
    return this.documents.decide(command, documentId, (metadata) => ({
      type: 'RestoreDocumentRevision',
      data: { documentId, revision, body, ...(summary === undefined ? {} : { summary }), rights },
      metadata,
    }));
  }
}

@CommandHandler(UpdateDocumentCommand)
export class UpdateDocumentHandler implements ICommandHandler<UpdateDocumentCommand> {
  constructor(private readonly documents: DocumentStreams) {}

  async execute(command: UpdateDocumentCommand): Promise<DocumentLanded> {
    const { documentId, input, actor } = command;
    const rights = await this.documents.rightsIn(await this.documents.state(documentId), actor);
    return this.documents.decide(command, documentId, (metadata) => ({
      type: 'UpdateDocument',
      data: {
        documentId,
        ...(input.title === undefined ? {} : { title: input.title }),
        ...(input.competences === undefined ? {} : { competences: input.competences }),
        rights,
      },
      metadata,
    }));
  }
}

@CommandHandler(ReadDocumentCommand)
export class ReadDocumentHandler implements ICommandHandler<ReadDocumentCommand> {
  constructor(private readonly documents: DocumentStreams) {}

  async execute(command: ReadDocumentCommand): Promise<DocumentLanded> {
    const { documentId, actor } = command;
    const rights = await this.documents.rightsIn(await this.documents.state(documentId), actor);
    return this.documents.decide(command, documentId, (metadata) => ({ type: 'ReadDocument', data: { documentId, rights }, metadata }));
  }
}

export const documentCommandHandlers = [
  DocumentStreams,
  RevisionBodies,
  CreateDocumentHandler,
  WriteDocumentContentHandler,
  RestoreDocumentRevisionHandler,
  UpdateDocumentHandler,
  ReadDocumentHandler,
];
