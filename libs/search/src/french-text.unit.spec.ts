import { DomainError } from '#ruche/domain-kit';
import { foldText, queryWords, stemmedText, stems, stemWord } from './french-text.js';
import { hitUrl, parseSearchText, SEARCH_QUERY_MAX } from './search-request.js';

describe('foldText', () => {
  it('lower-cases, removes accents and spells ligatures out', () => {
    expect(foldText('Évaluations À LA CARTE, œuvre, Æsope, déjà-vu')).toBe('evaluations a la carte, oeuvre, aesope, deja-vu');
  });

  it('removes combining marks typed apart from their letter (NFD input)', () => {
    expect(foldText('compe\u0301tence')).toBe('competence');
  });
});

describe('stemWord: accents and plurals fold to one stem', () => {
  it.each([
    ['evaluation', 'Évaluations'],
    ['competence', 'compétences'],
    ['cheval', 'chevaux'],
    ['animal', 'animaux'],
    ['enseignant', 'enseignantes'],
    ['numérique', 'NUMÉRIQUES'],
    ['lycée', 'lycées'],
    ['référent', 'référentes'],
    ['tableau', 'tableaux'],
    ['académie', 'académiques'],
  ])('%s and %s', (one, other) => {
    expect(stemWord(one)).toBeDefined();
    expect(stemWord(one)).toBe(stemWord(other));
  });

  it('keeps different words apart', () => {
    expect(stemWord('évaluation')).not.toBe(stemWord('éducation'));
    expect(stemWord('forum')).not.toBe(stemWord('formation'));
  });

  it('drops French stop words, as PostgreSQL does', () => {
    for (const word of ['le', 'La', 'les', 'des', 'et', 'pour', 'est', 'sont', 'avec']) expect(stemWord(word)).toBeUndefined();
    expect(stemWord('PIX')).toBe('pix');
  });
});

describe('stems and stemmedText: what the SQLite index holds', () => {
  it('splits on punctuation, apostrophes and hyphens, drops stop words and stems the rest', () => {
    expect(stems("L'évaluation des compétences numériques (PIX) : 2024-2025 !")).toEqual(['evalu', 'competent', 'numer', 'pix', '2024', '2025']);
    expect(stemmedText('Les Évaluations')).toBe('evalu');
    expect(stemmedText('')).toBe('');
  });

  it('keeps words of other scripts and numbers', () => {
    expect(stems('Ωμέγα 3.1')).toEqual(['ωμεγα', '3', '1']);
  });

  it('stems a word seen before as the first time, also once more distinct words than it keeps have passed', () => {
    const text = 'Chevaux évaluations enseignantes compétences';
    const first = stems(text);
    expect(first).toEqual(['cheval', 'evalu', 'enseign', 'competent']);
    expect(stems(text)).toEqual(first);
    // 60,000 distinct words: more than the stems it keeps (50,000), so it starts again once.
    stems(Array.from({ length: 60_000 }, (_, i) => `mot${i.toString(36)}s`).join(' '));
    expect(stems(text)).toEqual(first);
    expect(stemWord('compétences')).toBe('competent');
  });
});

describe('queryWords', () => {
  it('gives each folded word and each stem once, stop words left out', () => {
    expect(queryWords('Évaluation des évaluations et compétences')).toEqual({
      words: ['evaluation', 'evaluations', 'competences'],
      terms: ['evalu', 'competent'],
    });
    expect(queryWords('le la les de')).toEqual({ words: [], terms: [] });
    expect(queryWords('!!! ??')).toEqual({ words: [], terms: [] });
  });
});

describe('parseSearchText', () => {
  const refusal = (q: unknown): DomainError => {
    try {
      parseSearchText(q);
    } catch (error) {
      return error as DomainError;
    }
    throw new Error(`${JSON.stringify(q)} was accepted`);
  };

  it.each([[undefined], [''], ['   \n\t'], [42], [['a', 'b']]])('refuses %j, naming q', (q) => {
    const error = refusal(q);
    expect(error).toBeInstanceOf(DomainError);
    expect(error).toMatchObject({ code: 'VALIDATION', field: 'q' });
  });

  it(`refuses more than ${SEARCH_QUERY_MAX} characters, counting accented letters and emoji as one`, () => {
    expect(parseSearchText('é'.repeat(SEARCH_QUERY_MAX)).text).toHaveLength(SEARCH_QUERY_MAX);
    expect(parseSearchText('👍'.repeat(SEARCH_QUERY_MAX)).terms).toEqual([]);
    expect(refusal('a'.repeat(SEARCH_QUERY_MAX + 1))).toMatchObject({ code: 'VALIDATION', field: 'q' });
  });

  it('trims the text and computes its terms', () => {
    expect(parseSearchText('  Évaluations  ')).toEqual({ text: 'Évaluations', words: ['evaluations'], terms: ['evalu'] });
  });
});

describe('hitUrl', () => {
  it('leads to the topic, the post within its topic, the FAQ entry and the fiche', () => {
    expect(hitUrl({ type: 'topic', id: 't1', spaceId: 's' })).toBe('/topics/t1');
    expect(hitUrl({ type: 'post', id: 'p1', topicId: 't1', spaceId: 's' })).toBe('/topics/t1#post-p1');
    expect(hitUrl({ type: 'faq', id: 'f1', spaceId: 's' })).toBe('/spaces/s/faq#faq-f1');
    expect(hitUrl({ type: 'document', id: 'd1', spaceId: 's' })).toBe('/documents/d1');
  });
});
