import fs from 'node:fs';
import path from 'node:path';
import { availableParallelism } from 'node:os';
import { parseClaimsMapping, PROCONNECT_CLAIMS, type ClaimsMapping } from '#ruche/identity/nest';

/** Ruche's configuration, parsed once from the environment at start-up. */
export interface RucheConfig {
  nodeEnv: string;
  port: number;
  dataDir: string;
  databaseUrl?: string;
  /** PostgreSQL schema holding Ruche's tables (one database can host several instances). */
  databaseSchema: string;
  kurrentDbUrl?: string;
  redisUrl?: string;
  authMode: 'dev' | 'oidc';
  seed: 'demo' | 'none';
  /** Which adapter holds the event log, and which the read models. */
  eventStore: 'sqlite' | 'postgres' | 'kurrentdb';
  readStore: 'sqlite' | 'postgres';
  /** The embedded event log (`DATA_DIR/ruche.sqlite`). */
  sqliteFile: string;
  /**
   * The embedded read models, sessions and audit (`DATA_DIR/ruche-read.sqlite`): a file of their
   * own, so that read-side writes (a projection's batch, a rebuild's copy) never hold the event
   * log's write lock. A data directory whose ruche.sqlite already holds them keeps them there
   * (openReadDatabase).
   */
  sqliteReadFile: string;
  /**
   * Threads a rebuild replays on (REBUILD_THREADS, 1–8; default the machine's cores, at most 4)
   * with SQLite read models; with PostgreSQL, more than 1 puts each of the rebuild's connections
   * on a thread of its own.
   */
  rebuildThreads: number;
  /** The origin browsers use (no trailing slash). */
  publicUrl: string;
  /** Session cookies marked Secure: PUBLIC_URL is https, unless COOKIE_SECURE says otherwise. */
  secureCookies: boolean;
  /** The identity provider, with AUTH_MODE=oidc. */
  oidc?: OidcConfig;
  /** Rate limits (per minute; 0: none) and session timeouts. */
  security: SecurityConfig;
  /** Express' `trust proxy`: whose X-Forwarded-For to believe (the client's address for rate limits and the audit). */
  trustProxy: string;
}

export interface SecurityConfig {
  signInPerMinutePerIp: number;
  writesPerMinutePerUser: number;
  writesPerMinutePerIp: number;
  /** A session unused this long ends. */
  sessionIdleMs: number;
  /** A session ends this long after its sign-in, used or not (at most the store's 12 h). */
  sessionAbsoluteMs: number;
}

export interface OidcConfig {
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** How claims become a user: OIDC_CLAIMS's file, or the ProConnect preset. */
  claims: ClaimsMapping;
}

export class ConfigurationError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigurationError';
  }
}

type Env = Record<string, string | undefined>;

