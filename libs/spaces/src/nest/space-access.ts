import { Inject, Injectable } from '@nestjs/common';
import { DomainError, hasRole, type Actor, type SpaceRights } from '#ruche/domain-kit';
import type { SqlDatabase } from '#ruche/projections';
import { CommandRunner, READ_DB } from '#ruche/platform';
import { rightsOf, spaceRights } from '../space.access.js';
import { spaceDecider } from '../space.decide.js';
import { spaceStreamName, type SpaceKind, type SpaceRole, type SpaceVisibility } from '../space.js';

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

/** A space as one actor may see it: its row, their role, and what they may do. */
export interface SpaceAccessView extends SpaceRights {
  row: SpaceRow;
  role?: SpaceRole;
}

/**
 * Who may see and do what in a space, for every context (spaces, forums, FAQ, documents,
 * indicators, live rooms). The rules are the domain's (space.access.ts: spaceRights); this
 * service feeds them the two facts they need, the visibility and the actor's role:
 * - queries read them from the read model (`of`, `require*`);
 * - commands read them from the space's stream (`forCommand`), so a decision never trusts a
 *   read model that may lag behind.
 */
@Injectable()
export class SpaceAccess {
  constructor(
    @Inject(READ_DB) private readonly db: SqlDatabase,
    private readonly runner: CommandRunner,
  ) {}

  /** The space as the actor may see it; undefined when it does not exist or they may not know it. */
  async of(spaceId: string, actor: Actor): Promise<SpaceAccessView | undefined> {
    const row = await this.db.queryOne<SpaceRow & { my_role: SpaceRole | null }>(
      `SELECT s.*, m.role AS my_role FROM spaces s LEFT JOIN space_members m ON m.space_id = s.id AND m.user_id = $2 WHERE s.id = $1`,
      [spaceId, actor.userId],
    );
    if (!row) return undefined;
    const { my_role: role, ...space } = row;
    const rights = spaceRights(space.visibility, role ?? undefined, actor);
    if (!rights.mayKnow) return undefined;
    return { ...rights, row: space, ...(role ? { role } : {}) };
  }

  /** The space, or NOT_FOUND when it does not exist or the actor may not know it does. */
  async requireKnown(spaceId: string, actor: Actor): Promise<SpaceAccessView> {
    const access = await this.of(spaceId, actor);
    if (!access) throw DomainError.notFound('No such space');
    return access;
  }

  async requireRead(spaceId: string, actor: Actor): Promise<SpaceAccessView> {
    const access = await this.requireKnown(spaceId, actor);
    if (!access.read) throw DomainError.forbidden('Only members read this space');
    return access;
  }

  async requireContribute(spaceId: string, actor: Actor): Promise<SpaceAccessView> {
    const access = await this.requireRead(spaceId, actor);
    if (!access.contribute) throw DomainError.forbidden('Only the contributors and managers of this space may do this');
    return access;
  }

  async requireManage(spaceId: string, actor: Actor): Promise<SpaceAccessView> {
    const access = await this.requireKnown(spaceId, actor);
    if (!access.manage) throw DomainError.forbidden('Only the managers of this space may do this');
    return access;
  }

  /** The actor's rights from the space's stream, for a command's decider. */
  async forCommand(spaceId: string, actor: Actor): Promise<SpaceRights> {
    const { state } = await this.runner.load(spaceStreamName(spaceId), spaceDecider);
    return rightsOf(state, actor);
  }

  /**
   * Which of `spaceIds` the actor may know exist: a reference to a space (a parent, a link in an
   * activity item) is shown only to those, so a private space's id never travels to others.
   */
  async knownIds(spaceIds: readonly string[], actor: Actor): Promise<Set<string>> {
    const ids = [...new Set(spaceIds)];
    if (ids.length === 0) return new Set();
    if (hasRole(actor, 'dane')) return new Set(ids);
    const placeholders = ids.map((_, i) => `$${i + 2}`).join(', ');
    const rows = await this.db.query<{ id: string }>(
      `SELECT s.id FROM spaces s
        WHERE s.id IN (${placeholders})
          AND (s.visibility <> 'private' OR EXISTS (SELECT 1 FROM space_members m WHERE m.space_id = s.id AND m.user_id = $1))`,
      [actor.userId, ...ids],
    );
    return new Set(rows.map((r) => r.id));
  }
}
