/**
 * Why a command was refused. The API maps each code to one HTTP status in one place:
 * VALIDATION 400, UNAUTHENTICATED 401, FORBIDDEN 403, NOT_FOUND 404, CONFLICT 409, TOO_LARGE 413.
 */
export type DomainErrorCode = 'VALIDATION' | 'UNAUTHENTICATED' | 'FORBIDDEN' | 'NOT_FOUND' | 'CONFLICT' | 'TOO_LARGE';

export const DOMAIN_ERROR_CODES: readonly DomainErrorCode[] = ['VALIDATION', 'UNAUTHENTICATED', 'FORBIDDEN', 'NOT_FOUND', 'CONFLICT', 'TOO_LARGE'];

/**
 * A refusal decided by the domain, with a stable `code` (and, for VALIDATION, the input `field`
 * at fault). `decide` throws it before building any event, so nothing is written.
 */
export class DomainError extends Error {
  constructor(
    readonly code: DomainErrorCode,
    message: string,
    /** The command field at fault; set for VALIDATION. */
    readonly field?: string,
  ) {
    super(message);
    this.name = 'DomainError';
  }

  /** Bad input: names the field, answered as 400 with `errors: [{ field, message }]`. */
  static validation(field: string, message: string): DomainError {
    return new DomainError('VALIDATION', message, field);
  }

  static unauthenticated(message = 'You must be signed in'): DomainError {
    return new DomainError('UNAUTHENTICATED', message);
  }

  /** The caller may know the resource exists but may not do this. */
  static forbidden(message: string): DomainError {
    return new DomainError('FORBIDDEN', message);
  }

  /** Does not exist, or the caller may not know it exists. */
  static notFound(message: string): DomainError {
    return new DomainError('NOT_FOUND', message);
  }

  /**
   * The current state forbids it (e.g. removing the last manager). `details` travel to the
   * client in the problem (e.g. the current revision and body of a document written on a stale base).
   */
  static conflict(message: string, details?: Readonly<Record<string, unknown>>): DomainError {
    const error = new DomainError('CONFLICT', message);
    if (details) Object.assign(error, { details });
    return error;
  }

  /** A value too large to accept (answered 413, naming the field). */
  static tooLarge(field: string, message: string): DomainError {
    return new DomainError('TOO_LARGE', message, field);
  }

  /** Extra members of the problem answered for this error (see conflict). */
  readonly details?: Readonly<Record<string, unknown>>;
}

export function isDomainError(error: unknown): error is DomainError {
  return error instanceof DomainError;
}
