import { findMentions, type MentionCandidate } from './mentions.js';

const marie: MentionCandidate = { userId: 'marie', displayName: 'Marie Curie', email: 'marie.curie@ac-nice.fr' };
const mariePrefix: MentionCandidate = { userId: 'marie-p', displayName: 'Marie', email: 'mp@ac-nice.fr' };
const elodie: MentionCandidate = { userId: 'elodie', displayName: 'Élodie Durand', email: 'e.durand@ac-nice.fr' };
const all = [marie, mariePrefix, elodie];

const mentions = (body: string, candidates = all): string[] => [...findMentions(body, candidates)].sort();

describe('findMentions', () => {
  it('finds a display name, without case', () => expect(mentions('Merci @marie curie !')).toEqual(['marie']));
  it('finds the local part of an e-mail', () => expect(mentions('Voir @e.durand, merci')).toEqual(['elodie']));
  it('ends a local part before a full stop', () => expect(mentions('Demande à @marie.curie.')).toEqual(['marie']));
  it('prefers the longest name at one @', () => expect(mentions('@Marie Curie bonjour')).toEqual(['marie']));
  it('takes the shorter name when the longer does not follow', () => expect(mentions('@Marie bonjour')).toEqual(['marie-p']));
  it('folds accents typed in either Unicode form', () => {
    expect(mentions('Bonjour @E\u0301lodie Durand')).toEqual(['elodie']);
    expect(mentions('Bonjour @élodie durand')).toEqual(['elodie']);
  });
  it('finds several people', () => expect(mentions('@mp et @Élodie Durand')).toEqual(['elodie', 'marie-p']));
  it('ignores an @ inside an e-mail address', () => expect(mentions('écrire à marie.curie@ac-nice.fr')).toEqual([]));
  it('ignores a name that goes on', () => {
    expect(mentions('@mariette')).toEqual([]);
    expect(mentions('@marie.curie2')).toEqual([]);
  });
  it('finds nobody among no candidates, or without @', () => {
    expect(mentions('@Marie Curie', [])).toEqual([]);
    expect(mentions('Marie Curie')).toEqual([]);
  });
});
