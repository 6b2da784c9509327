import { Inject, Optional } from '@nestjs/common';
import { Query, QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { hasRole, type Actor } from '#ruche/domain-kit';
import type { SqlDatabase, SqlValue } from '#ruche/projections';
import { decodeCursor, DEFAULT_PAGE_SIZE, READ_DB, toPage, type Page } from '#ruche/platform';
import type { SpaceKind, SpaceRole, SpaceVisibility } from '../space.js';
import { SpaceAccess, type SpaceRow } from './space-access.js';

export interface SpaceCard {
  id: string;
  name: string;
  description: string;
  kind: SpaceKind;
  visibility: SpaceVisibility;
  uai?: string;
  parentSpaceId?: string;
  memberCount: number;
  createdAt: string;
  updatedAt: string;
  revision: number;
}

export interface SpaceView extends SpaceCard {
  myRole: SpaceRole | null;
  /** What the caller may do, so clients need not re-implement the rules. */
  permissions: { read: boolean; contribute: boolean; manage: boolean };
  /** The caller's unread forum topics here (0 when they may not read the space); set when the forums are wired. */
  unreadTopics?: number;
}

/**
 * Counts the caller's unread forum topics in a space. The forums context provides it under
 * UNREAD_TOPICS; it is optional so that the spaces context never imports the forums.
 */
export interface UnreadTopicsCounter {
  count(spaceId: string, actor: Actor): Promise<number>;
}
export const UNREAD_TOPICS = Symbol('UNREAD_TOPICS');

export interface MemberItem {
  userId: string;
  displayName: string;
  role: SpaceRole;
  joinedAt: string;
}

export interface JoinRequestItem {
  userId: string;
  displayName: string;
  requestedAt: string;
}

export interface ActivityItem {
  position: number;
  type: string;
  at: string;
  actor: { id: string; displayName: string };
  subject?: { id: string; displayName: string };
  details: Record<string, unknown>;
}

export interface ListSpacesFilter {
  kind?: SpaceKind;
  uai?: string;
  q?: string;
  limit?: number;
  cursor?: string;
}

export class ListSpacesQuery extends Query<Page<SpaceCard>> {
  constructor(readonly actor: Actor, readonly filter: ListSpacesFilter) {
    super();
  }
}
export class GetSpaceQuery extends Query<SpaceView> {
  constructor(readonly actor: Actor, readonly spaceId: string) {
    super();
  }
}
export class ListMembersQuery extends Query<Page<MemberItem>> {
  constructor(readonly actor: Actor, readonly spaceId: string, readonly limit?: number, readonly cursor?: string) {
    super();
  }
}
export class ListJoinRequestsQuery extends Query<Page<JoinRequestItem>> {
  constructor(readonly actor: Actor, readonly spaceId: string, readonly limit?: number, readonly cursor?: string) {
    super();
  }
}
export class SpaceActivityQuery extends Query<Page<ActivityItem>> {
  constructor(readonly actor: Actor, readonly spaceId: string, readonly limit?: number, readonly cursor?: string) {
    super();
  }
}

/**
 * A space's card. `knownParent` says whether the caller may know the parent exists: a private
 * parent's id is shown to its members and the dane only (see SpaceAccess.knownIds).
 */
export function toSpaceCard(row: SpaceRow, knownParent: boolean): SpaceCard {
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    kind: row.kind,
    visibility: row.visibility,
    ...(row.uai ? { uai: row.uai } : {}),
    ...(row.parent_space_id && knownParent ? { parentSpaceId: row.parent_space_id } : {}),
    memberCount: Number(row.member_count),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    revision: Number(row.revision),
  };
}

