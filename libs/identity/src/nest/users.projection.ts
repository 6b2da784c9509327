import type { RecordedEvent } from '#ruche/eventstore';
import type { PhysicalTables, Projection, SqlExecutor } from '#ruche/projections';
import type { UserEvent } from '../user.js';

/** The users read model: who is who, for sign-in, member lists and invitations. */
export const usersProjection: Projection<'users'> = {
  name: 'users',
  version: 1,
  // Users' own events only: the consultations and reactions pass it by (see Projection.ignores).
  ignores: ['TopicRead', 'TopicCaughtUp', 'DocumentRead', 'ReactionAdded', 'ReactionRemoved'],
  tables: ['users'],
  async createTables(db: SqlExecutor, t: PhysicalTables<'users'>): Promise<void> {
    await db.execute(
      `CREATE TABLE IF NOT EXISTS ${t.users} (
         id TEXT PRIMARY KEY,
         email TEXT NOT NULL UNIQUE,
         display_name TEXT NOT NULL,
         roles TEXT NOT NULL,
         uai TEXT,
         created_at TEXT NOT NULL,
         updated_at TEXT NOT NULL
       )`,
    );
  },
  async apply(recorded: RecordedEvent, tx: SqlExecutor, t: PhysicalTables<'users'>): Promise<void> {
    const event = recorded as unknown as UserEvent;
    switch (event.type) {
      case 'UserRegistered': {
        const d = event.data;
        await tx.execute(
          `INSERT INTO ${t.users} (id, email, display_name, roles, uai, created_at, updated_at)
           VALUES ($1, $2, $3, $4, $5, $6, $6) ON CONFLICT (id) DO NOTHING`,
          [d.userId, d.email, d.displayName, JSON.stringify(d.roles), d.uai ?? null, d.at],
        );
        return;
      }
      case 'UserProfileUpdated': {
        const d = event.data;
        if (d.displayName !== undefined) {
          await tx.execute(`UPDATE ${t.users} SET display_name = $2 WHERE id = $1`, [d.userId, d.displayName]);
        }
        if (d.roles !== undefined) {
          await tx.execute(`UPDATE ${t.users} SET roles = $2 WHERE id = $1`, [d.userId, JSON.stringify(d.roles)]);
        }
        if (d.uai !== undefined) {
          await tx.execute(`UPDATE ${t.users} SET uai = $2 WHERE id = $1`, [d.userId, d.uai ?? null]);
        }
        await tx.execute(`UPDATE ${t.users} SET updated_at = $2 WHERE id = $1`, [d.userId, d.at]);
        return;
      }
      default:
        return;
    }
  },
};

export interface UserRow {
  id: string;
  email: string;
  displayName: string;
  roles: string[];
  uai?: string;
}

export function toUserRow(row: { id: string; email: string; display_name: string; roles: string; uai: string | null }): UserRow {
  return {
    id: row.id,
    email: row.email,
    displayName: row.display_name,
    roles: JSON.parse(row.roles) as string[],
    ...(row.uai ? { uai: row.uai } : {}),
  };
}
