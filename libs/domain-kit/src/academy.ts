import { DomainError } from './domain-error.js';

/*
 * The académie's shared vocabulary: the global roles an actor holds and the UAI of the
 * establishment they belong to. It lives beside the Actor type so that every context's domain
 * (spaces, indicators, …) can check them without importing another context's library.
 * `#ruche/identity` re-exports it.
 */

/** The académie-wide roles a user holds, whatever the space (DESIGN.md, "Access"). */
export const GLOBAL_ROLES = [
  'dane',
  'cmine',
  'ian',
  'inspecteur',
  'chef_etablissement',
  'rrupn',
  'referent_pix',
  'enseignant',
] as const;

export type GlobalRole = (typeof GLOBAL_ROLES)[number];

export function isGlobalRole(value: unknown): value is GlobalRole {
  return typeof value === 'string' && (GLOBAL_ROLES as readonly string[]).includes(value);
}

/** Does the actor hold this global role? */
export function hasRole(actor: { readonly roles: readonly string[] }, role: GlobalRole): boolean {
  return actor.roles.includes(role);
}

const UAI = /^[0-9]{7}[A-Z]$/;

/** Input as people type it (" 0061234x ") → the canonical form ("0061234X"). */
export function normaliseUai(value: string): string {
  return value.trim().toUpperCase();
}

/**
 * A UAI in canonical form: 7 digits and an upper-case letter (e.g. `0061234X`); check it after
 * normaliseUai. The check letter is not verified: demo identifiers do not all carry a valid one.
 */
export function isValidUai(value: string): boolean {
  return UAI.test(value);
}

/** Normalises and checks a UAI from a command; VALIDATION on `field` when it is not one. */
export function parseUai(value: unknown, field = 'uai'): string {
  const uai = typeof value === 'string' ? normaliseUai(value) : '';
  if (!isValidUai(uai)) throw DomainError.validation(field, `${field} must be a UAI: 7 digits and a letter, e.g. 0061234X`);
  return uai;
}
