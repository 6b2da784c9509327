import { DomainError, GLOBAL_ROLES, hasRole, isGlobalRole, isValidUai, normaliseUai, parseUai, requireOneOf, requireText, textLength } from '#ruche/domain-kit';

describe('UAI', () => {
  it.each([
    [' 0061234x ', '0061234X'],
    ['0061234X', '0061234X'],
    ['0751234a', '0751234A'],
  ])('normalises %p to %p, which is valid', (input, canonical) => {
    expect(normaliseUai(input)).toBe(canonical);
    expect(isValidUai(normaliseUai(input))).toBe(true);
    expect(parseUai(input)).toBe(canonical);
  });

  it.each(['', '006123X', '00612345X', '0061234', '0061234XX', 'A061234X', '006 1234X', '0061234x', '00612349'])(
    'refuses %p',
    (value) => {
      expect(isValidUai(value)).toBe(false);
    },
  );

  it('parseUai throws VALIDATION on the named field', () => {
    expect(() => parseUai('123', 'establishment')).toThrow(expect.objectContaining({ code: 'VALIDATION', field: 'establishment' }));
    expect(() => parseUai(42)).toThrow(expect.objectContaining({ code: 'VALIDATION', field: 'uai' }));
  });
});

describe('global roles', () => {
  it('lists the eight roles of DESIGN.md', () => {
    expect([...GLOBAL_ROLES].sort()).toEqual(
      ['chef_etablissement', 'cmine', 'dane', 'enseignant', 'ian', 'inspecteur', 'referent_pix', 'rrupn'],
    );
  });

  it('knows its roles and no other', () => {
    expect(isGlobalRole('rrupn')).toBe(true);
    expect(isGlobalRole('DANE')).toBe(false);
    expect(isGlobalRole('admin')).toBe(false);
    expect(isGlobalRole(undefined)).toBe(false);
    expect(hasRole({ roles: ['enseignant', 'dane'] }, 'dane')).toBe(true);
    expect(hasRole({ roles: ['enseignant'] }, 'dane')).toBe(false);
  });
});

describe('text rules', () => {
  it('trims, then counts code points', () => {
    expect(requireText('  Équipe PIX 🐝 ', 'name', { min: 1, max: 12 })).toBe('Équipe PIX 🐝');
    expect(textLength('🐝🐝')).toBe(2);
    expect(requireText('🐝'.repeat(120), 'name', { min: 1, max: 120 })).toHaveLength(240);
  });

  it.each<[unknown, string]>([
    ['   ', 'too short'],
    ['x'.repeat(121), 'too long'],
    [12, 'not a string'],
  ])('refuses %p (%s) naming the field', (value) => {
    expect(() => requireText(value, 'name', { min: 1, max: 120 })).toThrow(expect.objectContaining({ code: 'VALIDATION', field: 'name' }));
  });

  it('requireOneOf accepts a member and refuses anything else', () => {
    expect(requireOneOf('b', ['a', 'b'] as const, 'kind')).toBe('b');
    expect(() => requireOneOf('c', ['a', 'b'] as const, 'kind')).toThrow(DomainError);
    expect(() => requireOneOf(undefined, ['a'] as const, 'kind')).toThrow(expect.objectContaining({ field: 'kind' }));
  });
});

describe('DomainError', () => {
  it('carries a stable code, and a field for VALIDATION', () => {
    const error = DomainError.validation('name', 'bad');
    expect(error).toBeInstanceOf(Error);
    expect([error.code, error.field, error.message]).toEqual(['VALIDATION', 'name', 'bad']);
    expect([DomainError.forbidden('x').code, DomainError.notFound('x').code, DomainError.conflict('x').code]).toEqual([
      'FORBIDDEN',
      'NOT_FOUND',
      'CONFLICT',
    ]);
    expect(DomainError.unauthenticated().code).toBe('UNAUTHENTICATED');
    expect(DomainError.forbidden('x').field).toBeUndefined();
  });
});
