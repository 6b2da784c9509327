import type { DomainEvent, EventSchemaVersions, PixCompetenceCode } from '#ruche/domain-kit';

/** Fiches PIX live in streams `document-<documentId>`. */
export const DOCUMENT_STREAM_CATEGORY = 'document';

export function documentStreamName(documentId: string): string {
  return `${DOCUMENT_STREAM_CATEGORY}-${documentId}`;
}

export const DOCUMENT_TITLE_MAX = 200;
export const DOCUMENT_SUMMARY_MAX = 300;

/** One consultation per person, document and this many minutes (reloads do not flood the log). */
export const DOCUMENT_READ_WINDOW_MINUTES = 30;

/**
 * Every document event names its document and space, and says when (`at`, ISO 8601 UTC) and who
 * (`by`, the actor's user id), so indicators count them without loading anything else.
 */
interface Stamp {
  documentId: string;
  spaceId: string;
  at: string;
  by: string;
}

/**
 * A fiche was created in a space: its first revision (always 1) with the creator as author.
 * `competences` are PIX codes, without duplicates, in the framework's order.
 */
export type DocumentCreated = DomainEvent<
  'DocumentCreated',
  { title: string; body: string; competences: PixCompetenceCode[]; revision: 1 } & Stamp
>;

/**
 * The content changed: revision `revision` (the previous one + 1) has `body`, written by `by`.
 * `summary` is the author's note (absent when none); `restoredFrom` names the revision whose
 * content a restore brought back.
 */
export type DocumentRevised = DomainEvent<
  'DocumentRevised',
  { revision: number; body: string; summary?: string; restoredFrom?: number } & Stamp
>;

/** The title changed (trimmed, 1–200 characters). Not a content revision. */
export type DocumentRetitled = DomainEvent<'DocumentRetitled', { title: string } & Stamp>;

/**
 * The PIX competences the fiche serves changed. `previousCompetences` lets a per-competence
 * count move by increments without a lookup. Not a content revision.
 */
export type DocumentCompetencesChanged = DomainEvent<
  'DocumentCompetencesChanged',
  { competences: PixCompetenceCode[]; previousCompetences: PixCompetenceCode[] } & Stamp
>;

/**
 * One consultation of the fiche by `userId` (= `by`): written only when that user's previous one
 * on this document is at least DOCUMENT_READ_WINDOW_MINUTES old.
 */
export type DocumentRead = DomainEvent<'DocumentRead', { userId: string } & Stamp>;

export type DocumentEvent = DocumentCreated | DocumentRevised | DocumentRetitled | DocumentCompetencesChanged | DocumentRead;

export type DocumentEventType = DocumentEvent['type'];

/** The shape version each document event is written with. */
export const DOCUMENT_EVENT_SCHEMA_VERSIONS: EventSchemaVersions<DocumentEventType> = {
  DocumentCreated: 1,
  DocumentRevised: 1,
  DocumentRetitled: 1,
  DocumentCompetencesChanged: 1,
  DocumentRead: 1,
};

/** Every event type of a `document-` stream, for the API layer to register. */
export const documentEventTypes = Object.keys(DOCUMENT_EVENT_SCHEMA_VERSIONS) as readonly DocumentEventType[];

export function isDocumentEvent(event: { type: string }): event is DocumentEvent {
  return (documentEventTypes as readonly string[]).includes(event.type);
}

/**
 * A fiche as its decisions need it. Only the current body is kept (a stale write answers it, and
 * an identical write is a no-op): never the bodies of earlier revisions, so that a document of a
 * thousand revisions weighs what a fresh one does in the command side's cache.
 */
export interface PixDocument {
  status: 'active';
  documentId: string;
  spaceId: string;
  title: string;
  competences: readonly PixCompetenceCode[];
  /** The current revision number (1 after creation). */
  revision: number;
  currentBody: string;
  createdBy: string;
  /** userId → `at` of their latest DocumentRead. */
  lastReadAt: ReadonlyMap<string, string>;
}

/** A document stream's state: nothing yet, or the document. */
export type DocumentState = { status: 'none' } | PixDocument;

export function initialDocumentState(): DocumentState {
  return { status: 'none' };
}

export function evolveDocument(state: DocumentState, event: DocumentEvent): DocumentState {
  if (event.type === 'DocumentCreated') {
    const { documentId, spaceId, title, body, competences, by } = event.data;
    return {
      status: 'active',
      documentId,
      spaceId,
      title,
      competences: [...competences],
      revision: 1,
      currentBody: body,
      createdBy: by,
      lastReadAt: new Map(),
    };
  }
  // Anything before DocumentCreated is not a document's history: ignore it.
  if (state.status !== 'active') return state;
  switch (event.type) {
    case 'DocumentRevised':
      return { ...state, revision: event.data.revision, currentBody: event.data.body };
    case 'DocumentRetitled':
      return { ...state, title: event.data.title };
    case 'DocumentCompetencesChanged':
      return { ...state, competences: [...event.data.competences] };
    case 'DocumentRead':
      return { ...state, lastReadAt: new Map(state.lastReadAt).set(event.data.userId, event.data.at) };
    default: {
      // Unknown types (from a newer writer) leave the state as it is.
      const _exhaustive: never = event;
      return state;
    }
  }
}
