import { ConfigurationError, loadConfiguration } from './configuration.js';

describe('loadConfiguration', () => {
  it('defaults to the embedded SQLite store, dev sign-in and the demo seed', () => {
    const config = loadConfiguration({});
    expect(config).toMatchObject({ port: 3000, authMode: 'dev', seed: 'demo', eventStore: 'sqlite', readStore: 'sqlite' });
    expect(config.sqliteFile).toMatch(/data[\\/]ruche\.sqlite$/);
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

  it('refuses dev sign-in in production', () => {
    expect(() => loadConfiguration({ NODE_ENV: 'production' })).toThrow(/AUTH_MODE=dev .* refused when NODE_ENV=production/);
    expect(() => loadConfiguration({ NODE_ENV: 'production', AUTH_MODE: 'dev' })).toThrow(ConfigurationError);
  });
});
