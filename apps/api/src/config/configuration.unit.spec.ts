import { availableParallelism } from 'node:os';
import { ConfigurationError, loadConfiguration } from './configuration.js';

describe('loadConfiguration', () => {
  it('defaults to the embedded SQLite store, dev sign-in and the demo seed', () => {
    const config = loadConfiguration({});
    expect(config).toMatchObject({ port: 3000, authMode: 'dev', seed: 'demo', eventStore: 'sqlite', readStore: 'sqlite' });
    expect(config.sqliteFile).toMatch(/data[\\/]ruche\.sqlite$/);
    expect(config.sqliteReadFile).toMatch(/data[\\/]ruche-read\.sqlite$/);
  });

  it('uses PostgreSQL for the log and the read models when DATABASE_URL is set, KurrentDB for the log when KURRENTDB_URL is', () => {
    expect(loadConfiguration({ DATABASE_URL: 'postgres://u@h/db' })).toMatchObject({ eventStore: 'postgres', readStore: 'postgres' });
    expect(loadConfiguration({ KURRENTDB_URL: 'kurrentdb://localhost:2113?tls=false' })).toMatchObject({
      eventStore: 'kurrentdb',
      readStore: 'sqlite',
    });
  });

  it('reports every problem at once', () => {
    let error: unknown;
    try {
      loadConfiguration({ PORT: 'abc', DATABASE_URL: 'mysql://x', AUTH_MODE: 'magic', SEED: 'lots', REDIS_URL: 'http://x' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigurationError);
    const problems = (error as ConfigurationError).problems.join('\n');
    for (const name of ['PORT', 'DATABASE_URL', 'AUTH_MODE', 'SEED', 'REDIS_URL']) expect(problems).toContain(name);
  });

  it("replays rebuilds on the machine's cores (at most 4) unless REBUILD_THREADS says, from 1 to 8", () => {
    expect(loadConfiguration({}).rebuildThreads).toBe(Math.min(4, availableParallelism()));
    expect(loadConfiguration({ REBUILD_THREADS: '1' }).rebuildThreads).toBe(1);
    expect(loadConfiguration({ REBUILD_THREADS: '8' }).rebuildThreads).toBe(8);
    for (const bad of ['0', '9', '2.5', 'two', '-1']) {
      expect(() => loadConfiguration({ REBUILD_THREADS: bad })).toThrow(/REBUILD_THREADS must be an integer from 1 to 8/);
    }
  });

  it('refuses dev sign-in in production', () => {
    expect(() => loadConfiguration({ NODE_ENV: 'production' })).toThrow(/AUTH_MODE=dev .* refused when NODE_ENV=production/);
    expect(() => loadConfiguration({ NODE_ENV: 'production', AUTH_MODE: 'dev' })).toThrow(ConfigurationError);
  });

  describe('PUBLIC_URL and the session cookie', () => {
    it('defaults to http://localhost on PORT, so cookies are not Secure', () => {
      expect(loadConfiguration({ PORT: '8080' })).toMatchObject({ publicUrl: 'http://localhost:8080', secureCookies: false });
    });

    it('marks cookies Secure when the public URL is https, whatever NODE_ENV says', () => {
      expect(loadConfiguration({ PUBLIC_URL: 'https://ruche.ac-nice.fr/' })).toMatchObject({
        publicUrl: 'https://ruche.ac-nice.fr',
        secureCookies: true,
      });
      expect(loadConfiguration({ NODE_ENV: 'test', PUBLIC_URL: 'http://ruche.test:8080' }).secureCookies).toBe(false);
    });

    it('lets COOKIE_SECURE override the scheme either way', () => {
      expect(loadConfiguration({ PUBLIC_URL: 'http://ruche.test', COOKIE_SECURE: 'true' }).secureCookies).toBe(true);
      expect(loadConfiguration({ PUBLIC_URL: 'https://ruche.test', COOKIE_SECURE: 'false' }).secureCookies).toBe(false);
    });

    it.each([
      ['ftp://ruche.test', /PUBLIC_URL must be an http/],
      ['ruche.ac-nice.fr', /PUBLIC_URL must be an http/],
      ['https://ruche.test/app?x=1', /PUBLIC_URL must be an origin/],
      ['https://user:secret@ruche.test', /PUBLIC_URL must be an origin/],
    ])('refuses PUBLIC_URL=%s', (value, message) => {
      expect(() => loadConfiguration({ PUBLIC_URL: value })).toThrow(message);
    });

    it('refuses a COOKIE_SECURE other than true or false', () => {
      expect(() => loadConfiguration({ COOKIE_SECURE: 'yes' })).toThrow(/COOKIE_SECURE must be "true" or "false"/);
    });

    it('does not blame the default PUBLIC_URL for a bad PORT', () => {
      const error = (() => {
        try {
          loadConfiguration({ PORT: '99999' });
        } catch (e) {
          return e as ConfigurationError;
        }
      })();
      expect(error?.problems).toEqual([expect.stringMatching(/^PORT must be/)]);
    });
  });
});
