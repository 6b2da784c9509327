import type { Actor, SpaceRights } from '#ruche/domain-kit';
import type { DocumentCommand } from './document.decide.js';
import type { DocumentEvent } from './document.js';

/*
 * Shared fixtures of the documents specs: actors with their rights in the space, and event and
 * command builders, so that each test reads as given/when/then on events.
 */

export const now = new Date('2026-03-02T09:00:00.000Z');
export const at = now.toISOString();
export const spaceId = '0195a1b2-0000-7000-8000-00000000a001';
export const documentId = '0195a1b2-0000-7000-8000-00000000d001';

export const actors = {
  manager: { userId: 'u-manager', roles: ['rrupn'] },
  contributor: { userId: 'u-contributor', roles: ['referent_pix'] },
  reader: { userId: 'u-reader', roles: ['enseignant'] },
  /** Not a member of a restricted space: knows it exists, may not read its content. */
  outsider: { userId: 'u-outsider', roles: ['enseignant'] },
  /** Not a member of a private space: may not even know it exists. */
  stranger: { userId: 'u-stranger', roles: ['enseignant'] },
} satisfies Record<string, Actor>;

export const rights = {
  manager: { mayKnow: true, read: true, contribute: true, manage: true },
  contributor: { mayKnow: true, read: true, contribute: true, manage: false },
  reader: { mayKnow: true, read: true, contribute: false, manage: false },
  outsider: { mayKnow: true, read: false, contribute: false, manage: false },
  stranger: { mayKnow: false, read: false, contribute: false, manage: false },
} satisfies Record<keyof typeof actors, SpaceRights>;

export type Who = keyof typeof actors;

type Data<T extends DocumentCommand['type']> = Omit<Extract<DocumentCommand, { type: T }>['data'], 'rights' | 'documentId'>;

/** A command of `type` on the document, sent by `who` (with their rights) at `when`. */
export function command<T extends DocumentCommand['type']>(type: T, data: Data<T>, who: Who, when: Date = now): Extract<DocumentCommand, { type: T }> {
  return {
    type,
    data: { documentId, ...data, rights: rights[who] },
    metadata: { actor: actors[who], now: when, correlationId: 'c-1' },
  } as unknown as Extract<DocumentCommand, { type: T }>;
}

const stamp = (by: string, when: string = at) => ({ documentId, spaceId, at: when, by });

export const created = (
  data: Partial<{ title: string; body: string; competences: Extract<DocumentEvent, { type: 'DocumentCreated' }>['data']['competences'] }> = {},
  by = actors.contributor.userId,
): DocumentEvent => ({
  type: 'DocumentCreated',
  data: { title: 'Évaluer avec PIX', body: '# Fiche\n\nPremière version', competences: ['1.1', '3.1'], ...data, revision: 1, ...stamp(by) },
});

export const revised = (
  revision: number,
  body: string,
  extra: { summary?: string; restoredFrom?: number } = {},
  by = actors.contributor.userId,
): DocumentEvent => ({ type: 'DocumentRevised', data: { revision, body, ...extra, ...stamp(by) } });

export const read = (userId: string, when: string = at): DocumentEvent => ({ type: 'DocumentRead', data: { userId, ...stamp(userId, when) } });
