import { Inject } from '@nestjs/common';
import { Query, QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { type Actor, DomainError, hasRole } from '#ruche/domain-kit';
import type { SqlDatabase, SqlValue } from '#ruche/projections';
import { decodeCursor, DEFAULT_PAGE_SIZE, READ_DB, toPage, type Page } from '#ruche/platform';
import { SpaceAccess } from '#ruche/spaces/nest';
import { highlightExcerpt } from '../highlight.js';
import { hitUrl, parseSearchText, type SearchType } from '../search-request.js';
import type { EntryStatus, SearchEntryRow } from './search.projection.js';

/** One search hit: what it is, where it lives, and an excerpt with the matching words marked. */
export interface SearchHit {
  type: SearchType;
  /** The topic's, reply's, FAQ entry's or fiche's id. */
  id: string;
  spaceId: string;
  spaceName: string;
  /** The topic of a topic or reply hit. */
  topicId?: string;
  /** A reply's own id, a topic's opening post. */
  postId?: string;
  /** FAQ entries only: drafts are found by their author and the space's managers. */
  status?: EntryStatus;
  /** The topic's title for a reply, the question for an FAQ entry. */
  title: string;
  /** HTML: the text escaped, matching words in <mark>…</mark>. */
  excerpt: string;
  /** Where the web app shows it, e.g. `/topics/<topicId>#post-<postId>`. */
  url: string;
  updatedAt: string;
}

export interface SearchFilter {
  q?: unknown;
  spaceId?: string;
  type?: SearchType;
  limit?: number;
  cursor?: string;
}

/** French full-text search over what the actor may read, best hits first. */
export class SearchQuery extends Query<Page<SearchHit>> {
  constructor(
    readonly actor: Actor,
    readonly filter: SearchFilter,
  ) {
    super();
  }
}

type HitRow = Omit<SearchEntryRow, 'author_id'> & { space_name: string; score: number };

const SELECTED = 'e.doc_id, e.type, e.ref_id, e.space_id, e.topic_id, e.post_id, e.title, e.body, e.status, e.updated_at, s.name AS space_name';

@QueryHandler(SearchQuery)
export class SearchHandler implements IQueryHandler<SearchQuery> {
  constructor(
    @Inject(READ_DB) private readonly db: SqlDatabase,
    private readonly access: SpaceAccess,
  ) {}

  async execute({ actor, filter }: SearchQuery): Promise<Page<SearchHit>> {
    if (filter.spaceId !== undefined) await this.access.requireRead(filter.spaceId, actor);
    const { words, terms } = parseSearchText(filter.q);
    const after = decodeCursor(filter.cursor, 2);
    if (after && !after.every((k) => typeof k === 'number')) throw DomainError.validation('cursor', 'cursor is not valid: use the nextCursor of a previous page');
    const limit = filter.limit ?? DEFAULT_PAGE_SIZE;
    // Only stop words ("le", "des"…) or punctuation: nothing can match, on either engine.
    if (terms.length === 0) return { items: [], nextCursor: null };

    const params: SqlValue[] = [];
    const param = (value: SqlValue): string => {
      params.push(value);
      return `$${params.length}`;
    };
    // Full-text matching and ranking are engine-specific (see search.projection.ts): FTS5's
    // MATCH and bm25 (lower is better) on SQLite, @@ and ts_rank negated on PostgreSQL, so that
    // both sort ascending. Title hits weigh 10× (SQLite) or A against D (PostgreSQL).
    const from =
      this.db.dialect === 'sqlite'
        ? `SELECT ${SELECTED}, bm25(search_fts, 10.0, 1.0) AS score
             FROM search_fts
             JOIN search_entries e ON e.doc_id = search_fts.rowid
             JOIN spaces s ON s.id = e.space_id
             LEFT JOIN space_members m ON m.space_id = e.space_id AND m.user_id = ${param(actor.userId)}
            WHERE search_fts MATCH ${param(terms.map((term) => `"${term.replaceAll('"', '""')}"`).join(' '))}`
        : `SELECT ${SELECTED}, -ts_rank('{0.1, 0.2, 0.4, 1.0}', e.document, q.query)::float8 AS score
             FROM search_entries e
             CROSS JOIN plainto_tsquery('french', ${param(words.join(' '))}) AS q(query)
             JOIN spaces s ON s.id = e.space_id
             LEFT JOIN space_members m ON m.space_id = e.space_id AND m.user_id = ${param(actor.userId)}
            WHERE e.document @@ q.query`;
    // Access in SQL, never by filtering a page afterwards (that would break paging): the spaces
    // the actor may read (spaceRights: public ones, the others as a member, all for the dane),
    // and FAQ drafts for their author and the space's managers only (entryVisibility).
    const where: string[] = [];
    if (!hasRole(actor, 'dane')) {
      const me = param(actor.userId);
      where.push(`(s.visibility = 'public' OR m.user_id IS NOT NULL)`);
      where.push(`(e.status = 'published' OR m.role = 'manager' OR e.author_id = ${me})`);
    }
    if (filter.type) where.push(`e.type = ${param(filter.type)}`);
    if (filter.spaceId) where.push(`e.space_id = ${param(filter.spaceId)}`);
    const page = after ? `WHERE r.score > ${param(after[0]!)} OR (r.score = ${param(after[0]!)} AND r.doc_id > ${param(after[1]!)})` : '';
    const rows = await this.db.query<HitRow>(
      `SELECT r.* FROM (${from}${where.map((w) => ` AND ${w}`).join('')}) r ${page}
        ORDER BY r.score, r.doc_id LIMIT ${param(limit + 1)}`,
      params,
    );
    return toPage(rows, limit, (row) => toHit(row, terms), (row) => [Number(row.score), Number(row.doc_id)]);
  }
}

function toHit(row: HitRow, terms: readonly string[]): SearchHit {
  const type = row.type;
  return {
    type,
    id: row.ref_id,
    spaceId: row.space_id,
    spaceName: row.space_name,
    ...(row.topic_id ? { topicId: row.topic_id } : {}),
    ...(row.post_id ? { postId: row.post_id } : {}),
    ...(type === 'faq' ? { status: row.status } : {}),
    title: row.title,
    excerpt: highlightExcerpt(row.body, terms),
    url: hitUrl({ type, id: row.ref_id, topicId: row.topic_id, spaceId: row.space_id }),
    updatedAt: row.updated_at,
  };
}

export const searchQueryHandlers = [SearchHandler];
