import { GLOBAL_ROLES, isGlobalRole, isValidUai, normaliseUai, type GlobalRole } from '#ruche/domain-kit';
import type { UserClaims } from './user-directory.js';

/**
 * How an identity provider's claims become a Ruche user: which claim holds the e-mail, which
 * ones make the display name, and, when the provider asserts them, the global roles and the UAI.
 * Read from the JSON file named by OIDC_CLAIMS; the ProConnect preset applies without one.
 */
export interface ClaimsMapping {
  /** Scopes asked at the authorization endpoint (`openid` is always added). */
  scope: string;
  /** Ask the userinfo endpoint for the claims (ProConnect gives them only there). */
  userinfo: boolean;
  /** The userinfo answer is a JWT signed with this algorithm (ProConnect: RS256); absent: plain JSON. */
  userinfoSignedResponseAlg?: string;
  /** ID tokens signed with this algorithm (ProConnect: RS256). */
  idTokenSignedResponseAlg?: string;
  /** The claim holding the e-mail address. */
  email: string;
  /** Claims joined with a space into the display name; empty ones are skipped. */
  displayName: string[];
  /** Roles: the claim (a string or a list), and how its values translate; unknown values are ignored. */
  roles?: { claim: string; values?: Record<string, GlobalRole> };
  /**
   * The UAI: the claim (a string or a list) and an optional regular expression whose first group
   * is the UAI (e.g. `^(\\d{7}[A-Z])\\$` for values such as `0061234X$UAJ$PU$...`).
   */
  uai?: { claim: string; pattern?: string };
  /** Extra parameters for the authorization request (ProConnect asks for `acr_values`). */
  authorizationParams?: Record<string, string>;
}

/**
 * ProConnect, the State's federation of agents' identity providers: claims come from the signed
 * userinfo answer (`email`, `given_name`, `usual_name`, `uid`, `siret`…). It asserts no roles
 * and no UAI: every new user starts as `enseignant`, and a dane gives roles and establishments.
 */
export const PROCONNECT_CLAIMS: ClaimsMapping = {
  scope: 'openid email given_name usual_name uid siret',
  userinfo: true,
  userinfoSignedResponseAlg: 'RS256',
  idTokenSignedResponseAlg: 'RS256',
  email: 'email',
  displayName: ['given_name', 'usual_name'],
};

const CLAIM = /^[A-Za-z_][A-Za-z0-9_.:-]{0,99}$/;
const KNOWN_KEYS = new Set(['scope', 'userinfo', 'userinfoSignedResponseAlg', 'idTokenSignedResponseAlg', 'email', 'displayName', 'roles', 'uai', 'authorizationParams', 'preset']);

/**
 * Checks a mapping file's content. `{ "preset": "proconnect", ...overrides }` starts from the
 * ProConnect preset. Returns the mapping, or every problem found, each naming its key.
 */
