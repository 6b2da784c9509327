import { DomainError } from './domain-error.js';

/** Length as a person counts it: code points, so an emoji or an accented letter is one. */
export function textLength(value: string): number {
  return Array.from(value).length;
}

export interface TextRule {
  min: number;
  max: number;
}

/**
 * Trims `value` and checks its length; throws VALIDATION on `field` otherwise.
 * A non-string is refused too: commands may come from seeds and scripts, not only from DTOs.
 */
export function requireText(value: unknown, field: string, { min, max }: TextRule): string {
  if (typeof value !== 'string') throw DomainError.validation(field, `${field} must be a string`);
  const trimmed = value.trim();
  const length = textLength(trimmed);
  if (length < min) {
    throw DomainError.validation(field, min === 1 ? `${field} must not be empty` : `${field} must have at least ${min} characters`);
  }
  if (length > max) throw DomainError.validation(field, `${field} must have at most ${max} characters`);
  return trimmed;
}

/** Checks that `value` is one of `allowed`; throws VALIDATION on `field` otherwise. */
export function requireOneOf<T extends string>(value: unknown, allowed: readonly T[], field: string): T {
  if (typeof value === 'string' && (allowed as readonly string[]).includes(value)) return value as T;
  throw DomainError.validation(field, `${field} must be one of ${allowed.join(', ')}`);
}
