import { Inject, Injectable } from '@nestjs/common';
import type { SqlDatabase } from '#ruche/projections';
import { READ_DB } from '#ruche/platform';
import { toUserRow, type UserRow } from './users.projection.js';

/** Reads of the users read model. */
@Injectable()
export class UsersQueries {
  constructor(@Inject(READ_DB) private readonly db: SqlDatabase) {}

  async byId(id: string): Promise<UserRow | undefined> {
    const row = await this.db.queryOne<Parameters<typeof toUserRow>[0]>(
      'SELECT id, email, display_name, roles, uai FROM users WHERE id = $1',
      [id],
    );
    return row ? toUserRow(row) : undefined;
  }

  async byIds(ids: readonly string[]): Promise<Map<string, UserRow>> {
    if (ids.length === 0) return new Map();
    const placeholders = ids.map((_, i) => `$${i + 1}`).join(', ');
    const rows = await this.db.query<Parameters<typeof toUserRow>[0]>(
      `SELECT id, email, display_name, roles, uai FROM users WHERE id IN (${placeholders})`,
      [...ids],
    );
    return new Map(rows.map((r) => [r.id, toUserRow(r)]));
  }
}
