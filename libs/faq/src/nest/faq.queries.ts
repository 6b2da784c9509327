import { Inject } from '@nestjs/common';
import { Query, QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { type Actor, DomainError } from '#ruche/domain-kit';
import { renderMarkdown } from '#ruche/markdown';
import type { SqlDatabase, SqlValue } from '#ruche/projections';
import { decodeCursor, DEFAULT_PAGE_SIZE, READ_DB, toPage, type Page } from '#ruche/platform';
import { SpaceAccess } from '#ruche/spaces/nest';
import { entryVisibility } from '../faq-entry.access.js';
import type { FaqStatus } from '../faq-entry.js';
import { foldText } from './faq.projection.js';

/** One FAQ entry as API.md's "FAQ" section shows it. */
export interface FaqItem {
  id: string;
  spaceId: string;
  question: string;
  /** Markdown as typed. */
  answer: string;
  /** The answer rendered and sanitized. */
  html: string;
  category: string;
  order: number;
  status: FaqStatus;
  authorId: string;
  authorName: string;
  fromTopicId?: string;
  createdAt: string;
  updatedAt: string;
  publishedAt?: string;
  revision: number;
}

interface FaqRow {
  id: string;
  space_id: string;
  question: string;
  answer: string;
  category: string;
  category_key: string;
  sort_order: number;
  status: FaqStatus;
  author_id: string;
  author_name: string | null;
  from_topic_id: string | null;
  created_at: string;
  updated_at: string;
  published_at: string | null;
  revision: number;
}

function toItem(row: FaqRow): FaqItem {
  return {
    id: row.id,
    spaceId: row.space_id,
    question: row.question,
    answer: row.answer,
    html: renderMarkdown(row.answer),
    category: row.category,
    order: Number(row.sort_order),
    status: row.status,
    authorId: row.author_id,
    authorName: row.author_name ?? '',
    ...(row.from_topic_id ? { fromTopicId: row.from_topic_id } : {}),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    ...(row.published_at ? { publishedAt: row.published_at } : {}),
    revision: Number(row.revision),
  };
}

const SELECT = `SELECT f.id, f.space_id, f.question, f.answer, f.category, f.category_key, f.sort_order, f.status, f.author_id,
       u.display_name AS author_name, f.from_topic_id, f.created_at, f.updated_at, f.published_at, f.revision
  FROM faq_entries f LEFT JOIN users u ON u.id = f.author_id`;

/** `%` and `_` in a search are literal characters, not wildcards. */
function likePattern(q: string): string {
  return `%${foldText(q).replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

export interface ListFaqFilter {
  q?: string;
  limit?: number;
  cursor?: string;
}

/** A space's FAQ: by category, then order within it, then creation. */
export class ListFaqQuery extends Query<Page<FaqItem>> {
  constructor(readonly actor: Actor, readonly spaceId: string, readonly filter: ListFaqFilter = {}) {
    super();
  }
}

export class GetFaqEntryQuery extends Query<FaqItem> {
  constructor(readonly actor: Actor, readonly entryId: string) {
    super();
  }
}

@QueryHandler(ListFaqQuery)
export class ListFaqHandler implements IQueryHandler<ListFaqQuery> {
  constructor(
    @Inject(READ_DB) private readonly db: SqlDatabase,
    private readonly access: SpaceAccess,
  ) {}

  async execute({ actor, spaceId, filter }: ListFaqQuery): Promise<Page<FaqItem>> {
    const access = await this.access.requireRead(spaceId, actor);
    const limit = filter.limit ?? DEFAULT_PAGE_SIZE;
    const params: SqlValue[] = [];
    const param = (value: SqlValue): string => {
      params.push(value);
      return `$${params.length}`;
    };
    const where = [`f.space_id = ${param(spaceId)}`];
    // Drafts: to the managers (and dane) all of them, to anyone else their own (see entryVisibility).
    if (!access.manage) where.push(`(f.status = 'published' OR f.author_id = ${param(actor.userId)})`);
    if (filter.q?.trim()) where.push(`f.search_text LIKE ${param(likePattern(filter.q.trim()))} ESCAPE '\\'`);
    const after = decodeCursor(filter.cursor, 5);
    if (after) where.push(afterKey(['f.category_key', 'f.category', 'f.sort_order', 'f.created_at', 'f.id'], after, param));
    const rows = await this.db.query<FaqRow>(
      `${SELECT} WHERE ${where.join(' AND ')}
        ORDER BY f.category_key, f.category, f.sort_order, f.created_at, f.id LIMIT ${param(limit + 1)}`,
      params,
    );
    return toPage(rows, limit, toItem, (r) => [r.category_key, r.category, Number(r.sort_order), r.created_at, r.id]);
  }
}

/** `(a, b, c) > (x, y, z)` spelled out, as SQLite and PostgreSQL both read it. */
function afterKey(columns: readonly string[], key: readonly (string | number)[], param: (value: SqlValue) => string): string {
  const [column, ...rest] = columns;
  const [value, ...restKey] = key;
  if (column === undefined || value === undefined) return '1 = 0';
  if (rest.length === 0) return `${column} > ${param(value)}`;
  return `(${column} > ${param(value)} OR (${column} = ${param(value)} AND ${afterKey(rest, restKey, param)}))`;
}

@QueryHandler(GetFaqEntryQuery)
export class GetFaqEntryHandler implements IQueryHandler<GetFaqEntryQuery> {
  constructor(
    @Inject(READ_DB) private readonly db: SqlDatabase,
    private readonly access: SpaceAccess,
  ) {}

  async execute({ actor, entryId }: GetFaqEntryQuery): Promise<FaqItem> {
    const row = await this.db.queryOne<FaqRow>(`${SELECT} WHERE f.id = $1`, [entryId]);
    // Same answer for "absent", "in a space you may not know" and "someone else's draft".
    const notFound = DomainError.notFound('FAQ entry not found');
    if (!row) throw notFound;
    const access = await this.access.of(row.space_id, actor);
    if (!access) throw notFound;
    const visibility = entryVisibility({ status: row.status, authorId: row.author_id }, access, actor.userId);
    if (visibility === 'hidden') throw notFound;
    if (visibility === 'forbidden') throw DomainError.forbidden('Only members read this space');
    return toItem(row);
  }
}

export const faqQueryHandlers = [ListFaqHandler, GetFaqEntryHandler];
