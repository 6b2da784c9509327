import type { RecordedEvent } from '#ruche/eventstore';
import type { PhysicalTables, Projection, SqlExecutor } from '#ruche/projections';
import { AUDIT_STREAM_CATEGORY, type SecurityFactData } from './security-audit.service.js';

/**
 * The audit trail dane read: every fact of `audit-` streams, and role changes from the users'
 * own streams (a UserProfileUpdated that sets roles, or a registration with roles), with who
 * made them.
 */
export const securityAuditProjection: Projection<'security_audit'> = {
  name: 'security_audit',
  version: 1,
  tables: ['security_audit'],
  async createTables(db: SqlExecutor, t: PhysicalTables<'security_audit'>): Promise<void> {
    await db.execute(
      `CREATE TABLE IF NOT EXISTS ${t.security_audit} (
         position BIGINT PRIMARY KEY,
         type TEXT NOT NULL,
         at TEXT NOT NULL,
         user_id TEXT,
         by_user_id TEXT,
         ip TEXT,
         method TEXT,
         path TEXT,
         reason TEXT NOT NULL,
         details TEXT NOT NULL
       )`,
    );
    await db.execute(`CREATE INDEX IF NOT EXISTS ${t.security_audit}_by_type ON ${t.security_audit} (type, position)`);
  },
  async apply(event: RecordedEvent, tx: SqlExecutor, t: PhysicalTables<'security_audit'>): Promise<void> {
    const insert = (row: { type: string; at: string; userId?: string; by?: string; ip?: string; method?: string; path?: string; reason: string; details: object }) =>
      tx.execute(
        `INSERT INTO ${t.security_audit} (position, type, at, user_id, by_user_id, ip, method, path, reason, details)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (position) DO NOTHING`,
        [event.position, row.type, row.at, row.userId ?? null, row.by ?? null, row.ip ?? null, row.method ?? null, row.path ?? null, row.reason, JSON.stringify(row.details)],
      );
    if (event.streamName.startsWith(`${AUDIT_STREAM_CATEGORY}-`)) {
      const d = event.data as SecurityFactData;
      await insert({ type: event.type, at: d.at, userId: d.userId, ip: d.ip, method: d.method, path: d.path, reason: d.reason, details: d.details ?? {} });
      return;
    }
    if (event.type === 'UserProfileUpdated' || event.type === 'UserRegistered') {
      const d = event.data as { userId: string; roles?: string[]; at: string; by: string };
      if (d.roles === undefined) return;
      if (event.type === 'UserRegistered' && d.roles.length === 1 && d.roles[0] === 'enseignant') return;
      await insert({ type: 'RoleChanged', at: d.at, userId: d.userId, by: d.by, reason: `roles set to ${d.roles.join(', ')}`, details: { roles: d.roles.join(',') } });
    }
  },
};
