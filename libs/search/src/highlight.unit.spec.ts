import { queryWords } from './french-text.js';
import { escapeHtml, highlightExcerpt } from './highlight.js';

const terms = (query: string): string[] => queryWords(query).terms;

describe('escapeHtml', () => {
  it('escapes the five characters that matter in HTML text and attributes', () => {
    expect(escapeHtml(`<a href="x" onclick='y'>&amp;</a>`)).toBe('&lt;a href=&quot;x&quot; onclick=&#39;y&#39;&gt;&amp;amp;&lt;/a&gt;');
  });
});

describe('highlightExcerpt', () => {
  it('marks every form of the word, accents and plurals folded, keeping the text as written', () => {
    expect(highlightExcerpt('Les Évaluations et l’évaluation des compétences.', terms('evaluation competence'))).toBe(
      'Les <mark>Évaluations</mark> et l’<mark>évaluation</mark> des <mark>compétences</mark>.',
    );
  });

  it('does not mark stop words nor other words sharing letters', () => {
    expect(highlightExcerpt('Évaluer une évaluation, le forum de formation', terms('le forum'))).toBe(
      'Évaluer une évaluation, le <mark>forum</mark> de formation',
    );
  });

  it('escapes the content before marking: markup in the text stays text', () => {
    const html = highlightExcerpt('<script>alert("évaluation")</script> & <b onmouseover=x>évaluations</b>', terms('évaluation'));
    expect(html).toBe(
      '&lt;script&gt;alert(&quot;<mark>évaluation</mark>&quot;)&lt;/script&gt; &amp; &lt;b onmouseover=x&gt;<mark>évaluations</mark>&lt;/b&gt;',
    );
    expect(html.replace(/<\/?mark>/g, '')).not.toMatch(/[<>"']/);
  });

  it('a word that only looks like a mark is escaped too', () => {
    expect(highlightExcerpt('<mark>pix</mark>', terms('pix'))).toBe('&lt;mark&gt;<mark>pix</mark>&lt;/mark&gt;');
  });

  it('starts shortly before the first match in a long text, at a word boundary, with ellipses', () => {
    const before = 'mot '.repeat(100);
    const after = ' suite'.repeat(100);
    const html = highlightExcerpt(`${before}la grande évaluation des élèves${after}`, terms('évaluation'), { maxChars: 80, before: 20 });
    expect(html.startsWith('…')).toBe(true);
    expect(html.endsWith('…')).toBe(true);
    expect(html).toContain('<mark>évaluation</mark> des élèves');
    const text = html.slice(1, -1);
    expect(text.length).toBeLessThanOrEqual(80 + '<mark></mark>'.length);
    // Whole words only at both ends.
    expect(text).toMatch(/^(mot )+la grande/);
    expect(text).toMatch(/( suite)+$/);
  });

  it('begins at the start when the match is near it, and shows the beginning without a match (a title hit)', () => {
    expect(highlightExcerpt('Une évaluation', terms('évaluation'))).toBe('Une <mark>évaluation</mark>');
    expect(highlightExcerpt('Rien à voir ici.', terms('évaluation'))).toBe('Rien à voir ici.');
    expect(highlightExcerpt(`${'long '.repeat(100)}fin`, terms('absent'), { maxChars: 40 })).toBe(`${'long '.repeat(8).trim()}…`);
  });

  it('collapses whitespace and line breaks of plain text to single spaces', () => {
    expect(highlightExcerpt('Titre\n\nParagraphe   sur\tPIX\n', terms('pix'))).toBe('Titre Paragraphe sur <mark>PIX</mark>');
  });

  it('never cuts an emoji in half', () => {
    const html = highlightExcerpt('😀'.repeat(50), terms('x'), { maxChars: 15 });
    expect(html.isWellFormed()).toBe(true);
    expect(html.endsWith('…')).toBe(true);
  });

  it('handles an empty text and no terms', () => {
    expect(highlightExcerpt('', terms('pix'))).toBe('');
    expect(highlightExcerpt('Du texte <i>', [])).toBe('Du texte &lt;i&gt;');
  });
});