function blankToUndefined(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

/**
 * Validates every variable and reports all problems at once, so a deployment fails fast with
 * one clear message instead of a surprise later.
 */
export function loadConfiguration(env: Env = process.env): RucheConfig {
  const problems: string[] = [];
  const nodeEnv = blankToUndefined(env.NODE_ENV) ?? 'development';

  const rawPort = blankToUndefined(env.PORT) ?? '3000';
  const port = Number(rawPort);
  const portIsValid = /^\d+$/.test(rawPort) && port >= 1 && port <= 65535;
  if (!portIsValid) {
    problems.push(`PORT must be an integer between 1 and 65535 (got "${rawPort}")`);
  }

  const dataDir = path.resolve(blankToUndefined(env.DATA_DIR) ?? './data');

  const databaseUrl = blankToUndefined(env.DATABASE_URL);
  if (databaseUrl && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    problems.push('DATABASE_URL must be a postgres:// or postgresql:// URL');
  }
  const databaseSchema = blankToUndefined(env.DATABASE_SCHEMA) ?? 'public';
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(databaseSchema)) {
    problems.push('DATABASE_SCHEMA must be a lower-case SQL identifier');
  }
  const kurrentDbUrl = blankToUndefined(env.KURRENTDB_URL);
  if (kurrentDbUrl && !/^(kurrentdb|esdb|kdb)(\+discover)?:\/\//.test(kurrentDbUrl)) {
    problems.push('KURRENTDB_URL must be a kurrentdb://, esdb:// or kdb:// connection string');
  }
  const redisUrl = blankToUndefined(env.REDIS_URL);
  if (redisUrl && !/^rediss?:\/\//.test(redisUrl)) {
    problems.push('REDIS_URL must be a redis:// or rediss:// URL');
  }

  const authMode = blankToUndefined(env.AUTH_MODE) ?? 'dev';
  if (authMode !== 'dev' && authMode !== 'oidc') {
    problems.push(`AUTH_MODE must be "dev" or "oidc" (got "${authMode}")`);
  } else if (authMode === 'dev' && nodeEnv === 'production') {
    problems.push('AUTH_MODE=dev signs in anyone by e-mail and is refused when NODE_ENV=production: set AUTH_MODE=oidc');
  }
  const oidc = authMode === 'oidc' ? parseOidc(env, problems) : undefined;

  const seed = blankToUndefined(env.SEED) ?? 'demo';
  if (seed !== 'demo' && seed !== 'none') problems.push(`SEED must be "demo" or "none" (got "${seed}")`);

  const rawPublicUrl = blankToUndefined(env.PUBLIC_URL);
  // The default follows PORT; a bad PORT is already reported above.
  const publicUrl = rawPublicUrl ? parsePublicUrl(rawPublicUrl, problems) : new URL(`http://localhost:${portIsValid ? port : 3000}`);

  const cookieSecure = blankToUndefined(env.COOKIE_SECURE);
  if (cookieSecure !== undefined && cookieSecure !== 'true' && cookieSecure !== 'false') {
    problems.push(`COOKIE_SECURE must be "true" or "false" (got "${cookieSecure}")`);
  }

  const security = parseSecurity(env, nodeEnv, problems);
  // loopback by default; behind a proxy in another container, e.g. `uniquelocal` or its address.
  const trustProxy = blankToUndefined(env.TRUST_PROXY) ?? 'loopback';
  if (!/^[A-Za-z0-9.:/, ]{1,300}$/.test(trustProxy)) problems.push('TRUST_PROXY must be loopback, uniquelocal, linklocal or addresses/CIDRs separated by commas');

  const rawThreads = blankToUndefined(env.REBUILD_THREADS);
  const rebuildThreads = rawThreads === undefined ? Math.min(4, availableParallelism()) : Number(rawThreads);
  if (rawThreads !== undefined && !(/^[1-8]$/.test(rawThreads))) problems.push(`REBUILD_THREADS must be an integer from 1 to 8 (got "${rawThreads}")`);

  if (problems.length > 0) throw new ConfigurationError(problems);

  return {
    nodeEnv,
    port,
    dataDir,
    databaseUrl,
    databaseSchema,
    kurrentDbUrl,
    redisUrl,
    authMode: authMode as 'dev' | 'oidc',
    seed: seed as 'demo' | 'none',
    eventStore: kurrentDbUrl ? 'kurrentdb' : databaseUrl ? 'postgres' : 'sqlite',
    readStore: databaseUrl ? 'postgres' : 'sqlite',
    sqliteFile: path.join(dataDir, 'ruche.sqlite'),
    sqliteReadFile: path.join(dataDir, 'ruche-read.sqlite'),
    rebuildThreads,
    publicUrl: publicUrl?.origin ?? '',
    // Browsers drop Secure cookies over plain http: the scheme users actually see decides.
    secureCookies: cookieSecure === undefined ? publicUrl?.protocol === 'https:' : cookieSecure === 'true',
    ...(oidc ? { oidc } : {}),
    security,
    trustProxy,
  };
}

/**
 * Rate limits and session timeouts. Under NODE_ENV=test rate limits default to none (suites sign
 * in hundreds of users from one address) and the idle timeout to the absolute one; the tests of
 * the limits and timeouts set them.
 */
