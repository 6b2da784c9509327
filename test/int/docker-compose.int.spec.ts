import { spawnSync } from 'node:child_process';

/**
 * The compose files resolve (`docker compose config`, or docker-compose 1.29 where the plugin is
 * missing): no engine runs on these machines, so this is what can be checked here. Required
 * variables are required: without them the file does not resolve.
 */
const compose = ((): string[] | undefined => {
  if (spawnSync('docker', ['compose', 'version'], { encoding: 'utf8' }).status === 0) return ['docker', 'compose'];
  if (spawnSync('docker-compose', ['version'], { encoding: 'utf8' }).status === 0) return ['docker-compose'];
  if (process.env.REQUIRE_SERVICES === '1') {
    throw new Error('REQUIRE_SERVICES=1: neither `docker compose` nor docker-compose is installed (apt-get install -y docker-compose)');
  }
  console.warn('[skip] neither `docker compose` nor docker-compose is installed: the compose files were not checked.');
  return undefined;
})();

function config(files: string[], envFile?: string): { status: number | null; out: string } {
  const [command, ...prefix] = compose!;
  const args = [...prefix, ...(envFile ? ['--env-file', envFile] : []), ...files.flatMap((file) => ['-f', file]), 'config'];
  const result = spawnSync(command!, args, { encoding: 'utf8', env: { PATH: process.env.PATH ?? '' } });
  return { status: result.status, out: `${result.stdout}${result.stderr}` };
}

(compose ? describe : describe.skip)('docker compose files', () => {
  it('resolves Ruche ×2 + PostgreSQL + Redis + Caddy, with healthchecks and the processes started one after the other', () => {
    const { status, out } = config(['docker/compose.yml'], 'docker/ruche.env.example');
    expect(status).toBe(0);
    for (const service of ['postgres:', 'redis:', 'ruche-1:', 'ruche-2:', 'caddy:']) expect(out).toContain(`  ${service}`);
    expect(out).toContain('DATABASE_URL: postgres://ruche:change-me-to-a-long-random-secret@postgres:5432/ruche');
    expect(out).toContain('REDIS_URL: redis://redis:6379');
    expect(out).not.toContain('KURRENTDB_URL');
  });

  it('adds KurrentDB as the event log in the variant', () => {
    const { status, out } = config(['docker/compose.yml', 'docker/compose.kurrentdb-log.yml'], 'docker/ruche.env.example');
    expect(status).toBe(0);
    expect(out).toContain('  kurrentdb:');
    expect(out.match(/KURRENTDB_URL: kurrentdb:\/\/kurrentdb:2113\?tls=false/g)).toHaveLength(2);
  });

  it('refuses to resolve without the secrets', () => {
    const { status, out } = config(['docker/compose.yml']);
    expect(status).not.toBe(0);
    expect(out).toMatch(/PUBLIC_URL|POSTGRES_PASSWORD|OIDC_ISSUER|SITE_ADDRESS/);
  });
});
