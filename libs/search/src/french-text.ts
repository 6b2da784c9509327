import { stemmer as frenchStem } from '@orama/stemmers/french';

/*
 * French text as the search index sees it, the same way on both engines:
 *
 * 1. fold: lower case, accents and other combining marks removed (NFD), ligatures œ/æ spelt
 *    out. "Évaluations" → "evaluations", "cœur" → "coeur".
 * 2. words: runs of letters and digits; everything else (spaces, punctuation, apostrophes,
 *    hyphens) separates words, so "l'évaluation" gives "l" and "evaluation".
 * 3. stop words: PostgreSQL's own French list (tsearch_data/french.stop, from Snowball), plus
 *    "les", which that list lacks (so "les évaluations" would want a "les" in every hit), are
 *    dropped, compared with the folded word as PostgreSQL does when it is given folded text.
 * 4. stem: the Snowball French stemmer (@orama/stemmers' port, the algorithm PostgreSQL's
 *    `french` configuration runs), which strips plurals (-s, -x: "chevaux" → "cheval"),
 *    feminine and derivational endings ("compétences", "compétence" → "competent";
 *    "évaluation(s)" → "evalu"; "enseignante(s)" → "enseign").
 *
 * SQLite (FTS5, which has no French stemmer) indexes and queries the result of all four steps.
 * PostgreSQL is given folded text (step 1: its `french` configuration does not remove accents,
 * and the `unaccent` extension may not be installable) and does steps 2–4 itself with
 * to_tsvector('french', …) and, on the query's words (steps 1–3), plainto_tsquery('french', …).
 * Since both run the same stemmer and stop list on the same folded text, a word matches on one
 * engine when it does on the other (bar tokenizer corner cases such as hyphenated words and
 * e-mail addresses), and the highlighter (highlight.ts) marks the words either engine matched.
 */

/** PostgreSQL's `french` stop words (french.stop) verbatim, and "les". */
export const FRENCH_STOP_WORDS: ReadonlySet<string> = new Set(
  (
    'au aux avec ce ces dans de des du elle en et eux il je la le leur lui ma mais me même mes moi mon ne nos notre nous on ou ' +
    'par pas pour qu que qui sa se ses son sur ta te tes toi ton tu un une vos votre vous c d j l à m n s t y été étée étées ' +
    'étés étant étante étants étantes suis es est sommes êtes sont serai seras sera serons serez seront serais serait serions ' +
    'seriez seraient étais était étions étiez étaient fus fut fûmes fûtes furent sois soit soyons soyez soient fusse fusses ' +
    'fût fussions fussiez fussent ayant ayante ayantes ayants eu eue eues eus ai as avons avez ont aurai auras aura aurons ' +
    'aurez auront aurais aurait aurions auriez auraient avais avait avions aviez avaient eut eûmes eûtes eurent aie aies ait ' +
    'ayons ayez aient eusse eusses eût eussions eussiez eussent les'
  ).split(' '),
);

const LIGATURES: Readonly<Record<string, string>> = { œ: 'oe', æ: 'ae', ß: 'ss' };

/** Lower case, without accents or ligatures: what both engines index. */
export function foldText(value: string): string {
  return value
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[œæß]/g, (c) => LIGATURES[c]!);
}

/** Words: runs of letters and digits (combining marks kept with their letter). */
export const WORD = /[\p{L}\p{N}\p{M}]+/gu;

/**
 * Stems already computed, by folded word. A language's words come back again and again (a
 * rebuild stems every post of a school year), and the Snowball stemmer runs a dozen suffix
 * rules per word; bounded, since a word is cheap to stem again.
 */
const STEM_CACHE_SIZE = 50_000;
const stemCache = new Map<string, string>();

function stemOf(folded: string): string {
  let stem = stemCache.get(folded);
  if (stem === undefined) {
    stem = frenchStem(folded);
    if (stemCache.size >= STEM_CACHE_SIZE) stemCache.clear();
    stemCache.set(folded, stem);
  }
  return stem;
}

/** The stem of one word as the index holds it, or undefined for a stop word. */
export function stemWord(word: string): string | undefined {
  const folded = foldText(word);
  if (folded === '' || FRENCH_STOP_WORDS.has(folded)) return undefined;
  return stemOf(folded);
}

/** The folded words of `text` that are not stop words, in order. */
export function words(text: string): string[] {
  const out: string[] = [];
  for (const [word] of foldText(text).matchAll(WORD)) if (!FRENCH_STOP_WORDS.has(word)) out.push(word);
  return out;
}

/** Every word's stem, in order (stop words left out). */
export function stems(text: string): string[] {
  return words(text).map(stemOf);
}

/** The text SQLite's FTS5 table indexes: stems separated by spaces. */
export function stemmedText(text: string): string {
  return stems(text).join(' ');
}

export interface QueryWords {
  /** The query's folded words, stop words left out, each once: what PostgreSQL is asked for. */
  words: string[];
  /** Their distinct stems: what SQLite is asked for, and what excerpts mark. */
  terms: string[];
}

/** What a query asks for: every one of its words (by stem) must match. */
export function queryWords(query: string): QueryWords {
  const distinct = [...new Set(words(query))];
  return { words: distinct, terms: [...new Set(distinct.map(stemOf))] };
}
