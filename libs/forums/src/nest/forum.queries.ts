import { Inject, Injectable } from '@nestjs/common';
import { Query, QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { type Actor, DomainError } from '#ruche/domain-kit';
import { renderMarkdown } from '#ruche/markdown';
import type { SqlDatabase, SqlValue } from '#ruche/projections';
import { decodeCursor, DEFAULT_PAGE_SIZE, READ_DB, toPage, type Page } from '#ruche/platform';
import { SpaceAccess, type SpaceAccessView, type UnreadTopicsCounter } from '#ruche/spaces/nest';
import { mayChooseSolution, mayReadVersions } from '../topic.access.js';
import { REACTION_EMOJIS } from '../topic.js';

export type TopicSort = 'latest' | 'unanswered';

/** A topic in a list (API.md, "Forums"), with its author's display name. */
export interface TopicItem {
  id: string;
  title: string;
  tags: string[];
  authorId: string;
  authorName: string;
  createdAt: string;
  replyCount: number;
  lastActivityAt: string;
  pinned: boolean;
  locked: boolean;
  solved: boolean;
  /** Posts were written since the caller last read the topic (or they never did). */
  unread: boolean;
}

/** A topic's header on its own page. */
export interface TopicView extends TopicItem {
  spaceId: string;
  openingPostId: string;
  solutionPostId: string | null;
  revision: number;
  /** What the caller may do here, so clients need not re-implement the rules. */
  permissions: { reply: boolean; moderate: boolean; chooseSolution: boolean };
}

/** A post; a deleted one is a placeholder: body '' and html ''. */
export interface PostView {
  id: string;
  authorId: string;
  authorName: string;
  body: string;
  html: string;
  replyTo: string | null;
  createdAt: string;
  editedAt: string | null;
  deleted: boolean;
  version: number;
  /** emoji → how many people added it (emojis nobody added are left out). */
  reactions: Record<string, number>;
  /** The emojis the caller added. */
  mine: string[];
}

export interface TopicPage {
  topic: TopicView;
  posts: Page<PostView>;
}

export interface PostVersionView {
  version: number;
  body: string;
  html: string;
  at: string;
  by: string;
  byName: string;
}

export interface PostVersions {
  postId: string;
  topicId: string;
  deleted: boolean;
  items: PostVersionView[];
}

export class ListTopicsQuery extends Query<Page<TopicItem>> {
  constructor(
    readonly actor: Actor,
    readonly spaceId: string,
    readonly filter: { sort?: TopicSort; tag?: string; limit?: number; cursor?: string },
  ) {
    super();
  }
}

export class GetTopicQuery extends Query<TopicPage> {
  constructor(readonly actor: Actor, readonly topicId: string, readonly limit?: number, readonly cursor?: string) {
    super();
  }
}

export class PostVersionsQuery extends Query<PostVersions> {
  constructor(readonly actor: Actor, readonly postId: string) {
    super();
  }
}

interface TopicRow {
  id: string;
  space_id: string;
  title: string;
  tags: string;
  author_id: string;
  author_name: string | null;
  opening_post_id: string;
  created_at: string;
  last_activity_at: string;
  reply_count: number;
  post_count: number;
  posts_seen: number;
  pinned: number;
  locked: number;
  solution_post_id: string | null;
  revision: number;
}

const TOPIC_COLUMNS = `t.id, t.space_id, t.title, t.tags, t.author_id, u.display_name AS author_name, t.opening_post_id, t.created_at,
  t.last_activity_at, t.reply_count, t.post_count, COALESCE(r.posts_seen, 0) AS posts_seen, t.pinned, t.locked,
  t.solution_post_id, t.revision`;

/** The topic tables joined with the author's name and the caller's ($2) read mark. */
const TOPIC_FROM = `forum_topics t
  LEFT JOIN users u ON u.id = t.author_id
  LEFT JOIN forum_reads r ON r.topic_id = t.id AND r.user_id = $2`;

function toTopicItem(row: TopicRow): TopicItem {
  return {
    id: row.id,
    title: row.title,
    tags: row.tags === '' ? [] : row.tags.split(' '),
    authorId: row.author_id,
    authorName: row.author_name ?? '',
    createdAt: row.created_at,
    replyCount: Number(row.reply_count),
    lastActivityAt: row.last_activity_at,
    pinned: Number(row.pinned) === 1,
    locked: Number(row.locked) === 1,
    solved: row.solution_post_id !== null,
    unread: Number(row.post_count) > Number(row.posts_seen),
  };
}

/**
 * Forum access on the query side: a topic or post that does not exist and one in a space the
 * caller may not know about answer the same 404; a restricted space's non-member gets 403.
 */
@Injectable()
export class ForumReadAccess {
  constructor(
    @Inject(READ_DB) private readonly db: SqlDatabase,
    private readonly access: SpaceAccess,
  ) {}

  async topic(topicId: string, actor: Actor): Promise<{ row: TopicRow; access: SpaceAccessView }> {
    const row = await this.db.queryOne<TopicRow>(`SELECT ${TOPIC_COLUMNS} FROM ${TOPIC_FROM} WHERE t.id = $1`, [topicId, actor.userId]);
    const access = row ? await this.access.of(row.space_id, actor) : undefined;
    if (!row || !access) throw DomainError.notFound('Topic not found');
    if (!access.read) throw DomainError.forbidden('Only members read this space');
    return { row, access };
  }

  async post(postId: string, actor: Actor): Promise<{ row: PostRow; access: SpaceAccessView }> {
    const row = await this.db.queryOne<PostRow>(`SELECT ${POST_COLUMNS} FROM forum_posts p LEFT JOIN users u ON u.id = p.author_id WHERE p.id = $1`, [
      postId,
    ]);
    const access = row ? await this.access.of(row.space_id, actor) : undefined;
    if (!row || !access) throw DomainError.notFound('Post not found');
    if (!access.read) throw DomainError.forbidden('Only members read this space');
    return { row, access };
  }
}

interface PostRow {
  id: string;
  topic_id: string;
  space_id: string;
  seq: number;
  author_id: string;
  author_name: string | null;
  body: string;
  reply_to: string | null;
  created_at: string;
  edited_at: string | null;
  deleted: number;
  version: number;
}

const POST_COLUMNS = `p.id, p.topic_id, p.space_id, p.seq, p.author_id, u.display_name AS author_name, p.body, p.reply_to,
  p.created_at, p.edited_at, p.deleted, p.version`;

@QueryHandler(ListTopicsQuery)
export class ListTopicsHandler implements IQueryHandler<ListTopicsQuery> {
  constructor(
    @Inject(READ_DB) private readonly db: SqlDatabase,
    private readonly access: SpaceAccess,
  ) {}

  async execute({ actor, spaceId, filter }: ListTopicsQuery): Promise<Page<TopicItem>> {
    await this.access.requireRead(spaceId, actor);
    const limit = filter.limit ?? DEFAULT_PAGE_SIZE;
    const params: SqlValue[] = [spaceId, actor.userId];
    const param = (value: SqlValue): string => {
      params.push(value);
      return `$${params.length}`;
    };
    const where = ['t.space_id = $1'];
    if (filter.sort === 'unanswered') where.push('t.reply_count = 0');
    if (filter.tag) where.push(`t.id IN (SELECT g.topic_id FROM forum_topic_tags g WHERE g.space_id = $1 AND g.tag = ${param(filter.tag)})`);
    const after = decodeCursor(filter.cursor, 3);
    if (after) {
      const [pinned, last, id] = [param(Number(after[0])), param(String(after[1])), param(String(after[2]))];
      where.push(`(t.pinned < ${pinned} OR (t.pinned = ${pinned} AND (t.last_activity_at < ${last} OR (t.last_activity_at = ${last} AND t.id < ${id}))))`);
    }
    const rows = await this.db.query<TopicRow>(
      `SELECT ${TOPIC_COLUMNS} FROM ${TOPIC_FROM} WHERE ${where.join(' AND ')}
        ORDER BY t.pinned DESC, t.last_activity_at DESC, t.id DESC LIMIT ${param(limit + 1)}`,
      params,
    );
    return toPage(rows, limit, toTopicItem, (r) => [Number(r.pinned), r.last_activity_at, r.id]);
  }
}

@QueryHandler(GetTopicQuery)
export class GetTopicHandler implements IQueryHandler<GetTopicQuery> {
  constructor(
    @Inject(READ_DB) private readonly db: SqlDatabase,
    private readonly forum: ForumReadAccess,
  ) {}

  async execute({ actor, topicId, limit = DEFAULT_PAGE_SIZE, cursor }: GetTopicQuery): Promise<TopicPage> {
    const { row, access } = await this.forum.topic(topicId, actor);
    const after = decodeCursor(cursor, 1);
    const rows = await this.db.query<PostRow>(
      `SELECT ${POST_COLUMNS} FROM forum_posts p LEFT JOIN users u ON u.id = p.author_id
        WHERE p.topic_id = $1 ${after ? 'AND p.seq > $3' : ''}
        ORDER BY p.seq LIMIT $2`,
      after ? [topicId, limit + 1, Number(after[0])] : [topicId, limit + 1],
    );
    const page = rows.slice(0, limit);
    const reactions = await this.reactionsOf(
      page.map((p) => p.id),
      actor.userId,
    );
    const locked = Number(row.locked) === 1;
    const topic: TopicView = {
      ...toTopicItem(row),
      spaceId: row.space_id,
      openingPostId: row.opening_post_id,
      solutionPostId: row.solution_post_id,
      revision: Number(row.revision),
      permissions: {
        reply: access.contribute && !locked,
        moderate: access.manage,
        chooseSolution: mayChooseSolution({ authorId: row.author_id }, actor.userId, access),
      },
    };
    const posts = toPage(
      rows,
      limit,
      (p): PostView => {
        const deleted = Number(p.deleted) === 1;
        const mine = reactions.get(p.id);
        return {
          id: p.id,
          authorId: p.author_id,
          authorName: p.author_name ?? '',
          // A deleted post's body is blanked by the projection; never render what might be left.
          body: deleted ? '' : p.body,
          html: deleted ? '' : renderMarkdown(p.body),
          replyTo: p.reply_to,
          createdAt: p.created_at,
          editedAt: p.edited_at,
          deleted,
          version: Number(p.version),
          reactions: mine?.counts ?? {},
          mine: mine?.mine ?? [],
        };
      },
      (p) => [Number(p.seq)],
    );
    return { topic, posts };
  }

  /** Reaction counts and the caller's own reactions, per post, in the allow-list's order. */
  private async reactionsOf(postIds: string[], userId: string): Promise<Map<string, { counts: Record<string, number>; mine: string[] }>> {
    const result = new Map<string, { counts: Record<string, number>; mine: string[] }>();
    if (postIds.length === 0) return result;
    const placeholders = postIds.map((_, i) => `$${i + 2}`).join(', ');
    const rows = await this.db.query<{ post_id: string; emoji: string; n: number; mine: number }>(
      `SELECT post_id, emoji, COUNT(*) AS n, SUM(CASE WHEN user_id = $1 THEN 1 ELSE 0 END) AS mine
         FROM forum_reactions WHERE post_id IN (${placeholders}) GROUP BY post_id, emoji`,
      [userId, ...postIds],
    );
    const order = (emoji: string): number => (REACTION_EMOJIS as readonly string[]).indexOf(emoji);
    rows.sort((a, b) => order(a.emoji) - order(b.emoji));
    for (const row of rows) {
      const entry = result.get(row.post_id) ?? { counts: {}, mine: [] };
      entry.counts[row.emoji] = Number(row.n);
      if (Number(row.mine) > 0) entry.mine.push(row.emoji);
      result.set(row.post_id, entry);
    }
    return result;
  }
}

@QueryHandler(PostVersionsQuery)
export class PostVersionsHandler implements IQueryHandler<PostVersionsQuery> {
  constructor(
    @Inject(READ_DB) private readonly db: SqlDatabase,
    private readonly forum: ForumReadAccess,
  ) {}

  async execute({ actor, postId }: PostVersionsQuery): Promise<PostVersions> {
    const { row, access } = await this.forum.post(postId, actor);
    if (!mayReadVersions(row.author_id, actor.userId, access)) {
      throw DomainError.forbidden('Only its author or a manager may read the earlier versions of this post');
    }
    const deleted = Number(row.deleted) === 1;
    const versions = await this.db.query<{ version: number; body: string; at: string; by_user_id: string; by_name: string | null }>(
      `SELECT v.version, v.body, v.at, v.by_user_id, u.display_name AS by_name
         FROM forum_post_versions v LEFT JOIN users u ON u.id = v.by_user_id
        WHERE v.post_id = $1 ORDER BY v.version`,
      [postId],
    );
    return {
      postId,
      topicId: row.topic_id,
      deleted,
      items: versions.map((v) => ({
        version: Number(v.version),
        body: deleted ? '' : v.body,
        html: deleted ? '' : renderMarkdown(v.body),
        at: v.at,
        by: v.by_user_id,
        byName: v.by_name ?? '',
      })),
    };
  }
}

/** The caller's unread topics in a space, for GET /api/spaces/:id (see UNREAD_TOPICS). */
@Injectable()
export class UnreadTopics implements UnreadTopicsCounter {
  constructor(@Inject(READ_DB) private readonly db: SqlDatabase) {}

  async count(spaceId: string, actor: Actor): Promise<number> {
    const row = await this.db.queryOne<{ n: number }>(
      `SELECT COUNT(*) AS n FROM forum_topics t
         LEFT JOIN forum_reads r ON r.topic_id = t.id AND r.user_id = $2
        WHERE t.space_id = $1 AND t.post_count > COALESCE(r.posts_seen, 0)`,
      [spaceId, actor.userId],
    );
    return Number(row?.n ?? 0);
  }
}

export const forumQueryHandlers = [ForumReadAccess, ListTopicsHandler, GetTopicHandler, PostVersionsHandler];
