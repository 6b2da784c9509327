import type { Token } from 'markdown-it';
import { parseMarkdown } from './render-markdown.js';

const BLOCK_ENDS = new Set([
  'paragraph_close', 'heading_close', 'blockquote_close', 'list_item_close', 'bullet_list_close',
  'ordered_list_close', 'tr_close', 'table_close', 'hr',
]);

function inlineText(tokens: readonly Token[], out: string[]): void {
  for (const token of tokens) {
    switch (token.type) {
      case 'text':
      case 'code_inline':
        out.push(token.content);
        break;
      case 'softbreak':
      case 'hardbreak':
        out.push('\n');
        break;
      case 'image':
        inlineText(token.children ?? [], out);
        break;
      default:
        // Markup tokens (emphasis, links, strike-through) carry no text of their own.
        break;
    }
  }
}

/**
 * What a reader of the rendered Markdown sees, as text: no markup, entities decoded, one block
 * per line, link and image texts kept, URLs of links dropped. It is text, not HTML: escape it like
 * any text where it goes into HTML (a post that shows `<b>` to its readers gives `<b>` here).
 */
export function plainText(markdown: string): string {
  const out: string[] = [];
  for (const token of parseMarkdown(markdown)) {
    if (token.type === 'inline') inlineText(token.children ?? [], out);
    else if (token.type === 'fence' || token.type === 'code_block') out.push(token.content, '\n');
    else if (token.type === 'th_close' || token.type === 'td_close') out.push(' ');
    else if (BLOCK_ENDS.has(token.type)) out.push('\n');
  }
  return out
    .join('')
    .split('\n')
    .map((line) => line.replace(/[ \t]+/g, ' ').trim())
    .filter((line) => line !== '')
    .join('\n');
}

const ELLIPSIS = '…';
// Grapheme clusters, so a cut never splits an emoji sequence (👩‍💻, flags) or a letter from its accent.
const graphemes = new Intl.Segmenter('fr', { granularity: 'grapheme' });

function codePoints(value: string): number {
  return Array.from(value).length;
}

/**
 * Plain text of `markdown` on one line (whitespace collapsed), at most `maxChars` characters
 * (code points, as domain-kit's textLength counts them) including the closing "…" when cut.
 * Cuts at a word boundary when one is close enough, never inside a grapheme cluster.
 */
export function markdownExcerpt(markdown: string, maxChars: number): string {
  if (!Number.isInteger(maxChars) || maxChars < 1) throw new RangeError('maxChars must be a positive integer');
  const text = plainText(markdown).replace(/\s+/gu, ' ').trim();
  if (codePoints(text) <= maxChars) return text;

  const budget = maxChars - codePoints(ELLIPSIS);
  let cut = '';
  let used = 0;
  for (const { segment } of graphemes.segment(text)) {
    const size = codePoints(segment);
    if (used + size > budget) break;
    cut += segment;
    used += size;
  }
  const nextIsSpace = text.charAt(cut.length) === ' ';
  const lastSpace = cut.lastIndexOf(' ');
  // Within the last 30 % of the budget a word boundary is worth the lost characters.
  if (!nextIsSpace && lastSpace > 0 && lastSpace >= cut.length * 0.7) cut = cut.slice(0, lastSpace);
  return cut.replace(/[\s,;:]+$/u, '') + ELLIPSIS;
}
