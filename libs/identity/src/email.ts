import { DomainError } from '#ruche/domain-kit';

// Deliberately loose (one @, a dot in the domain, no spaces): the identity provider is the real
// judge; this only catches typing mistakes.
const EMAIL = /^[^\s@]+@[^\s@.]+(\.[^\s@.]+)+$/;
const MAX_EMAIL = 254;
const MAX_LOCAL_PART = 64;

/** E-mail addresses compare in lower case, trimmed: `Jean.Dupont@AC-Nice.fr ` is `jean.dupont@ac-nice.fr`. */
export function normaliseEmail(value: string): string {
  return value.trim().toLowerCase();
}

export function isValidEmail(value: string): boolean {
  const at = value.lastIndexOf('@');
  return value.length <= MAX_EMAIL && at > 0 && at <= MAX_LOCAL_PART && EMAIL.test(value);
}

/** Normalises and checks an e-mail from a command; VALIDATION on `field` when it is not one. */
export function parseEmail(value: unknown, field = 'email'): string {
  if (typeof value !== 'string') throw DomainError.validation(field, `${field} must be an e-mail address`);
  const email = normaliseEmail(value);
  if (!isValidEmail(email)) throw DomainError.validation(field, `${field} must be an e-mail address`);
  return email;
}

/** The part before the @, used as the display name when none is given. */
export function emailLocalPart(email: string): string {
  return email.slice(0, email.lastIndexOf('@'));
}
