import { Inject } from '@nestjs/common';
import { Query, QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { type Actor, DomainError, isPixCompetence, pixCompetenceLabel, type PixCompetenceCode } from '#ruche/domain-kit';
import { renderMarkdown } from '#ruche/markdown';
import type { SqlDatabase, SqlValue } from '#ruche/projections';
import { decodeCursor, DEFAULT_PAGE_SIZE, READ_DB, toPage, type Page } from '#ruche/platform';
import { SpaceAccess } from '#ruche/spaces/nest';
import { diffRevisions, type RevisionDiff } from '../document.diff.js';
import { splitCompetences, type DocumentRow as DocumentsTableRow } from './documents.projection.js';

export interface CompetenceView {
  code: PixCompetenceCode;
  label: string;
}

export interface PersonView {
  id: string;
  displayName: string;
}

export interface DocumentListItem {
  id: string;
  spaceId: string;
  title: string;
  excerpt: string;
  competences: CompetenceView[];
  revision: number;
  createdBy: string;
  createdAt: string;
  updatedAt: string;
  views: number;
}

export interface DocumentView extends Omit<DocumentListItem, 'excerpt'> {
  body: string;
  /** The body rendered and sanitized (libs/markdown). */
  html: string;
  /** Everyone who wrote a revision, in the order they first did. */
  contributors: PersonView[];
  /** What the caller may do with it. */
  permissions: { edit: boolean };
}

export interface RevisionItem {
  revision: number;
  author: PersonView;
  at: string;
  summary: string | null;
  /** The body's size in bytes (UTF-8). */
  size: number;
  /** The revision whose content a restore brought back. */
  restoredFrom: number | null;
}

export interface RevisionView extends RevisionItem {
  documentId: string;
  body: string;
  html: string;
}

export interface ListDocumentsFilter {
  competence?: string;
  q?: string;
  limit?: number;
  cursor?: string;
}

export class ListDocumentsQuery extends Query<Page<DocumentListItem>> {
  constructor(readonly actor: Actor, readonly spaceId: string, readonly filter: ListDocumentsFilter) {
    super();
  }
}
export class GetDocumentQuery extends Query<DocumentView> {
  constructor(readonly actor: Actor, readonly documentId: string) {
    super();
  }
}
export class ListRevisionsQuery extends Query<Page<RevisionItem>> {
  constructor(readonly actor: Actor, readonly documentId: string, readonly limit?: number, readonly cursor?: string) {
    super();
  }
}
export class GetRevisionQuery extends Query<RevisionView> {
  constructor(readonly actor: Actor, readonly documentId: string, readonly revision: number) {
    super();
  }
}
export class DiffRevisionsQuery extends Query<RevisionDiff> {
  constructor(readonly actor: Actor, readonly documentId: string, readonly from: number, readonly to: number) {
    super();
  }
}

type DocumentRow = Pick<
  DocumentsTableRow,
  'id' | 'space_id' | 'title' | 'excerpt' | 'competences' | 'revision' | 'created_by' | 'created_at' | 'updated_at' | 'views'
>;

const competenceViews = (column: string): CompetenceView[] =>
  splitCompetences(column)
    .filter(isPixCompetence)
    .map((code) => ({ code, label: pixCompetenceLabel(code) }));

function toListItem(row: DocumentRow): DocumentListItem {
  return {
    id: row.id,
    spaceId: row.space_id,
    title: row.title,
    excerpt: row.excerpt,
    competences: competenceViews(row.competences),
    revision: Number(row.revision),
    createdBy: row.created_by,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    views: Number(row.views),
  };
}

/** `%` and `_` in a search are literal characters, not wildcards. */
function likePattern(q: string): string {
  return `%${q.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

const documentNotFound = (): DomainError => DomainError.notFound('Document not found');

/**
 * The document's space, checked for the caller: a document that does not exist and one in a
 * space the caller may not know give the same 404; a restricted space's non-member gets 403.
 */
async function requireReadableDocument(db: SqlDatabase, access: SpaceAccess, documentId: string, actor: Actor) {
  const row = await db.queryOne<{ space_id: string }>(`SELECT space_id FROM documents WHERE id = $1`, [documentId]);
  const space = row ? await access.of(row.space_id, actor) : undefined;
  if (!space) throw documentNotFound();
  if (!space.read) throw DomainError.forbidden('Only members read the documents of this space');
  return space;
}

@QueryHandler(ListDocumentsQuery)
export class ListDocumentsHandler implements IQueryHandler<ListDocumentsQuery> {
  constructor(
    @Inject(READ_DB) private readonly db: SqlDatabase,
    private readonly access: SpaceAccess,
  ) {}

  async execute({ actor, spaceId, filter }: ListDocumentsQuery): Promise<Page<DocumentListItem>> {
    await this.access.requireRead(spaceId, actor);
    const limit = filter.limit ?? DEFAULT_PAGE_SIZE;
    const params: SqlValue[] = [];
    const param = (value: SqlValue): string => {
      params.push(value);
      return `$${params.length}`;
    };
    const where = [`d.space_id = ${param(spaceId)}`];
    if (filter.competence !== undefined) {
      where.push(`d.id IN (SELECT c.document_id FROM document_competences c WHERE c.space_id = d.space_id AND c.code = ${param(filter.competence)})`);
    }
    // A plain substring of the title for now; French full-text search is libs/search's.
    if (filter.q) where.push(`d.title_lower LIKE ${param(likePattern(filter.q))} ESCAPE '\\'`);
    const after = decodeCursor(filter.cursor, 2);
    if (after) {
      const [updatedAt, id] = [param(String(after[0])), param(String(after[1]))];
      where.push(`(d.updated_at < ${updatedAt} OR (d.updated_at = ${updatedAt} AND d.id < ${id}))`);
    }
    const rows = await this.db.query<DocumentRow>(
      `SELECT d.id, d.space_id, d.title, d.excerpt, d.competences, d.revision, d.created_by, d.created_at, d.updated_at, d.views
         FROM documents d WHERE ${where.join(' AND ')}
        ORDER BY d.updated_at DESC, d.id DESC LIMIT ${param(limit + 1)}`,
      params,
    );
    return toPage(rows, limit, toListItem, (r) => [r.updated_at, r.id]);
  }
}

@QueryHandler(GetDocumentQuery)
export class GetDocumentHandler implements IQueryHandler<GetDocumentQuery> {
  constructor(
    @Inject(READ_DB) private readonly db: SqlDatabase,
    private readonly access: SpaceAccess,
  ) {}

  async execute({ actor, documentId }: GetDocumentQuery): Promise<DocumentView> {
    const space = await requireReadableDocument(this.db, this.access, documentId, actor);
    const row = await this.db.queryOne<DocumentRow & { body: string }>(
      `SELECT id, space_id, title, excerpt, body, competences, revision, created_by, created_at, updated_at, views FROM documents WHERE id = $1`,
      [documentId],
    );
    if (!row) throw documentNotFound();
    const contributors = await this.db.query<{ user_id: string; display_name: string | null }>(
      `SELECT c.user_id, u.display_name FROM document_contributors c LEFT JOIN users u ON u.id = c.user_id
        WHERE c.document_id = $1 ORDER BY c.first_at, c.user_id`,
      [documentId],
    );
    const { excerpt: _excerpt, ...item } = toListItem(row);
    return {
      ...item,
      body: row.body,
      html: renderMarkdown(row.body),
      contributors: contributors.map((c) => ({ id: c.user_id, displayName: c.display_name ?? '' })),
      permissions: { edit: space.contribute },
    };
  }
}

interface RevisionRow {
  revision: number;
  author_id: string;
  display_name: string | null;
  created_at: string;
  summary: string | null;
  size_bytes: number;
  restored_from: number | null;
}

const REVISION_COLUMNS = `r.revision, r.author_id, u.display_name, r.created_at, r.summary, r.size_bytes, r.restored_from`;

function toRevisionItem(row: RevisionRow): RevisionItem {
  return {
    revision: Number(row.revision),
    author: { id: row.author_id, displayName: row.display_name ?? '' },
    at: row.created_at,
    summary: row.summary,
    size: Number(row.size_bytes),
    restoredFrom: row.restored_from === null ? null : Number(row.restored_from),
  };
}

const revisionNotFound = (field: string, revision: number): DomainError =>
  new DomainError('NOT_FOUND', `This document has no revision ${revision}`, field);

@QueryHandler(ListRevisionsQuery)
export class ListRevisionsHandler implements IQueryHandler<ListRevisionsQuery> {
  constructor(
    @Inject(READ_DB) private readonly db: SqlDatabase,
    private readonly access: SpaceAccess,
  ) {}

  async execute({ actor, documentId, limit = DEFAULT_PAGE_SIZE, cursor }: ListRevisionsQuery): Promise<Page<RevisionItem>> {
    await requireReadableDocument(this.db, this.access, documentId, actor);
    const after = decodeCursor(cursor, 1);
    const rows = await this.db.query<RevisionRow>(
      `SELECT ${REVISION_COLUMNS} FROM document_revisions r LEFT JOIN users u ON u.id = r.author_id
        WHERE r.document_id = $1 ${after ? 'AND r.revision < $3' : ''}
        ORDER BY r.revision DESC LIMIT $2`,
      after ? [documentId, limit + 1, Number(after[0])] : [documentId, limit + 1],
    );
    return toPage(rows, limit, toRevisionItem, (r) => [Number(r.revision)]);
  }
}

@QueryHandler(GetRevisionQuery)
export class GetRevisionHandler implements IQueryHandler<GetRevisionQuery> {
  constructor(
    @Inject(READ_DB) private readonly db: SqlDatabase,
    private readonly access: SpaceAccess,
  ) {}

  async execute({ actor, documentId, revision }: GetRevisionQuery): Promise<RevisionView> {
    await requireReadableDocument(this.db, this.access, documentId, actor);
    const row = await this.db.queryOne<RevisionRow & { body: string }>(
      `SELECT ${REVISION_COLUMNS}, r.body FROM document_revisions r LEFT JOIN users u ON u.id = r.author_id
        WHERE r.document_id = $1 AND r.revision = $2`,
      [documentId, revision],
    );
    if (!row) throw revisionNotFound('rev', revision);
    return { documentId, ...toRevisionItem(row), body: row.body, html: renderMarkdown(row.body) };
  }
}

@QueryHandler(DiffRevisionsQuery)
export class DiffRevisionsHandler implements IQueryHandler<DiffRevisionsQuery> {
  constructor(
    @Inject(READ_DB) private readonly db: SqlDatabase,
    private readonly access: SpaceAccess,
  ) {}

  async execute({ actor, documentId, from, to }: DiffRevisionsQuery): Promise<RevisionDiff> {
    await requireReadableDocument(this.db, this.access, documentId, actor);
    const rows = await this.db.query<{ revision: number; body: string }>(
      `SELECT revision, body FROM document_revisions WHERE document_id = $1 AND revision IN ($2, $3)`,
      [documentId, from, to],
    );
    const bodyOf = (revision: number): string | undefined => rows.find((r) => Number(r.revision) === revision)?.body;
    const oldBody = bodyOf(from);
    if (oldBody === undefined) throw revisionNotFound('from', from);
    const newBody = bodyOf(to);
    if (newBody === undefined) throw revisionNotFound('to', to);
    return diffRevisions(from, to, oldBody, newBody);
  }
}

export const documentQueryHandlers = [ListDocumentsHandler, GetDocumentHandler, ListRevisionsHandler, GetRevisionHandler, DiffRevisionsHandler];
