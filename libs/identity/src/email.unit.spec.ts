import { emailLocalPart, isValidEmail, normaliseEmail, parseEmail } from './email.js';

describe('e-mail addresses', () => {
  it('compare trimmed and in lower case', () => {
    expect(normaliseEmail('  Jean.Dupont@AC-Nice.fr ')).toBe('jean.dupont@ac-nice.fr');
    expect(parseEmail('Marie@ac-nice.fr')).toBe('marie@ac-nice.fr');
  });

  it.each(['jean.dupont@ac-nice.fr', 'j+pix@college.ac-nice.fr', 'o\'brien@ac-lyon.fr'])('accepts %p', (email) => {
    expect(isValidEmail(email)).toBe(true);
  });

  it.each(['', 'plain', 'a@b', 'a @b.fr', 'a@b..fr', 'a@.fr', `${'x'.repeat(250)}@b.fr`])('refuses %p', (email) => {
    expect(isValidEmail(email)).toBe(false);
  });

  it('parseEmail names the field it refuses', () => {
    expect(() => parseEmail(undefined, 'invitee')).toThrow(expect.objectContaining({ code: 'VALIDATION', field: 'invitee' }));
  });

  it('takes the local part as a default display name', () => {
    expect(emailLocalPart('jean.dupont@ac-nice.fr')).toBe('jean.dupont');
  });
});
