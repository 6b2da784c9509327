import type { RecordedEvent } from '#ruche/eventstore';
import type { PhysicalTables, Projection, SqlExecutor } from '#ruche/projections';
import { isSpaceEvent } from '../space.js';

type SpacesTables = 'spaces' | 'space_members' | 'space_join_requests';

/**
 * The spaces directory and its memberships: the list and card screens, member lists, join
 * requests, and the access checks of queries (visibility + the caller's role).
 */
export const spacesProjection: Projection<SpacesTables> = {
  name: 'spaces',
  version: 2,
  // Spaces' own events only: the consultations and reactions pass it by (see Projection.ignores).
  ignores: ['TopicRead', 'TopicCaughtUp', 'DocumentRead', 'ReactionAdded', 'ReactionRemoved'],
  // Seconds to replay a school year (see Projection.replayWeight).
  replayWeight: { postgres: 9 },
  tables: ['spaces', 'space_members', 'space_join_requests'],
  async createTables(db: SqlExecutor, t: PhysicalTables<SpacesTables>): Promise<void> {
    await db.execute(
      `CREATE TABLE IF NOT EXISTS ${t.spaces} (
         id TEXT PRIMARY KEY,
         name TEXT NOT NULL,
         name_lower TEXT NOT NULL,
         description TEXT NOT NULL,
         kind TEXT NOT NULL,
         visibility TEXT NOT NULL,
         uai TEXT,
         parent_space_id TEXT,
         created_by TEXT NOT NULL,
         created_at TEXT NOT NULL,
         updated_at TEXT NOT NULL,
         member_count INTEGER NOT NULL,
         revision INTEGER NOT NULL,
         position BIGINT NOT NULL
       )`,
    );
    await db.execute(`CREATE INDEX IF NOT EXISTS ${t.spaces}_by_name ON ${t.spaces} (name_lower, id)`);
    await db.execute(
      `CREATE TABLE IF NOT EXISTS ${t.space_members} (
         space_id TEXT NOT NULL,
         user_id TEXT NOT NULL,
         role TEXT NOT NULL,
         joined_at TEXT NOT NULL,
         PRIMARY KEY (space_id, user_id)
       )`,
    );
    await db.execute(`CREATE INDEX IF NOT EXISTS ${t.space_members}_by_user ON ${t.space_members} (user_id)`);
    await db.execute(
      `CREATE TABLE IF NOT EXISTS ${t.space_join_requests} (
         space_id TEXT NOT NULL,
         user_id TEXT NOT NULL,
         requested_at TEXT NOT NULL,
         PRIMARY KEY (space_id, user_id)
       )`,
    );
  },
  async apply(recorded: RecordedEvent, tx: SqlExecutor, t: PhysicalTables<SpacesTables>): Promise<void> {
    if (!isSpaceEvent(recorded)) return;
    const event = recorded;
    const { spaceId } = event.data;
    const touch = (): Promise<unknown> =>
      tx.execute(`UPDATE ${t.spaces} SET updated_at = $2, revision = $3, position = $4 WHERE id = $1`, [
        spaceId,
        event.data.at,
        recorded.revision,
        recorded.position,
      ]);
    // The count moves by what the membership row change did: exact once per event, no recount.
    const countMembers = (delta: number): Promise<unknown> =>
      delta === 0 ? Promise.resolve() : tx.execute(`UPDATE ${t.spaces} SET member_count = member_count + $2 WHERE id = $1`, [spaceId, delta]);
    switch (event.type) {
      case 'SpaceCreated': {
        const d = event.data;
        await tx.execute(
          `INSERT INTO ${t.spaces} (id, name, name_lower, description, kind, visibility, uai, parent_space_id, created_by,
             created_at, updated_at, member_count, revision, position)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10, 0, $11, $12)
           ON CONFLICT (id) DO NOTHING`,
          [d.spaceId, d.name, d.name.toLowerCase(), d.description, d.kind, d.visibility, d.uai ?? null, d.parentSpaceId ?? null,
            d.by, d.at, recorded.revision, recorded.position],
        );
        return;
      }
      case 'SpaceRenamed':
        await tx.execute(`UPDATE ${t.spaces} SET name = $2, name_lower = $3 WHERE id = $1`, [
          spaceId,
          event.data.name,
          event.data.name.toLowerCase(),
        ]);
        return void (await touch());
      case 'SpaceDescriptionChanged':
        await tx.execute(`UPDATE ${t.spaces} SET description = $2 WHERE id = $1`, [spaceId, event.data.description]);
        return void (await touch());
      case 'SpaceVisibilityChanged':
        await tx.execute(`UPDATE ${t.spaces} SET visibility = $2 WHERE id = $1`, [spaceId, event.data.visibility]);
        return void (await touch());
      case 'MemberAdded':
      case 'MemberJoined':
      case 'JoinRequestApproved': {
        const added = await tx.execute(
          `INSERT INTO ${t.space_members} (space_id, user_id, role, joined_at) VALUES ($1, $2, $3, $4)
           ON CONFLICT (space_id, user_id) DO NOTHING`,
          [spaceId, event.data.userId, event.data.role, event.data.at],
        );
        if (added.rowCount === 0) {
          await tx.execute(`UPDATE ${t.space_members} SET role = $3 WHERE space_id = $1 AND user_id = $2`, [spaceId, event.data.userId, event.data.role]);
        }
        await tx.execute(`DELETE FROM ${t.space_join_requests} WHERE space_id = $1 AND user_id = $2`, [spaceId, event.data.userId]);
        await countMembers(added.rowCount);
        return void (await touch());
      }
      case 'MemberRoleChanged':
        await tx.execute(`UPDATE ${t.space_members} SET role = $3 WHERE space_id = $1 AND user_id = $2`, [
          spaceId,
          event.data.userId,
          event.data.role,
        ]);
        return void (await touch());
      case 'MemberRemoved':
      case 'MemberLeft': {
        const removed = await tx.execute(`DELETE FROM ${t.space_members} WHERE space_id = $1 AND user_id = $2`, [spaceId, event.data.userId]);
        await countMembers(-removed.rowCount);
        return void (await touch());
      }
      case 'JoinRequested':
        await tx.execute(
          `INSERT INTO ${t.space_join_requests} (space_id, user_id, requested_at) VALUES ($1, $2, $3)
           ON CONFLICT (space_id, user_id) DO NOTHING`,
          [spaceId, event.data.userId, event.data.at],
        );
        return void (await touch());
      case 'JoinRequestRejected':
      case 'JoinRequestCancelled':
        await tx.execute(`DELETE FROM ${t.space_join_requests} WHERE space_id = $1 AND user_id = $2`, [spaceId, event.data.userId]);
        return void (await touch());
      default: {
        const _exhaustive: never = event;
        return;
      }
    }
  },
};
