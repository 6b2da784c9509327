import fs from 'node:fs';
import path from 'node:path';
import { LINK_REL, markdownExcerpt, plainText, renderMarkdown } from './index.js';
import { sanitizeForumHtml } from './render-markdown.js';
import { browserUrl, elementsOf, findExecutable } from './testing/executable-html.js';
import { XSS_CORPUS, XSS_FAMILIES } from './testing/xss-corpus.js';

const ALLOWED: Record<string, readonly string[]> = {
  p: [], br: [], hr: [], h1: [], h2: [], h3: [], h4: [], h5: [], h6: [], strong: [], em: [], s: [],
  blockquote: [], ul: [], ol: ['start'], li: [], pre: [], code: ['class'],
  a: ['href', 'title', 'rel'], img: ['src', 'alt', 'title', 'referrerpolicy', 'loading'],
  table: [], thead: [], tbody: [], tr: [], th: ['class'], td: ['class'],
};

/** What is wrong with `html` beyond executable content: elements, attributes or URLs off the allow-list. */
function offAllowList(html: string): string[] {
  const problems: string[] = [];
  for (const { element, attributes } of elementsOf(html)) {
    const allowed = ALLOWED[element];
    if (!allowed) problems.push(`<${element}> not allowed`);
    else problems.push(...Object.keys(attributes).filter((a) => !allowed.includes(a)).map((a) => `<${element} ${a}> not allowed`));
    if (element === 'a' && attributes.rel !== LINK_REL) problems.push(`<a> without rel="${LINK_REL}"`);
    if ('href' in attributes) {
      const url = browserUrl(attributes.href);
      // A scheme as the WHATWG URL parser reads one; `jav%09ascript:x` has none and is a relative path.
      const scheme = /^([a-z][a-z0-9+.-]*):/.exec(url)?.[1];
      if ((scheme !== undefined && !['http', 'https', 'mailto'].includes(scheme)) || /^[/\\]{2}/.test(url)) problems.push(`href="${attributes.href}" off the scheme allow-list`);
    }
    if ('src' in attributes && !/^https?:\/\//.test(browserUrl(attributes.src))) problems.push(`src="${attributes.src}" off the scheme allow-list`);
  }
  return problems;
}

describe('the executable-content check', () => {
  it.each([
    '<script>alert(1)</script>',
    '<img src=x onerror=alert(1)>',
    '<a href=" JaVa&#x09;Script:alert(1)">x</a>',
    '<a href="&#x6A;avascript&colon;alert(1)">x</a>',
    '<a href="vbscript:msgbox(1)">x</a>',
    '<img src="DATA:image/svg+xml,<svg onload=alert(1)>">',
    '<svg><a xlink:href="javascript:alert(1)">x</a></svg>',
    '<form action="javascript:alert(1)"></form>',
    '<button formaction="javascript:alert(1)">x</button>',
    '<iframe src="https://ok.example"></iframe>',
    '<object data="x"></object>',
    '<embed src="x">',
    '<style>*{}</style>',
    '<template><img src=x onerror=alert(1)></template>',
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>">',
  ])('finds what can run in %s', (html) => {
    expect(findExecutable(html)).not.toEqual([]);
  });

  it('finds nothing in plain forum HTML', () => {
    const html = `<p>Bonjour <a href="https://ok.example/?a=1&amp;b=2" rel="${LINK_REL}">lien</a> <code>x</code></p>`;
    expect(findExecutable(html)).toEqual([]);
    expect(offAllowList(html)).toEqual([]);
  });

  it('reports elements, attributes and URLs off the allow-list', () => {
    const html = `<div><a href="https://ok.example">x</a><a href="ftp://x" rel="${LINK_REL}">y</a><img src="/a.png"><code id="c">z</code></div>`;
    expect(offAllowList(html)).toEqual([
      '<div> not allowed',
      `<a> without rel="${LINK_REL}"`,
      'href="ftp://x" off the scheme allow-list',
      'src="/a.png" off the scheme allow-list',
      '<code id> not allowed',
    ]);
  });
});

describe('XSS corpus', () => {
  it('holds at least 100 payloads in every family', () => {
    expect(XSS_CORPUS.length).toBeGreaterThanOrEqual(100);
    for (const payloads of Object.values(XSS_FAMILIES)) expect(payloads.length).toBeGreaterThanOrEqual(15);
    expect(new Set(XSS_CORPUS.map((c) => c.payload)).size).toBe(XSS_CORPUS.length);
  });

  it.each(XSS_CORPUS)('renderMarkdown leaves nothing executable: $family: $payload', ({ payload }) => {
    const html = renderMarkdown(payload);
    expect(findExecutable(html)).toEqual([]);
    expect(offAllowList(html)).toEqual([]);
  });

  it.each(XSS_CORPUS)('the sanitizer alone leaves nothing executable: $family: $payload', ({ payload }) => {
    const html = sanitizeForumHtml(payload);
    expect(findExecutable(html)).toEqual([]);
    expect(offAllowList(html)).toEqual([]);
  });

  it('keeps the text around a refused link or image visible', () => {
    expect(renderMarkdown('[x](javascript:alert(1))')).toBe('<p>[x](javascript:alert(1))</p>\n');
    expect(renderMarkdown('<javascript:alert(1)>')).toBe('<p>&lt;javascript:alert(1)&gt;</p>\n');
    expect(renderMarkdown('![photo](data:image/png;base64,iVBORw0KGgo=)')).toBe('<p>![photo](data:image/png;base64,iVBORw0KGgo=)</p>\n');
    expect(renderMarkdown('[x](jav&#x09;ascript:alert(1)) [y](//evil.example/p) [z](ftp://a.example)')).toBe(
      '<p>[x](jav\tascript:alert(1)) [y](//evil.example/p) [z](ftp://a.example)</p>\n',
    );
    expect(sanitizeForumHtml('<a href="javascript:alert(1)" onclick="x">texte</a>')).toBe(`<a rel="${LINK_REL}">texte</a>`);
  });
});

describe('renderMarkdown on forum Markdown', () => {
  it('renders headings, emphasis, strike-through and line breaks', () => {
    expect(renderMarkdown('# Titre\n\n## Sous-titre\n\nUn *mot* et **un autre** et ~~rayé~~.\nLigne suivante')).toBe(
      '<h1>Titre</h1>\n<h2>Sous-titre</h2>\n<p>Un <em>mot</em> et <strong>un autre</strong> et <s>rayé</s>.<br />\nLigne suivante</p>\n',
    );
  });

  it('renders lists, blockquotes and horizontal rules', () => {
    expect(renderMarkdown('- un\n- deux\n\n3. trois\n4. quatre\n\n> cité\n\n---')).toBe(
      '<ul>\n<li>un</li>\n<li>deux</li>\n</ul>\n<ol start="3">\n<li>trois</li>\n<li>quatre</li>\n</ol>\n' +
        '<blockquote>\n<p>cité</p>\n</blockquote>\n<hr />\n',
    );
  });

  it('renders inline code and fenced code with its language, escaped', () => {
    expect(renderMarkdown('Tapez `npm ci` puis :\n\n```ts\nif (a < b && c) run("x");\n```')).toBe(
      '<p>Tapez <code>npm ci</code> puis :</p>\n<pre><code class="language-ts">if (a &lt; b &amp;&amp; c) run("x");\n</code></pre>\n',
    );
  });

  it('gives every link rel="noopener noreferrer nofollow" and no target', () => {
    expect(renderMarkdown('[Éduscol](https://eduscol.education.fr/ "Le site") et https://ac-test.fr/a?b=1&c=2')).toBe(
      `<p><a href="https://eduscol.education.fr/" title="Le site" rel="${LINK_REL}">Éduscol</a> et ` +
        `<a href="https://ac-test.fr/a?b=1&amp;c=2" rel="${LINK_REL}">https://ac-test.fr/a?b=1&amp;c=2</a></p>\n`,
    );
  });

  it('keeps relative links, fragments and e-mail addresses', () => {
    expect(renderMarkdown('[espace](/spaces/abc) [haut](#haut) dane@ac-test.fr')).toBe(
      `<p><a href="/spaces/abc" rel="${LINK_REL}">espace</a> <a href="#haut" rel="${LINK_REL}">haut</a> ` +
        `<a href="mailto:dane@ac-test.fr" rel="${LINK_REL}">dane@ac-test.fr</a></p>\n`,
    );
  });

  it('renders tables with their alignment as classes', () => {
    expect(renderMarkdown('| Nom | Nb | Total |\n|:--|:-:|--:|\n| a | 1 | 2 |')).toBe(
      '<table>\n<thead>\n<tr>\n<th class="text-left">Nom</th>\n<th class="text-center">Nb</th>\n<th class="text-right">Total</th>\n</tr>\n</thead>\n' +
        '<tbody>\n<tr>\n<td class="text-left">a</td>\n<td class="text-center">1</td>\n<td class="text-right">2</td>\n</tr>\n</tbody>\n</table>\n',
    );
  });

  it('renders http(s) images without referrer, and others as their alt text', () => {
    expect(renderMarkdown('![schéma](https://img.example/a.png "légende")')).toBe(
      '<p><img src="https://img.example/a.png" alt="schéma" title="légende" referrerpolicy="no-referrer" loading="lazy" /></p>\n',
    );
    expect(renderMarkdown('![logo](/api/logout) ![<b>](mailto:x@y.fr)')).toBe('<p>logo &lt;b&gt;</p>\n');
  });

  it('shows typed HTML as text', () => {
    expect(renderMarkdown('Utilisez <b>gras</b> & <br> ici')).toBe('<p>Utilisez &lt;b&gt;gras&lt;/b&gt; &amp; &lt;br&gt; ici</p>\n');
  });

  it('keeps French text and emoji intact', () => {
    const text = 'À l’école, « ça » marche : déjà vu ! Œuvre, naïveté, 10 € — 🎉 👩‍💻 🇫🇷 👍🏽';
    expect(renderMarkdown(text)).toBe(`<p>${text}</p>\n`);
    expect(plainText(text)).toBe(text);
  });

  it('is deterministic and gives nothing for nothing', () => {
    const source = '# A\n\n| x |\n|---|\n| [l](https://a.example) |\n\n```\ncode\n```';
    expect(renderMarkdown(source)).toBe(renderMarkdown(source));
    expect(renderMarkdown('')).toBe('');
    expect(renderMarkdown('   \n\n')).toBe('');
  });
});

describe('plainText', () => {
  it('keeps what a reader sees, one block a line, without markup or URLs', () => {
    const source = [
      '# Réunion DANE',
      'Voir **le compte rendu** sur [le site](https://ac-test.fr/cr) et `npm ci`.\nSuite',
      '- un\n- deux',
      '> cité',
      '```\nconst a = 1;\n```',
      '| a | b |\n|---|---|\n| 1 | 2 |',
      '![schéma](https://img.example/a.png) &amp; &lt;b&gt;',
    ].join('\n\n');
    expect(plainText(source)).toBe(
      'Réunion DANE\nVoir le compte rendu sur le site et npm ci.\nSuite\nun\ndeux\ncité\nconst a = 1;\na b\n1 2\nschéma & <b>',
    );
  });

  it('gives an empty string for empty Markdown', () => {
    expect(plainText('')).toBe('');
    expect(plainText('---\n\n   ')).toBe('');
  });
});

describe('markdownExcerpt', () => {
  const source = '# Titre\n\nUn **paragraphe** assez long pour être coupé, avec [un lien](https://a.example).';

  it('gives the whole text on one line when it fits', () => {
    expect(markdownExcerpt(source, 200)).toBe('Titre Un paragraphe assez long pour être coupé, avec un lien.');
    const whole = 'Titre Un paragraphe assez long pour être coupé, avec un lien.';
    expect(markdownExcerpt(source, Array.from(whole).length)).toBe(whole);
  });

  it('cuts at a word boundary, closing with an ellipsis, within maxChars', () => {
    expect(markdownExcerpt(source, 30)).toBe('Titre Un paragraphe assez…');
    expect(markdownExcerpt(source, 36)).toBe('Titre Un paragraphe assez long pour…');
    for (let max = 1; max <= 70; max++) expect(Array.from(markdownExcerpt(source, max)).length).toBeLessThanOrEqual(max);
  });

  it('cuts inside a long word when no boundary is near, never inside an emoji', () => {
    expect(markdownExcerpt('Anticonstitutionnellement', 10)).toBe('Anticonst…');
    // 👩‍💻 is three code points: a cut may only fall before or after all three.
    expect(markdownExcerpt('👩‍💻👩‍💻👩‍💻', 4)).toBe('👩‍💻…');
    expect(markdownExcerpt('👩‍💻👩‍💻👩‍💻', 6)).toBe('👩‍💻…');
    expect(markdownExcerpt('👩‍💻👩‍💻👩‍💻', 7)).toBe('👩‍💻👩‍💻…');
  });

  it('has no markup in it', () => {
    const excerpt = markdownExcerpt('**Gras** <script>x</script> [lien](javascript:alert(1))', 500);
    expect(excerpt).toBe('Gras <script>x</script> [lien](javascript:alert(1))');
    expect(markdownExcerpt('*a* `b` ~~c~~ [d](https://e.example)', 50)).toBe('a b c d');
  });

  it('refuses a maxChars that is not a positive integer', () => {
    expect(() => markdownExcerpt(source, 0)).toThrow(RangeError);
    expect(() => markdownExcerpt(source, 2.5)).toThrow(RangeError);
    expect(markdownExcerpt(source, 1)).toBe('…');
  });
});

describe('libs/markdown domain files', () => {
  it('import only the Markdown and sanitizer libraries and each other', () => {
    const dir = path.join('libs', 'markdown', 'src');
    const files = fs.readdirSync(dir).filter((f) => f.endsWith('.ts') && !f.endsWith('.spec.ts'));
    expect(files).toEqual(expect.arrayContaining(['index.ts', 'plain-text.ts', 'render-markdown.ts']));
    const imports = files.flatMap((f) => [...fs.readFileSync(path.join(dir, f), 'utf8').matchAll(/from\s+['"]([^'"]+)['"]/g)].map((m) => m[1]));
    expect(imports.filter((specifier) => !/^(markdown-it|sanitize-html|\.\/[a-z-]+\.js)$/.test(specifier))).toEqual([]);
  });
});
