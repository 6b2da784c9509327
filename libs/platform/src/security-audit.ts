/**
 * The audit trail's port: security-relevant facts (sign-ins and their failures, refused origins,
 * rate limits, access denials, expired sessions) recorded as events in the log, so that a dane
 * reads them like any other history. The app provides it (apps/api/src/security); a module
 * that records facts injects it with @Optional(), so libraries run without it in their tests.
 */
export type SecurityFactType =
  | 'SignInSucceeded'
  | 'SignInFailed'
  | 'SignedOut'
  | 'SessionExpired'
  | 'AccessDenied'
  | 'OriginRefused'
  | 'RateLimited';

export interface SecurityFact {
  type: SecurityFactType;
  /** The user concerned, when known (a failed sign-in has none). */
  userId?: string;
  /** The client's address, as the trusted proxy reports it. */
  ip?: string;
  method?: string;
  path?: string;
  /** A short reason, for people: never a token, a password or a cookie. */
  reason: string;
  /** What else helps an investigation (the sign-in mode, the issuer, the origin refused…). */
  details?: Record<string, string | number>;
  correlationId?: string;
}

export interface SecurityAudit {
  /** Records the fact; never throws (a failing audit must not turn a refusal into a 500). */
  record(fact: SecurityFact): Promise<void>;
}

export const SECURITY_AUDIT = Symbol('SECURITY_AUDIT');
