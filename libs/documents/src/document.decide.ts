import {
  type Actor,
  type Decider,
  type DomainCommand,
  DomainError,
  parsePixCompetences,
  type PixCompetenceCode,
  requireMarkdown,
  requireText,
  type SpaceRights,
} from '#ruche/domain-kit';
import {
  DOCUMENT_EVENT_SCHEMA_VERSIONS,
  DOCUMENT_READ_WINDOW_MINUTES,
  DOCUMENT_SUMMARY_MAX,
  DOCUMENT_TITLE_MAX,
  type DocumentEvent,
  type DocumentState,
  evolveDocument,
  initialDocumentState,
  type PixDocument,
} from './document.js';

/*
 * Every command carries `rights`: what the actor may do in the document's space, computed by the
 * handler from the space's stream (SpaceAccess.forCommand). The rules: a space the actor may not
 * know makes its documents not found; readers read; contributors (and managers, and the dane)
 * create, write, retitle, re-tag and restore.
 */

/** Creates a fiche in `spaceId`: its first revision. */
export type CreateDocument = DomainCommand<
  'CreateDocument',
  { documentId: string; spaceId: string; title: unknown; body: unknown; competences: unknown; rights: SpaceRights }
>;

/**
 * Writes a new content on top of `baseRevision`, the revision the author started from. A stale
 * base is a CONFLICT that carries the current revision and body, so the client can merge; a base
 * in the future is a VALIDATION error; the same body as the current one changes nothing.
 */
export type WriteDocumentContent = DomainCommand<
  'WriteDocumentContent',
  { documentId: string; body: unknown; baseRevision: unknown; summary?: unknown; rights: SpaceRights }
>;

/**
 * Makes a new revision with the content of `revision`. The decider keeps no past bodies: the
 * handler looks the old body up (read model, or the stream) and passes it as `body`; undefined
 * when it found none, which is refused as NOT_FOUND on `revision`.
 */
export type RestoreDocumentRevision = DomainCommand<
  'RestoreDocumentRevision',
  { documentId: string; revision: unknown; body: string | undefined; summary?: unknown; rights: SpaceRights }
>;

/** Changes the title and/or the competences (PATCH: absent fields stay). Not a content revision. */
export type UpdateDocument = DomainCommand<
  'UpdateDocument',
  { documentId: string; title?: unknown; competences?: unknown; rights: SpaceRights }
>;

/**
 * The actor consulted the fiche: one DocumentRead per person, document and
 * DOCUMENT_READ_WINDOW_MINUTES, so reloads do not flood the log.
 */
export type ReadDocument = DomainCommand<'ReadDocument', { documentId: string; rights: SpaceRights }>;

export type DocumentCommand = CreateDocument | WriteDocumentContent | RestoreDocumentRevision | UpdateDocument | ReadDocument;

export type DocumentCommandType = DocumentCommand['type'];

const parseTitle = (value: unknown): string => requireText(value, 'title', { min: 1, max: DOCUMENT_TITLE_MAX });
const parseBody = (value: unknown): string => requireMarkdown(value, 'body');
const parseCompetences = (value: unknown): PixCompetenceCode[] => parsePixCompetences(value, 'competences');

/** An optional summary: trimmed, at most 300 characters; blank or absent means none. */
function parseSummary(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  const summary = requireText(value, 'summary', { min: 0, max: DOCUMENT_SUMMARY_MAX });
  return summary === '' ? undefined : summary;
}

function parseRevisionNumber(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
    throw DomainError.validation(field, `${field} must be a revision number (an integer from 1)`);
  }
  return value;
}

/** A revision that does not exist: 404, naming the field that asked for it. */
function revisionNotFound(field: string, revision: unknown): DomainError {
  return new DomainError('NOT_FOUND', `This document has no revision ${String(revision)}`, field);
}

function parseId(value: unknown, field: string): string {
  if (typeof value !== 'string' || value.trim() === '') throw DomainError.validation(field, `${field} must be given`);
  return value;
}

function actorOf(command: DocumentCommand): Actor {
  const actor = command.metadata.actor;
  if (!actor?.userId) throw DomainError.unauthenticated();
  return actor;
}

const sameList = (a: readonly string[], b: readonly string[]): boolean => a.length === b.length && a.every((x, i) => x === b[i]);

/** NOT_FOUND for no document or a space the actor may not know; FORBIDDEN when they may not read it. */
function requireReadable(state: DocumentState, rights: SpaceRights): PixDocument {
  if (state.status !== 'active' || !rights.mayKnow) throw DomainError.notFound('Document not found');
  if (!rights.read) throw DomainError.forbidden('Only members read the documents of this space');
  return state;
}

function requireWritable(state: DocumentState, rights: SpaceRights): PixDocument {
  const document = requireReadable(state, rights);
  if (!rights.contribute) throw DomainError.forbidden('Only the contributors and managers of this space edit its documents');
  return document;
}

function stampOf(command: DocumentCommand, actor: Actor, document: { documentId: string; spaceId: string }) {
  return { documentId: document.documentId, spaceId: document.spaceId, at: command.metadata.now.toISOString(), by: actor.userId };
}

