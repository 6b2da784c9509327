import { mapClaims, parseClaimsMapping, PROCONNECT_CLAIMS, type ClaimsMapping } from './oidc.claims.js';

describe('claims mapping files', () => {
  it('starts from the ProConnect preset and overrides what the file says', () => {
    const parsed = parseClaimsMapping({ preset: 'proconnect', roles: { claim: 'profils', values: { DANE: 'dane', PERDIR: 'chef_etablissement' } } });
    expect(parsed).toEqual({ mapping: { ...PROCONNECT_CLAIMS, roles: { claim: 'profils', values: { DANE: 'dane', PERDIR: 'chef_etablissement' } } } });
  });

  it('reports every problem, each naming its key', () => {
    const parsed = parseClaimsMapping({ email: 3, displayName: [], roles: { claim: 'r', values: { X: 'pope' } }, uai: { claim: 'rne', pattern: '(' }, colour: 'blue' });
    expect('problems' in parsed && parsed.problems).toEqual([
      'unknown key "colour"',
      'email must be a claim name',
      'displayName must be a non-empty list of claim names',
      expect.stringMatching(/^roles\.values\["X"\] must be one of dane, /),
      'uai.pattern must be a regular expression',
    ]);
    expect(parseClaimsMapping([])).toEqual({ problems: ['must be a JSON object'] });
  });
});

describe('mapping claims to a user', () => {
  const academy: ClaimsMapping = {
    scope: 'openid email profile',
    userinfo: false,
    email: 'email',
    displayName: ['given_name', 'family_name'],
    roles: { claim: 'profils', values: { DANE: 'dane', ENS: 'enseignant' } },
    uai: { claim: 'FrEduRne', pattern: '^(\\d{7}[A-Za-z])\\$' },
  };

  it('takes the e-mail, joins the name, translates roles and extracts the UAI', () => {
    expect(mapClaims(academy, { email: 'a.b@ac-test.fr', given_name: ' Anne ', family_name: 'Bé', profils: ['DANE', 'ENS', 'OTHER'], FrEduRne: ['bad', '0061234x$UAJ$PU$N'] })).toEqual({
      email: 'a.b@ac-test.fr',
      displayName: 'Anne Bé',
      roles: ['dane', 'enseignant'],
      uai: '0061234X',
    });
  });

  it('asserts no roles nor UAI when the provider is silent about them, and clears the UAI it asserts as none', () => {
    expect(mapClaims(academy, { email: 'a@ac-test.fr' })).toEqual({ email: 'a@ac-test.fr' });
    expect(mapClaims(academy, { email: 'a@ac-test.fr', profils: ['UNKNOWN'], FrEduRne: [] })).toEqual({ email: 'a@ac-test.fr', roles: ['enseignant'], uai: null });
  });

  it('refuses claims without an e-mail, or with an e-mail the provider says is unverified', () => {
    expect(() => mapClaims(PROCONNECT_CLAIMS, { sub: 'x', given_name: 'A' })).toThrow(/no "email" claim/);
    expect(() => mapClaims(PROCONNECT_CLAIMS, { email: 'a@ac-test.fr', email_verified: false })).toThrow(/not verified/);
  });
});
