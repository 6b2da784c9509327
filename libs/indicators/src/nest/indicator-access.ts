import { Inject, Injectable } from '@nestjs/common';
import { type Actor, DomainError, hasRole, parseUai } from '#ruche/domain-kit';
import type { SqlDatabase } from '#ruche/projections';
import { READ_DB } from '#ruche/platform';
import { SpaceAccess, type SpaceAccessView } from '#ruche/spaces/nest';

/*
 * Who reads which figures (issue #8, DESIGN.md "Access"):
 * - a space's figures: its managers, and the dane, cmine and inspecteurs (who still get 404 for
 *   a private space they may not know exists, as everywhere);
 * - an establishment's figures: its rrupn and chef d'établissement, and the académie roles;
 * - the académie's roll-ups and the dormant spaces of the académie: dane, cmine, inspecteur;
 * - the events behind a figure (/explain): those who read that figure AND may read the content
 *   of every space it counts (a figure over spaces whose content is closed to the caller is
 *   explained to the dane or their members only).
 * Figures are counts: a private space that the caller may not know is never named in them
 * (its row is merged into "Espaces privés", its establishment shown by UAI).
 */

export const ACADEMY_ROLES = ['dane', 'cmine', 'inspecteur'] as const;

export function isAcademyReader(actor: Actor): boolean {
  return ACADEMY_ROLES.some((role) => hasRole(actor, role));
}

/** The UAI the actor answers for as rrupn or chef d'établissement, if any. */
export function establishmentOf(actor: Actor): string | undefined {
  if (!(hasRole(actor, 'rrupn') || hasRole(actor, 'chef_etablissement')) || !actor.uai) return undefined;
  return actor.uai.trim().toUpperCase();
}

@Injectable()
export class IndicatorAccess {
  constructor(
    private readonly spaces: SpaceAccess,
    @Inject(READ_DB) private readonly db: SqlDatabase,
  ) {}

  requireAcademy(actor: Actor): void {
    if (!isAcademyReader(actor)) throw DomainError.forbidden('The académie indicators are for the dane, the cmine and the inspecteurs');
  }

  /** NOT_FOUND for a space the actor may not know; FORBIDDEN unless they manage it or read the académie. */
  async requireSpaceFigures(spaceId: string, actor: Actor): Promise<SpaceAccessView> {
    const access = await this.spaces.requireKnown(spaceId, actor);
    if (!access.manage && !isAcademyReader(actor)) {
      throw DomainError.forbidden("A space's indicators are for its managers, the dane, the cmine and the inspecteurs");
    }
    return access;
  }

  /** The UAI, checked (400 on `uai`); FORBIDDEN unless the actor reads this establishment's figures. */
  requireEstablishment(uai: unknown, actor: Actor): string {
    const parsed = parseUai(uai);
    if (!isAcademyReader(actor) && establishmentOf(actor) !== parsed) {
      throw DomainError.forbidden("An establishment's indicators are for its rrupn and chef d'établissement, the dane, the cmine and the inspecteurs");
    }
    return parsed;
  }

  /** The private spaces among `spaceIds` the actor may know (a member, or the dane). */
  knownIds(spaceIds: readonly string[], actor: Actor): Promise<Set<string>> {
    return this.spaces.knownIds(spaceIds, actor);
  }

  /** FORBIDDEN unless the actor may read the content of every one of these spaces. */
  async requireReadAll(spaces: readonly { space_id: string; visibility: string }[], actor: Actor): Promise<void> {
    if (hasRole(actor, 'dane')) return;
    for (const space of spaces) {
      if (space.visibility === 'public') continue;
      const access = await this.spaces.of(space.space_id, actor);
      if (!access?.read) {
        throw DomainError.forbidden('This figure counts events of spaces whose content you may not read: ask the dane or their managers');
      }
    }
  }

  /** Spaces the actor manages (dormant spaces of people who are neither académie nor establishment readers). */
  async managedSpaceIds(actor: Actor): Promise<string[]> {
    // The spaces context's memberships read model: the one source of roles for every query.
    const rows = await this.db.query<{ space_id: string }>(`SELECT space_id FROM space_members WHERE user_id = $1 AND role = 'manager'`, [
      actor.userId,
    ]);
    return rows.map((row) => row.space_id);
  }
}
