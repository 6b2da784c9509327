import type { RecordedEvent } from '#ruche/eventstore';
import type { PhysicalTables, Projection, SqlExecutor } from '#ruche/projections';
import { isSpaceEvent } from '../space.js';

/**
 * A space's activity feed: one row per event of the space, newest first on screen. Only what
 * a reader of the space may see is kept (ids and values, never e-mails); names are joined at
 * query time so a renamed user reads with their current name.
 */
export const spaceActivityProjection: Projection<'space_activity'> = {
  name: 'space_activity',
  version: 1,
  // Spaces' own events only: the consultations and reactions pass it by (see Projection.ignores).
  ignores: ['TopicRead', 'TopicCaughtUp', 'DocumentRead', 'ReactionAdded', 'ReactionRemoved'],
  tables: ['space_activity'],
  async createTables(db: SqlExecutor, t: PhysicalTables<'space_activity'>): Promise<void> {
    await db.execute(
      `CREATE TABLE IF NOT EXISTS ${t.space_activity} (
         position BIGINT PRIMARY KEY,
         space_id TEXT NOT NULL,
         type TEXT NOT NULL,
         actor_id TEXT NOT NULL,
         subject_user_id TEXT,
         details TEXT NOT NULL,
         at TEXT NOT NULL
       )`,
    );
    await db.execute(`CREATE INDEX IF NOT EXISTS ${t.space_activity}_by_space ON ${t.space_activity} (space_id, position)`);
  },
  async apply(recorded: RecordedEvent, tx: SqlExecutor, t: PhysicalTables<'space_activity'>): Promise<void> {
    if (!isSpaceEvent(recorded)) return;
    const { spaceId, at, by, ...rest } = recorded.data as { spaceId: string; at: string; by: string; userId?: string } & Record<
      string,
      unknown
    >;
    const { userId, ...details } = rest;
    await tx.execute(
      `INSERT INTO ${t.space_activity} (position, space_id, type, actor_id, subject_user_id, details, at)
       VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (position) DO NOTHING`,
      [recorded.position, spaceId, recorded.type, by, (userId as string | undefined) ?? null, JSON.stringify(details), at],
    );
  },
};
