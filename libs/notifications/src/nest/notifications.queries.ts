import { Inject, Injectable } from '@nestjs/common';
import { Query, QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { hasRole, type Actor } from '#ruche/domain-kit';
import type { SqlDatabase, SqlValue } from '#ruche/projections';
import { decodeCursor, DEFAULT_PAGE_SIZE, READ_DB, toPage, type Page } from '#ruche/platform';
import type { NotificationKind } from '../notifications.js';

/** A notification as the live `notification` message carries it (API.md, "Live"). */
export interface NotificationMessage {
  id: string;
  kind: NotificationKind;
  position: number;
  spaceId: string;
  topicId?: string;
  documentId?: string;
  by: string;
  at: string;
}

/** A notification in the list: the message, with what a screen shows beside it. */
export interface NotificationItem extends NotificationMessage {
  postId?: string;
  byName: string;
  spaceName: string;
  topicTitle?: string;
  read: boolean;
}

export interface NotificationPage extends Page<NotificationItem> {
  /** How many of the caller's notifications are unread (all pages). */
  unreadCount: number;
}

interface NotificationRow {
  id: string;
  user_id: string;
  kind: NotificationKind;
  space_id: string;
  topic_id: string | null;
  document_id: string | null;
  post_id: string | null;
  by_user_id: string;
  at: string;
  position: number;
  by_name: string | null;
  space_name: string;
  topic_title: string | null;
  read_up_to: number | null;
}

function toMessage(row: NotificationRow): NotificationMessage {
  return {
    id: row.id,
    kind: row.kind,
    position: Number(row.position),
    spaceId: row.space_id,
    ...(row.topic_id ? { topicId: row.topic_id } : {}),
    ...(row.document_id ? { documentId: row.document_id } : {}),
    by: row.by_user_id,
    at: row.at,
  };
}

function toItem(row: NotificationRow): NotificationItem {
  return {
    ...toMessage(row),
    ...(row.post_id ? { postId: row.post_id } : {}),
    byName: row.by_name ?? '',
    spaceName: row.space_name,
    ...(row.topic_title ? { topicTitle: row.topic_title } : {}),
    read: Number(row.position) <= Number(row.read_up_to ?? 0),
  };
}

/**
 * The caller's notifications about spaces they may still read: one removed from a private space
 * since no longer sees what was said there.
 */
const READABLE = `
  FROM notifications n
  JOIN spaces s ON s.id = n.space_id
  LEFT JOIN space_members m ON m.space_id = n.space_id AND m.user_id = n.user_id
  LEFT JOIN users u ON u.id = n.by_user_id
  LEFT JOIN notification_topics t ON t.topic_id = n.topic_id
  LEFT JOIN notification_marks k ON k.user_id = n.user_id
  WHERE n.user_id = $1 AND (s.visibility = 'public' OR m.user_id IS NOT NULL OR $2 = 1)`;
const COLUMNS = `n.*, u.display_name AS by_name, s.name AS space_name, t.title AS topic_title, k.read_up_to`;

/** Reads of the notifications read model, for the HTTP list and the live `user:me` room. */
@Injectable()
export class NotificationsReader {
  constructor(@Inject(READ_DB) private readonly db: SqlDatabase) {}

  async page(actor: Actor, options: { unread?: boolean; limit?: number; cursor?: string }): Promise<NotificationPage> {
    const limit = options.limit ?? DEFAULT_PAGE_SIZE;
    const after = decodeCursor(options.cursor, 2);
    const params: SqlValue[] = [actor.userId, hasRole(actor, 'dane') ? 1 : 0];
    let sql = `SELECT ${COLUMNS} ${READABLE}`;
    if (options.unread) sql += ' AND n.position > COALESCE(k.read_up_to, 0)';
    if (after) {
      params.push(Number(after[0]), String(after[1]));
      sql += ` AND (n.position < $3 OR (n.position = $3 AND n.id < $4))`;
    }
    params.push(limit + 1);
    sql += ` ORDER BY n.position DESC, n.id DESC LIMIT $${params.length}`;
    const [rows, unread] = await Promise.all([
      this.db.query<NotificationRow>(sql, params),
      this.db.queryOne<{ count: number }>(`SELECT COUNT(*) AS count ${READABLE} AND n.position > COALESCE(k.read_up_to, 0)`, [
        actor.userId,
        hasRole(actor, 'dane') ? 1 : 0,
      ]),
    ]);
    return { ...toPage(rows, limit, toItem, (row) => [Number(row.position), row.id]), unreadCount: Number(unread?.count ?? 0) };
  }

  /** The actor's notifications with a position in (after, upTo], oldest first, at most `limit`. */
  async between(actor: Actor, after: number, upTo: number, limit = 1000): Promise<NotificationMessage[]> {
    const rows = await this.db.query<NotificationRow>(
      `SELECT ${COLUMNS} ${READABLE} AND n.position > $3 AND n.position <= $4 ORDER BY n.position, n.id LIMIT $5`,
      [actor.userId, hasRole(actor, 'dane') ? 1 : 0, after, upTo, limit],
    );
    return rows.map(toMessage);
  }

  /** Everyone's notifications with a position in (after, upTo], oldest first, with their recipient. */
  async written(after: number, upTo: number): Promise<Array<NotificationMessage & { userId: string }>> {
    const rows = await this.db.query<NotificationRow>(
      `SELECT n.* FROM notifications n WHERE n.position > $1 AND n.position <= $2 ORDER BY n.position, n.id`,
      [after, upTo],
    );
    return rows.map((row) => ({ ...toMessage(row), userId: row.user_id }));
  }
}

export class ListNotificationsQuery extends Query<NotificationPage> {
  constructor(
    readonly actor: Actor,
    readonly options: { unread?: boolean; limit?: number; cursor?: string },
  ) {
    super();
  }
}

@QueryHandler(ListNotificationsQuery)
export class ListNotificationsHandler implements IQueryHandler<ListNotificationsQuery> {
  constructor(private readonly reader: NotificationsReader) {}

  execute(query: ListNotificationsQuery): Promise<NotificationPage> {
    return this.reader.page(query.actor, query.options);
  }
}

export const notificationsQueryHandlers = [ListNotificationsHandler];