function parseSecurity(env: Env, nodeEnv: string, problems: string[]): SecurityConfig {
  const integer = (name: string, fallback: number, max: number): number => {
    const raw = blankToUndefined(env[name]);
    if (raw === undefined) return fallback;
    const value = Number(raw);
    if (!/^\d+$/.test(raw) || value > max) {
      problems.push(`${name} must be an integer between 0 and ${max} (got "${raw}")`);
      return fallback;
    }
    return value;
  };
  const limits = nodeEnv === 'test' ? 0 : undefined;
  // Tests move the app's clock by hours with one session: under NODE_ENV=test idleness alone ends none.
  const idleMinutes = integer('SESSION_IDLE_MINUTES', nodeEnv === 'test' ? 720 : 120, 720);
  const absoluteMinutes = integer('SESSION_ABSOLUTE_MINUTES', 720, 720);
  if (idleMinutes === 0) problems.push('SESSION_IDLE_MINUTES must be at least 1');
  if (absoluteMinutes === 0) problems.push('SESSION_ABSOLUTE_MINUTES must be at least 1');
  return {
    signInPerMinutePerIp: integer('RATE_LIMIT_SIGN_IN', limits ?? 20, 100_000),
    writesPerMinutePerUser: integer('RATE_LIMIT_WRITES_PER_USER', limits ?? 300, 100_000),
    writesPerMinutePerIp: integer('RATE_LIMIT_WRITES_PER_IP', limits ?? 1200, 1_000_000),
    sessionIdleMs: idleMinutes * 60_000,
    sessionAbsoluteMs: absoluteMinutes * 60_000,
  };
}

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

/** OIDC_ISSUER (https, or http on loopback for tests), the client's credentials and the claims mapping. */
function parseOidc(env: Env, problems: string[]): OidcConfig | undefined {
  const issuer = blankToUndefined(env.OIDC_ISSUER);
  const clientId = blankToUndefined(env.OIDC_CLIENT_ID);
  const clientSecret = blankToUndefined(env.OIDC_CLIENT_SECRET);
  const before = problems.length;
  if (!issuer) problems.push('OIDC_ISSUER is required with AUTH_MODE=oidc (the identity provider, discovered from <issuer>/.well-known/openid-configuration)');
  else {
    let url: URL | undefined;
    try {
      url = new URL(issuer);
    } catch {
      url = undefined;
    }
    const ok = url && (url.protocol === 'https:' || (url.protocol === 'http:' && LOOPBACK.has(url.hostname))) && !url.search && !url.hash;
    if (!ok) problems.push(`OIDC_ISSUER must be an https:// URL without query (got "${issuer}")`);
  }
  if (!clientId) problems.push('OIDC_CLIENT_ID is required with AUTH_MODE=oidc');
  if (!clientSecret) problems.push('OIDC_CLIENT_SECRET is required with AUTH_MODE=oidc');
  let claims = PROCONNECT_CLAIMS;
  const file = blankToUndefined(env.OIDC_CLAIMS);
  if (file) {
    let content: unknown;
    try {
      content = JSON.parse(fs.readFileSync(path.resolve(file), 'utf8'));
    } catch (error) {
      problems.push(`OIDC_CLAIMS: cannot read ${file} as JSON (${(error as Error).message})`);
    }
    if (content !== undefined) {
      const parsed = parseClaimsMapping(content);
      if ('problems' in parsed) problems.push(...parsed.problems.map((problem) => `OIDC_CLAIMS (${file}): ${problem}`));
      else claims = parsed.mapping;
    }
  }
  if (problems.length > before) return undefined;
  return { issuer: issuer!, clientId: clientId!, clientSecret: clientSecret!, claims };
}

/** An http(s) origin: no path, query or credentials, which an origin cannot carry. */
function parsePublicUrl(raw: string, problems: string[]): URL | undefined {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    problems.push(`PUBLIC_URL must be an http:// or https:// URL (got "${raw}")`);
    return undefined;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    problems.push(`PUBLIC_URL must be an http:// or https:// URL (got "${raw}")`);
  } else if (url.username || url.password || url.search || url.hash || (url.pathname !== '/' && url.pathname !== '')) {
    problems.push(`PUBLIC_URL must be an origin such as https://ruche.ac-example.fr, without path, query or credentials (got "${raw}")`);
  }
  return url;
}

export const RUCHE_CONFIG = Symbol('RUCHE_CONFIG');
