import pg from 'pg';

/**
 * Tests that need a real server (PostgreSQL, Redis, KurrentDB) ask here whether it is reachable.
 * Under REQUIRE_SERVICES=1 (CI) a missing server fails the run; elsewhere the tests skip with a
 * line saying why, so a laptop without the servers still runs everything else.
 */
export const requireServices = process.env.REQUIRE_SERVICES === '1';

export const testDatabaseUrl = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export interface ServiceCheck {
  available: boolean;
  /** `describe` when the service is there, a skipping one otherwise. */
  describe: jest.Describe;
}

function decide(name: string, available: boolean, why: string): ServiceCheck {
  if (!available) {
    if (requireServices) {
      throw new Error(`${name} is required (REQUIRE_SERVICES=1) but not reachable: ${why}`);
    }
    console.warn(`[skip] ${name} not reachable (${why}): its tests are skipped. Set REQUIRE_SERVICES=1 to fail instead.`);
  }
  return { available, describe: available ? describe : describe.skip };
}

export async function postgresService(url = testDatabaseUrl): Promise<ServiceCheck> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('select 1');
    return decide('PostgreSQL', true, '');
  } catch (error) {
    return decide('PostgreSQL', false, `${url}: ${(error as Error).message}`);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** KurrentDB has no server on these machines: its suite runs only where KURRENTDB_URL is set. */
export function kurrentService(): ServiceCheck & { url?: string } {
  const url = process.env.KURRENTDB_URL;
  if (!url) {
    console.warn('[not run] KURRENTDB_URL is not set: the KurrentDB contract suite did not run.');
    return { available: false, describe: describe.skip };
  }
  return { available: true, describe, url };
}

/** A fresh, unique PostgreSQL schema name for one test file. */
export function uniqueSchema(prefix = 't'): string {
  return `${prefix}_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
}
