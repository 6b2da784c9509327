import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PROCONNECT_CLAIMS } from '#ruche/identity/nest';
import { ConfigurationError, loadConfiguration } from './configuration.js';

const oidc = { AUTH_MODE: 'oidc', OIDC_ISSUER: 'https://idp.ac-test.fr/realms/agents', OIDC_CLIENT_ID: 'ruche', OIDC_CLIENT_SECRET: 's3cret' };

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfiguration(env);
  } catch (error) {
    if (error instanceof ConfigurationError) return error.problems;
    throw error;
  }
  return [];
}

describe('AUTH_MODE=oidc configuration', () => {
  it('works in production with the ProConnect preset by default', () => {
    const config = loadConfiguration({ ...oidc, NODE_ENV: 'production', PUBLIC_URL: 'https://ruche.ac-test.fr' });
    expect(config.authMode).toBe('oidc');
    expect(config.oidc).toEqual({ issuer: oidc.OIDC_ISSUER, clientId: 'ruche', clientSecret: 's3cret', claims: PROCONNECT_CLAIMS });
  });

  it('names every missing or bad variable at once', () => {
    expect(problemsOf({ AUTH_MODE: 'oidc', OIDC_ISSUER: 'http://idp.example.org' })).toEqual([
      'OIDC_ISSUER must be an https:// URL without query (got "http://idp.example.org")',
      'OIDC_CLIENT_ID is required with AUTH_MODE=oidc',
      'OIDC_CLIENT_SECRET is required with AUTH_MODE=oidc',
    ]);
    expect(problemsOf({ ...oidc, OIDC_ISSUER: 'http://127.0.0.1:8080' })).toEqual([]);
  });

  it('reads OIDC_CLAIMS and reports its problems with the file name', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ruche-claims-'));
    const good = path.join(dir, 'claims.json');
    fs.writeFileSync(good, JSON.stringify({ email: 'mail', displayName: ['cn'], roles: { claim: 'roles' } }));
    expect(loadConfiguration({ ...oidc, OIDC_CLAIMS: good }).oidc?.claims).toMatchObject({ email: 'mail', displayName: ['cn'], roles: { claim: 'roles' } });
    const bad = path.join(dir, 'bad.json');
    fs.writeFileSync(bad, '{ "email": ');
    expect(problemsOf({ ...oidc, OIDC_CLAIMS: bad })).toEqual([expect.stringMatching(/^OIDC_CLAIMS: cannot read .*bad\.json as JSON/)]);
    fs.writeFileSync(bad, JSON.stringify({ preset: 'keycloak' }));
    expect(problemsOf({ ...oidc, OIDC_CLAIMS: bad })).toEqual([expect.stringMatching(/^OIDC_CLAIMS \(.*bad\.json\): preset must be "proconnect"$/)]);
    fs.rmSync(dir, { recursive: true });
  });
});