export function parseClaimsMapping(input: unknown): { mapping: ClaimsMapping } | { problems: string[] } {
  const problems: string[] = [];
  if (input === null || typeof input !== 'object' || Array.isArray(input)) return { problems: ['must be a JSON object'] };
  const raw = input as Record<string, unknown>;
  for (const key of Object.keys(raw)) if (!KNOWN_KEYS.has(key)) problems.push(`unknown key "${key}"`);
  if (raw.preset !== undefined && raw.preset !== 'proconnect') problems.push('preset must be "proconnect"');
  const base: Partial<ClaimsMapping> = raw.preset === 'proconnect' ? PROCONNECT_CLAIMS : {};

  const claimName = (value: unknown, key: string): string | undefined => {
    if (typeof value === 'string' && CLAIM.test(value)) return value;
    problems.push(`${key} must be a claim name`);
    return undefined;
  };
  const optionalString = (key: 'userinfoSignedResponseAlg' | 'idTokenSignedResponseAlg'): string | undefined => {
    const value = raw[key] ?? base[key];
    if (value === undefined || (typeof value === 'string' && /^[A-Za-z0-9]{2,10}$/.test(value))) return value as string | undefined;
    problems.push(`${key} must be a JWS algorithm name such as RS256`);
    return undefined;
  };

  const scope = raw.scope ?? base.scope ?? 'openid email profile';
  if (typeof scope !== 'string' || !/^[\x21-\x7e]+( [\x21-\x7e]+)*$/.test(scope)) problems.push('scope must be scopes separated by spaces');
  const userinfo = raw.userinfo ?? base.userinfo ?? false;
  if (typeof userinfo !== 'boolean') problems.push('userinfo must be true or false');
  const email = claimName(raw.email ?? base.email ?? 'email', 'email');
  const rawDisplayName = raw.displayName ?? base.displayName ?? ['name'];
  const displayName = Array.isArray(rawDisplayName) && rawDisplayName.length > 0 ? rawDisplayName.map((c, i) => claimName(c, `displayName[${i}]`)) : [];
  if (displayName.length === 0) problems.push('displayName must be a non-empty list of claim names');

  let roles: ClaimsMapping['roles'];
  const rawRoles = raw.roles ?? base.roles;
  if (rawRoles !== undefined) {
    if (rawRoles === null || typeof rawRoles !== 'object') problems.push('roles must be { "claim": …, "values"?: { … } }');
    else {
      const { claim, values } = rawRoles as { claim?: unknown; values?: unknown };
      const name = claimName(claim, 'roles.claim');
      let table: Record<string, GlobalRole> | undefined;
      if (values !== undefined) {
        if (values === null || typeof values !== 'object' || Array.isArray(values)) problems.push('roles.values must map claim values to roles');
        else {
          table = {};
          for (const [from, to] of Object.entries(values)) {
            if (isGlobalRole(to)) table[from] = to;
            else problems.push(`roles.values["${from}"] must be one of ${GLOBAL_ROLES.join(', ')}`);
          }
        }
      }
      if (name) roles = { claim: name, ...(table ? { values: table } : {}) };
    }
  }

  let uai: ClaimsMapping['uai'];
  const rawUai = raw.uai ?? base.uai;
  if (rawUai !== undefined) {
    if (rawUai === null || typeof rawUai !== 'object') problems.push('uai must be { "claim": …, "pattern"?: … }');
    else {
      const { claim, pattern } = rawUai as { claim?: unknown; pattern?: unknown };
      const name = claimName(claim, 'uai.claim');
      if (pattern !== undefined) {
        try {
          if (typeof pattern !== 'string') throw new Error();
          new RegExp(pattern);
        } catch {
          problems.push('uai.pattern must be a regular expression');
        }
      }
      if (name) uai = { claim: name, ...(typeof pattern === 'string' ? { pattern } : {}) };
    }
  }

  const rawParams = raw.authorizationParams ?? base.authorizationParams;
  if (rawParams !== undefined) {
    const ok = rawParams !== null && typeof rawParams === 'object' && Object.values(rawParams).every((v) => typeof v === 'string');
    if (!ok) problems.push('authorizationParams must map parameter names to strings');
  }

  if (problems.length > 0) return { problems };
  return {
    mapping: {
      scope: scope as string,
      userinfo: userinfo as boolean,
      ...(optionalString('userinfoSignedResponseAlg') ? { userinfoSignedResponseAlg: optionalString('userinfoSignedResponseAlg') } : {}),
      ...(optionalString('idTokenSignedResponseAlg') ? { idTokenSignedResponseAlg: optionalString('idTokenSignedResponseAlg') } : {}),
      email: email!,
      displayName: displayName as string[],
      ...(roles ? { roles } : {}),
      ...(uai ? { uai } : {}),
      ...(rawParams ? { authorizationParams: rawParams as Record<string, string> } : {}),
    },
  };
}

/** A claim's values as strings: a string, or the strings of a list. */
function valuesOf(claims: Record<string, unknown>, name: string): string[] {
  const value = claims[name];
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === 'string');
  return [];
}

export class ClaimsMappingError extends Error {}

/**
 * The user claims of a sign-in. The e-mail is required (it links a first OIDC sign-in to an
 * existing user); roles and UAI are asserted only when the mapping names their claims and the
 * provider sent them, so that a provider silent about them never strips what a dane gave.
 */
export function mapClaims(mapping: ClaimsMapping, claims: Record<string, unknown>): UserClaims {
  const [email] = valuesOf(claims, mapping.email);
  if (!email) throw new ClaimsMappingError(`the identity provider sent no "${mapping.email}" claim`);
  if (mapping.email === 'email' && claims.email_verified === false) throw new ClaimsMappingError('the identity provider says this e-mail is not verified');
  const displayName = mapping.displayName
    .flatMap((name) => valuesOf(claims, name).slice(0, 1))
    .map((part) => part.trim())
    .filter((part) => part.length > 0)
    .join(' ')
    .slice(0, 120);
  const result: { email: string; displayName?: string; roles?: string[]; uai?: string | null } = { email };
  if (displayName) result.displayName = displayName;
  if (mapping.roles && mapping.roles.claim in claims) {
    const table = mapping.roles.values;
    const roles = valuesOf(claims, mapping.roles.claim)
      .map((value) => (table ? table[value] : isGlobalRole(value) ? value : undefined))
      .filter((role): role is GlobalRole => role !== undefined);
    // A provider that asserts roles Ruche does not know gives the default role.
    result.roles = roles.length > 0 ? [...new Set(roles)] : ['enseignant'];
  }
  if (mapping.uai && mapping.uai.claim in claims) {
    const pattern = mapping.uai.pattern ? new RegExp(mapping.uai.pattern) : undefined;
    const found = valuesOf(claims, mapping.uai.claim)
      .map((value) => (pattern ? pattern.exec(value)?.[1] : value))
      .map((value) => (value === undefined ? undefined : normaliseUai(value)))
      .find((value): value is string => value !== undefined && isValidUai(value));
    result.uai = found ?? null;
  }
  return result;
}