function createDocument(command: CreateDocument, state: DocumentState): DocumentEvent[] {
  const actor = actorOf(command);
  const { data } = command;
  if (!data.rights.mayKnow) throw DomainError.notFound('Space not found');
  if (!data.rights.read || !data.rights.contribute) {
    throw DomainError.forbidden('Only the contributors and managers of this space create documents');
  }
  const documentId = parseId(data.documentId, 'documentId');
  const spaceId = parseId(data.spaceId, 'spaceId');
  const title = parseTitle(data.title);
  const body = parseBody(data.body);
  const competences = parseCompetences(data.competences);
  if (state.status !== 'none') throw DomainError.conflict('This document already exists');
  return [
    { type: 'DocumentCreated', data: { title, body, competences, revision: 1, ...stampOf(command, actor, { documentId, spaceId }) } },
  ];
}

function writeContent(command: WriteDocumentContent, state: DocumentState): DocumentEvent[] {
  const actor = actorOf(command);
  const document = requireWritable(state, command.data.rights);
  const body = parseBody(command.data.body);
  const baseRevision = parseRevisionNumber(command.data.baseRevision, 'baseRevision');
  const summary = parseSummary(command.data.summary);
  if (baseRevision > document.revision) {
    throw DomainError.validation('baseRevision', `baseRevision ${baseRevision} does not exist yet: the document is at revision ${document.revision}`);
  }
  // The same content as the current one is already there, whatever base the client had.
  if (body === document.currentBody) return [];
  if (baseRevision < document.revision) {
    throw DomainError.conflict(`The document changed since revision ${baseRevision}: merge with revision ${document.revision} and try again`, {
      currentRevision: document.revision,
      currentBody: document.currentBody,
    });
  }
  return [
    {
      type: 'DocumentRevised',
      data: { revision: document.revision + 1, body, ...(summary ? { summary } : {}), ...stampOf(command, actor, document) },
    },
  ];
}

function restoreRevision(command: RestoreDocumentRevision, state: DocumentState): DocumentEvent[] {
  const actor = actorOf(command);
  const document = requireWritable(state, command.data.rights);
  const { revision: asked, body } = command.data;
  if (typeof asked !== 'number' || !Number.isSafeInteger(asked) || asked < 1 || asked > document.revision || typeof body !== 'string') {
    throw revisionNotFound('revision', asked);
  }
  const summary = parseSummary(command.data.summary);
  if (body === document.currentBody) return [];
  return [
    {
      type: 'DocumentRevised',
      data: {
        revision: document.revision + 1,
        body,
        ...(summary ? { summary } : {}),
        restoredFrom: asked,
        ...stampOf(command, actor, document),
      },
    },
  ];
}

function updateDocument(command: UpdateDocument, state: DocumentState): DocumentEvent[] {
  const actor = actorOf(command);
  const document = requireWritable(state, command.data.rights);
  const title = command.data.title === undefined ? undefined : parseTitle(command.data.title);
  const competences = command.data.competences === undefined ? undefined : parseCompetences(command.data.competences);
  const stamp = stampOf(command, actor, document);
  const events: DocumentEvent[] = [];
  if (title !== undefined && title !== document.title) events.push({ type: 'DocumentRetitled', data: { title, ...stamp } });
  if (competences !== undefined && !sameList(competences, document.competences)) {
    events.push({
      type: 'DocumentCompetencesChanged',
      data: { competences, previousCompetences: [...document.competences], ...stamp },
    });
  }
  return events;
}

const READ_WINDOW_MS = DOCUMENT_READ_WINDOW_MINUTES * 60_000;

function readDocument(command: ReadDocument, state: DocumentState): DocumentEvent[] {
  const actor = actorOf(command);
  const document = requireReadable(state, command.data.rights);
  const last = document.lastReadAt.get(actor.userId);
  if (last !== undefined && command.metadata.now.getTime() - Date.parse(last) < READ_WINDOW_MS) return [];
  return [{ type: 'DocumentRead', data: { userId: actor.userId, ...stampOf(command, actor, document) } }];
}

/**
 * Decides a document command against the document's state: throws a DomainError before building
 * any event, returns [] when there is nothing to do. Errors come in this order: NOT_FOUND (no
 * document, or a space the actor may not know), FORBIDDEN, VALIDATION, CONFLICT.
 */
export function decideDocument(command: DocumentCommand, state: DocumentState): DocumentEvent[] {
  switch (command.type) {
    case 'CreateDocument':
      return createDocument(command, state);
    case 'WriteDocumentContent':
      return writeContent(command, state);
    case 'RestoreDocumentRevision':
      return restoreRevision(command, state);
    case 'UpdateDocument':
      return updateDocument(command, state);
    case 'ReadDocument':
      return readDocument(command, state);
    default: {
      const _exhaustive: never = command;
      throw new Error(`Unknown document command ${(command as { type: string }).type}`);
    }
  }
}

/** The `document-<id>` stream's decider. */
export const documentDecider: Decider<DocumentCommand, DocumentEvent, DocumentState> = {
  decide: decideDocument,
  evolve: evolveDocument,
  initialState: initialDocumentState,
  eventSchemaVersions: DOCUMENT_EVENT_SCHEMA_VERSIONS,
};
