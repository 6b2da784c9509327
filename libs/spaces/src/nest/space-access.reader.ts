import { Inject, Injectable } from '@nestjs/common';
import { DomainError, type Actor } from '#ruche/domain-kit';
import type { SqlDatabase } from '#ruche/projections';
import { READ_DB } from '#ruche/platform';
import { canManage, canRead, mayKnowExists, roleOf } from '../space.access.js';
import type { Space, SpaceKind, SpaceRole, SpaceVisibility } from '../space.js';

export interface SpaceRow {
  id: string;
  name: string;
  name_lower: string;
  description: string;
  kind: SpaceKind;
  visibility: SpaceVisibility;
  uai: string | null;
  parent_space_id: string | null;
  created_by: string;
  created_at: string;
  updated_at: string;
  member_count: number;
  revision: number;
  position: number;
}

export interface SpaceAccess {
  row: SpaceRow;
  myRole?: SpaceRole;
  canRead: boolean;
  canManage: boolean;
}

/**
 * Query-side access checks: the read model gives the space's visibility and the caller's role,
 * and the domain's own rules (space.access.ts) decide, so commands and queries agree.
 */
@Injectable()
export class SpaceAccessReader {
  constructor(@Inject(READ_DB) private readonly db: SqlDatabase) {}

  async load(spaceId: string, actor: Actor): Promise<SpaceAccess | undefined> {
    const row = await this.db.queryOne<SpaceRow>('SELECT * FROM spaces WHERE id = $1', [spaceId]);
    if (!row) return undefined;
    const member = await this.db.queryOne<{ role: SpaceRole }>('SELECT role FROM space_members WHERE space_id = $1 AND user_id = $2', [
      spaceId,
      actor.userId,
    ]);
    // The rules look at the visibility and the caller's own membership only.
    const view: Space = {
      status: 'active',
      spaceId: row.id,
      name: row.name,
      description: row.description,
      kind: row.kind,
      visibility: row.visibility,
      createdBy: row.created_by,
      members: new Map(member ? [[actor.userId, member.role]] : []),
      joinRequests: new Set(),
    };
    if (!mayKnowExists(view, actor)) return undefined;
    return { row, myRole: roleOf(view, actor.userId), canRead: canRead(view, actor), canManage: canManage(view, actor) };
  }

  /** The space, or NOT_FOUND when it does not exist or the caller may not know it does. */
  async requireKnown(spaceId: string, actor: Actor): Promise<SpaceAccess> {
    const access = await this.load(spaceId, actor);
    if (!access) throw DomainError.notFound('No such space');
    return access;
  }

  async requireRead(spaceId: string, actor: Actor): Promise<SpaceAccess> {
    const access = await this.requireKnown(spaceId, actor);
    if (!access.canRead) throw DomainError.forbidden('Only members read this space');
    return access;
  }

  async requireManage(spaceId: string, actor: Actor): Promise<SpaceAccess> {
    const access = await this.requireKnown(spaceId, actor);
    if (!access.canManage) throw DomainError.forbidden('Only the managers of this space may do this');
    return access;
  }
}