/** `%` and `_` in a search are literal characters, not wildcards. */
function likePattern(q: string): string {
  return `%${q.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

@QueryHandler(ListSpacesQuery)
export class ListSpacesHandler implements IQueryHandler<ListSpacesQuery> {
  constructor(
    @Inject(READ_DB) private readonly db: SqlDatabase,
    private readonly access: SpaceAccess,
  ) {}

  async execute({ actor, filter }: ListSpacesQuery): Promise<Page<SpaceCard>> {
    const limit = filter.limit ?? DEFAULT_PAGE_SIZE;
    const where: string[] = [];
    const params: SqlValue[] = [];
    const param = (value: SqlValue): string => {
      params.push(value);
      return `$${params.length}`;
    };
    if (!hasRole(actor, 'dane')) {
      where.push(
        `(visibility IN ('public', 'restricted') OR id IN (SELECT space_id FROM space_members WHERE user_id = ${param(actor.userId)}))`,
      );
    }
    if (filter.kind) where.push(`kind = ${param(filter.kind)}`);
    if (filter.uai) where.push(`uai = ${param(filter.uai.toUpperCase())}`);
    if (filter.q) where.push(`name_lower LIKE ${param(likePattern(filter.q))} ESCAPE '\\'`);
    const after = decodeCursor(filter.cursor, 2);
    if (after) where.push(`(name_lower > ${param(after[0]!)} OR (name_lower = ${param(after[0]!)} AND id > ${param(after[1]!)}))`);
    const rows = await this.db.query<SpaceRow>(
      `SELECT * FROM spaces ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY name_lower, id LIMIT ${param(limit + 1)}`,
      params,
    );
    const known = await this.access.knownIds(
      rows.flatMap((r) => (r.parent_space_id ? [r.parent_space_id] : [])),
      actor,
    );
    return toPage(rows, limit, (r) => toSpaceCard(r, r.parent_space_id !== null && known.has(r.parent_space_id)), (r) => [r.name_lower, r.id]);
  }
}

@QueryHandler(GetSpaceQuery)
export class GetSpaceHandler implements IQueryHandler<GetSpaceQuery> {
  constructor(
    private readonly access: SpaceAccess,
    @Optional() @Inject(UNREAD_TOPICS) private readonly unreadTopics?: UnreadTopicsCounter,
  ) {}

  async execute({ actor, spaceId }: GetSpaceQuery): Promise<SpaceView> {
    const access = await this.access.requireKnown(spaceId, actor);
    const parent = access.row.parent_space_id;
    const knownParent = parent !== null && (await this.access.knownIds([parent], actor)).has(parent);
    return {
      ...toSpaceCard(access.row, knownParent),
      myRole: access.role ?? null,
      permissions: { read: access.read, contribute: access.contribute, manage: access.manage },
      ...(this.unreadTopics ? { unreadTopics: access.read ? await this.unreadTopics.count(spaceId, actor) : 0 } : {}),
    };
  }
}

@QueryHandler(ListMembersQuery)
export class ListMembersHandler implements IQueryHandler<ListMembersQuery> {
  constructor(
    @Inject(READ_DB) private readonly db: SqlDatabase,
    private readonly access: SpaceAccess,
  ) {}

  async execute({ actor, spaceId, limit = DEFAULT_PAGE_SIZE, cursor }: ListMembersQuery): Promise<Page<MemberItem>> {
    await this.access.requireRead(spaceId, actor);
    const after = decodeCursor(cursor, 2);
    const rows = await this.db.query<{ user_id: string; role: SpaceRole; joined_at: string; display_name: string | null }>(
      `SELECT m.user_id, m.role, m.joined_at, u.display_name
         FROM space_members m LEFT JOIN users u ON u.id = m.user_id
        WHERE m.space_id = $1 ${after ? 'AND (m.joined_at > $3 OR (m.joined_at = $3 AND m.user_id > $4))' : ''}
        ORDER BY m.joined_at, m.user_id LIMIT $2`,
      after ? [spaceId, limit + 1, after[0]!, after[1]!] : [spaceId, limit + 1],
    );
    return toPage(
      rows,
      limit,
      (r) => ({ userId: r.user_id, displayName: r.display_name ?? '', role: r.role, joinedAt: r.joined_at }),
      (r) => [r.joined_at, r.user_id],
    );
  }
}

@QueryHandler(ListJoinRequestsQuery)
export class ListJoinRequestsHandler implements IQueryHandler<ListJoinRequestsQuery> {
  constructor(
    @Inject(READ_DB) private readonly db: SqlDatabase,
    private readonly access: SpaceAccess,
  ) {}

  async execute({ actor, spaceId, limit = DEFAULT_PAGE_SIZE, cursor }: ListJoinRequestsQuery): Promise<Page<JoinRequestItem>> {
    await this.access.requireManage(spaceId, actor);
    const after = decodeCursor(cursor, 2);
    const rows = await this.db.query<{ user_id: string; requested_at: string; display_name: string | null }>(
      `SELECT r.user_id, r.requested_at, u.display_name
         FROM space_join_requests r LEFT JOIN users u ON u.id = r.user_id
        WHERE r.space_id = $1 ${after ? 'AND (r.requested_at > $3 OR (r.requested_at = $3 AND r.user_id > $4))' : ''}
        ORDER BY r.requested_at, r.user_id LIMIT $2`,
      after ? [spaceId, limit + 1, after[0]!, after[1]!] : [spaceId, limit + 1],
    );
    return toPage(
      rows,
      limit,
      (r) => ({ userId: r.user_id, displayName: r.display_name ?? '', requestedAt: r.requested_at }),
      (r) => [r.requested_at, r.user_id],
    );
  }
}

@QueryHandler(SpaceActivityQuery)
export class SpaceActivityHandler implements IQueryHandler<SpaceActivityQuery> {
  constructor(
    @Inject(READ_DB) private readonly db: SqlDatabase,
    private readonly access: SpaceAccess,
  ) {}

  async execute({ actor, spaceId, limit = DEFAULT_PAGE_SIZE, cursor }: SpaceActivityQuery): Promise<Page<ActivityItem>> {
    await this.access.requireRead(spaceId, actor);
    const after = decodeCursor(cursor, 1);
    const rows = await this.db.query<{
      position: number;
      type: string;
      at: string;
      actor_id: string;
      actor_name: string | null;
      subject_user_id: string | null;
      subject_name: string | null;
      details: string;
    }>(
      `SELECT a.position, a.type, a.at, a.actor_id, ua.display_name AS actor_name,
              a.subject_user_id, us.display_name AS subject_name, a.details
         FROM space_activity a
         LEFT JOIN users ua ON ua.id = a.actor_id
         LEFT JOIN users us ON us.id = a.subject_user_id
        WHERE a.space_id = $1 ${after ? 'AND a.position < $3' : ''}
        ORDER BY a.position DESC LIMIT $2`,
      after ? [spaceId, limit + 1, Number(after[0])] : [spaceId, limit + 1],
    );
    const details = rows.map((r) => JSON.parse(r.details) as Record<string, unknown>);
    const referenced = details.flatMap((d) => (typeof d.parentSpaceId === 'string' ? [d.parentSpaceId] : []));
    const known = await this.access.knownIds(referenced, actor);
    const visible = (d: Record<string, unknown>): Record<string, unknown> => {
      if (typeof d.parentSpaceId !== 'string' || known.has(d.parentSpaceId)) return d;
      const { parentSpaceId: _hidden, ...rest } = d;
      return rest;
    };
    const detailsOf = new Map(rows.map((r, i) => [r, visible(details[i]!)]));
    return toPage(
      rows,
      limit,
      (r) => ({
        position: Number(r.position),
        type: r.type,
        at: r.at,
        actor: { id: r.actor_id, displayName: r.actor_name ?? '' },
        ...(r.subject_user_id ? { subject: { id: r.subject_user_id, displayName: r.subject_name ?? '' } } : {}),
        details: detailsOf.get(r)!,
      }),
      (r) => [Number(r.position)],
    );
  }
}

export const spaceQueryHandlers = [
  ListSpacesHandler,
  GetSpaceHandler,
  ListMembersHandler,
  ListJoinRequestsHandler,
  SpaceActivityHandler,
];
