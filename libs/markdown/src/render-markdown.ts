import markdownIt, { type MarkdownIt, type Token } from 'markdown-it';
import sanitizeHtml from 'sanitize-html';

/*
 * Two layers, each enough on its own (the XSS corpus runs through both, and through the
 * sanitizer alone):
 * 1. markdown-it with `html: false`: what HTML a user types is shown as text, never parsed.
 *    Every element a forum needs has a Markdown form, so raw HTML buys nothing but attack
 *    surface (mutation XSS lives in raw HTML). Links are kept for http(s), mailto and relative
 *    URLs, images for absolute http(s) URLs; anything else stays literal text.
 * 2. sanitize-html over markdown-it's output, with an allow-list of elements, attributes, classes
 *    and URL schemes. It parses with htmlparser2 and needs no DOM, unlike DOMPurify (jsdom on the
 *    server, a far larger dependency kept for browsers).
 * Both are pure: same Markdown in, same HTML out; no clock, no I/O.
 */

const LINK_SCHEMES = ['http', 'https', 'mailto'];
const IMAGE_SCHEMES = ['http', 'https'];
const ABSOLUTE_HTTP = /^https?:\/\//i;
/** Link rel for every link: no window.opener, no referrer leak, no endorsement for search engines. */
export const LINK_REL = 'noopener noreferrer nofollow';

/**
 * Whether `url` is a relative reference or uses one of `schemes`, read as a browser reads it:
 * tabs and newlines anywhere are dropped, C0 controls and spaces at both ends are trimmed
 * (WHATWG URL parser), case is ignored. Protocol-relative URLs (`//host`, `\\host`) are refused,
 * and so is a relative reference whose first segment holds a colon (`jav%09ascript:x`): RFC 3986
 * (4.2) has no such thing, so nobody means one.
 */
function isAllowedUrl(url: string, schemes: readonly string[]): boolean {
  const cleaned = url.replace(/[\t\n\r]/g, '').replace(/^[\u0000-\u0020]+|[\u0000-\u0020]+$/g, '');
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(cleaned);
  if (scheme) return schemes.includes(scheme[1].toLowerCase());
  return !/^[/\\]{2}/.test(cleaned) && !/^[^/?#]*:/.test(cleaned);
}

const TABLE_ALIGN = /^text-align:(left|center|right)$/;

function createMarkdown(): MarkdownIt {
  const md = markdownIt('default', {
    html: false,
    // A newline in a post is a line break, as people type in a forum (GitHub comments, Discourse).
    breaks: true,
    // Bare http(s):// addresses and e-mail addresses become links (linkify-it's defaults: no
    // guessing of scheme-less host names, so "fichier.pdf" or "ex.fr" stay text).
    linkify: true,
    // Text stays as typed: no smart quotes or dash replacement (French spacing rules differ).
    typographer: false,
  });
  // markdown-it's default lets data:image/* through; we want no data: URL at all, nor javascript:,
  // vbscript:, file: or any unknown scheme.
  md.validateLink = (url: string): boolean => isAllowedUrl(url, LINK_SCHEMES);

  // Table alignment comes as a style attribute; styles are not allowed, so it becomes a class.
  md.core.ruler.push('table_align_class', (state) => {
    for (const token of state.tokens) {
      if (token.type !== 'th_open' && token.type !== 'td_open') continue;
      const align = TABLE_ALIGN.exec(String(token.attrGet('style') ?? ''));
      token.attrs = (token.attrs ?? []).filter(([name]) => name !== 'style');
      if (align) token.attrSet('class', `text-${align[1]}`);
    }
    return true;
  });

  // Images only from absolute http(s) URLs: a relative src would make every reader's browser send
  // a GET to our own API; mailto: means nothing for an image. Others are shown as their alt text.
  const renderImage = md.renderer.rules.image!;
  md.renderer.rules.image = (tokens, idx, options, env, self) => {
    const src = String(tokens[idx].attrGet('src') ?? '');
    if (!ABSOLUTE_HTTP.test(src.trim())) {
      return md.utils.escapeHtml(self.renderInlineAsText(tokens[idx].children ?? [], options, env));
    }
    return renderImage(tokens, idx, options, env, self);
  };
  return md;
}

const markdown = createMarkdown();

const TABLE_CELL_CLASSES = ['text-left', 'text-center', 'text-right'];

const SANITIZE_OPTIONS: sanitizeHtml.IOptions = {
  allowedTags: [
    'p', 'br', 'hr', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6',
    'strong', 'em', 's', 'blockquote', 'ul', 'ol', 'li', 'code', 'pre', 'a', 'img',
    'table', 'thead', 'tbody', 'tr', 'th', 'td',
  ],
  allowedAttributes: {
    a: ['href', 'title', 'rel'],
    img: ['src', 'alt', 'title', 'referrerpolicy', 'loading'],
    ol: ['start'],
  },
  allowedClasses: {
    code: [/^language-[A-Za-z0-9_+#.-]+$/],
    th: TABLE_CELL_CLASSES,
    td: TABLE_CELL_CLASSES,
  },
  allowedSchemes: LINK_SCHEMES,
  allowedSchemesByTag: { img: IMAGE_SCHEMES },
  allowedSchemesAppliedToAttributes: ['href', 'src', 'cite', 'action', 'formaction', 'xlink:href'],
  allowProtocolRelative: false,
  // The text of a removed element stays, escaped; that of these, which is code, styles or markup
  // a browser would read as text, goes with them.
  disallowedTagsMode: 'discard',
  nonTextTags: [
    'script', 'style', 'textarea', 'option', 'noscript', 'title', 'template', 'xmp', 'iframe', 'noembed',
    'noframes', 'plaintext',
  ],
  // No target: where a link opens is the reader's choice (and target=_blank needs opener care).
  transformTags: {
    a: sanitizeHtml.simpleTransform('a', { rel: LINK_REL }),
    // Images come from other sites: send them no referrer (the page's URL names the space) and
    // load them only when seen, so a post that nobody scrolls to tracks nobody.
    img: sanitizeHtml.simpleTransform('img', { referrerpolicy: 'no-referrer', loading: 'lazy' }),
  },
  exclusiveFilter: (frame) => frame.tag === 'img' && !ABSOLUTE_HTTP.test(frame.attribs.src ?? ''),
};

/** Sanitizes HTML with the allow-list renderMarkdown uses (exported for tests of that layer alone). */
export function sanitizeForumHtml(html: string): string {
  return sanitizeHtml(html, SANITIZE_OPTIONS);
}

/**
 * Renders forum Markdown to sanitized HTML: paragraphs, emphasis, strike-through, headings, lists,
 * code, blockquotes, links (with `rel="noopener noreferrer nofollow"`), http(s) images, tables,
 * horizontal rules and line breaks. Raw HTML is shown as text. Deterministic and pure.
 */
export function renderMarkdown(source: string): string {
  return sanitizeForumHtml(markdown.render(source));
}

/** markdown-it's token stream for `source` (same options as renderMarkdown), for plain text. */
export function parseMarkdown(source: string): Token[] {
  return markdown.parse(source, {});
}
