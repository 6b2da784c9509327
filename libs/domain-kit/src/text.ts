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

/** Largest Markdown body of a topic, post, FAQ answer or fiche: larger ones are 413. */
export const MARKDOWN_MAX_BYTES = 200 * 1024;

/**
 * A Markdown body as typed (trimmed of surrounding blank lines only): not empty, at most
 * MARKDOWN_MAX_BYTES in UTF-8 (TOO_LARGE on `field` beyond), well-formed Unicode.
 */
export function requireMarkdown(value: unknown, field: string, { min = 1 }: { min?: number } = {}): string {
  if (typeof value !== 'string') throw DomainError.validation(field, `${field} must be a string`);
  if (utf8Length(value) > MARKDOWN_MAX_BYTES) throw DomainError.tooLarge(field, `${field} must be at most ${MARKDOWN_MAX_BYTES / 1024} kB`);
  if (!value.isWellFormed()) throw DomainError.validation(field, `${field} must be valid Unicode text`);
  const body = value.replace(/^\s*\n/, '').trimEnd();
  if (textLength(body.trim()) < min) throw DomainError.validation(field, `${field} must not be empty`);
  return body;
}

function utf8Length(value: string): number {
  let bytes = 0;
  for (const char of value) {
    const code = char.codePointAt(0)!;
    bytes += code < 0x80 ? 1 : code < 0x800 ? 2 : code < 0x10000 ? 3 : 4;
  }
  return bytes;
}
