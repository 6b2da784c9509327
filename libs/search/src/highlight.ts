import { stemWord, WORD } from './french-text.js';

const HTML_ESCAPES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text made safe to put in HTML, as element content or a quoted attribute. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]!);
}

export interface HighlightOptions {
  /** Length of the excerpt in characters (code units), ellipses excluded. Default 240. */
  maxChars?: number;
  /** How much text to keep before the first match, so that it reads in context. Default 60. */
  before?: number;
}

const ELLIPSIS = '…';
/** A cut moves to a space when one is this close, rather than splitting a word. */
const WORD_SLACK = 30;

/**
 * An excerpt of plain `text` around the first words that match `terms` (stems, as queryTerms
 * gives them), as HTML: the text is escaped first, and only then are the matching words wrapped
 * in `<mark>…</mark>`, so nothing of the content can turn into markup. Whitespace is collapsed
 * to single spaces; a cut end shows "…". Without a match (a hit on the title only) the excerpt
 * is the text's beginning. Words match as the index matches them (folded, stemmed): "Évaluations"
 * is marked for the term of "evaluation".
 */
export function highlightExcerpt(text: string, terms: readonly string[] | ReadonlySet<string>, options: HighlightOptions = {}): string {
  const maxChars = options.maxChars ?? 240;
  const before = options.before ?? 60;
  const flat = text.replace(/\s+/gu, ' ').trim();
  const wanted = new Set(terms);
  const cache = new Map<string, boolean>();
  const matches = (word: string): boolean => {
    let hit = cache.get(word);
    if (hit === undefined) {
      const stem = stemWord(word);
      hit = stem !== undefined && wanted.has(stem);
      cache.set(word, hit);
    }
    return hit;
  };

  // Find the first match, then every match up to the end of the window it opens; the rest of a
  // long body (up to 200 kB) is never scanned.
  let start = 0;
  let end = Math.min(flat.length, maxChars);
  const marks: Array<[number, number]> = [];
  if (wanted.size > 0) {
    for (const found of flat.matchAll(WORD)) {
      const from = found.index;
      const to = from + found[0].length;
      if (marks.length === 0) {
        if (!matches(found[0])) continue;
        start = from <= before ? 0 : cutAfterSpace(flat, from - before, from);
        end = Math.min(flat.length, start + maxChars);
      }
      if (from >= end) break;
      if (matches(found[0])) marks.push([from, Math.min(to, end)]);
    }
  }
  if (end < flat.length) end = cutBeforeSpace(flat, start, end, marks);

  let html = start > 0 ? ELLIPSIS : '';
  let at = start;
  for (const [from, to] of marks) {
    if (from >= end) break;
    html += `${escapeHtml(flat.slice(at, from))}<mark>${escapeHtml(flat.slice(from, Math.min(to, end)))}</mark>`;
    at = Math.min(to, end);
  }
  html += escapeHtml(flat.slice(at, end));
  return end < flat.length ? `${html.trimEnd()}${ELLIPSIS}` : html;
}

/** A start at or after `index` that does not split a word, unless no space is close. */
function cutAfterSpace(text: string, index: number, limit: number): number {
  const space = text.indexOf(' ', index);
  if (space !== -1 && space < limit && space - index <= WORD_SLACK) return space + 1;
  return notInsidePair(text, index);
}

/** An end at or before `index` that does not split a word nor a mark, unless no space is close. */
function cutBeforeSpace(text: string, start: number, index: number, marks: ReadonlyArray<[number, number]>): number {
  const space = text.lastIndexOf(' ', index);
  const lastMarkEnd = marks.length > 0 ? marks[marks.length - 1]![1] : start;
  if (space > start && space >= lastMarkEnd && index - space <= WORD_SLACK) return space;
  return notInsidePair(text, index);
}

/** Moves an index off the middle of a surrogate pair (an emoji cut in half is not text). */
function notInsidePair(text: string, index: number): number {
  const code = text.charCodeAt(index);
  return code >= 0xdc00 && code <= 0xdfff ? index - 1 : index;
}
