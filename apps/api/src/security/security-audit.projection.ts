import type { RecordedEvent } from '#ruche/eventstore';
import type { PhysicalTables, Projection, SqlExecutor } from '#ruche/projections';

/**
 * The role changes of the audit trail, from the users' own streams: a UserProfileUpdated that
 * sets roles, or a registration with roles other than the default, with who made them. The
 * other facts are in `security_events` (SecurityAuditService); the audit query reads both.
 */
export const securityAuditProjection: Projection<'security_audit'> = {
  name: 'security_audit',
  version: 2,
  // Role changes only: the consultations and reactions pass it by (see Projection.ignores).
  ignores: ['TopicRead', 'TopicCaughtUp', 'DocumentRead', 'ReactionAdded', 'ReactionRemoved'],
  tables: ['security_audit'],
  async createTables(db: SqlExecutor, t: PhysicalTables<'security_audit'>): Promise<void> {
    await db.execute(
      `CREATE TABLE IF NOT EXISTS ${t.security_audit} (
         id TEXT PRIMARY KEY,
         at TEXT NOT NULL,
         user_id TEXT NOT NULL,
         by_user_id TEXT NOT NULL,
         roles TEXT NOT NULL
       )`,
    );
    await db.execute(`CREATE INDEX IF NOT EXISTS ${t.security_audit}_by_time ON ${t.security_audit} (at, id)`);
  },
  async apply(event: RecordedEvent, tx: SqlExecutor, t: PhysicalTables<'security_audit'>): Promise<void> {
    if (event.type !== 'UserProfileUpdated' && event.type !== 'UserRegistered') return;
    const d = event.data as { userId: string; roles?: string[]; at: string; by: string };
    if (d.roles === undefined) return;
    if (event.type === 'UserRegistered' && d.roles.length === 1 && d.roles[0] === 'enseignant') return;
    await tx.execute(
      `INSERT INTO ${t.security_audit} (id, at, user_id, by_user_id, roles) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (id) DO NOTHING`,
      [event.id, d.at, d.userId, d.by, d.roles.join(',')],
    );
  },
};
