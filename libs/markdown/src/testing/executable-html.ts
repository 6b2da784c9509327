import { Parser } from 'htmlparser2';
import { parseFragment, serialize, type DefaultTreeAdapterMap } from 'parse5';

type Parse5Node = DefaultTreeAdapterMap['node'];

/** Elements that run code, load active content, restyle the page or submit data. */
const FORBIDDEN_ELEMENTS = new Set([
  'script', 'style', 'iframe', 'frame', 'frameset', 'object', 'embed', 'applet', 'form', 'input',
  'button', 'textarea', 'select', 'base', 'link', 'meta', 'svg', 'math', 'template', 'noscript',
  'xmp', 'noembed', 'noframes', 'plaintext', 'isindex', 'video', 'audio', 'source',
]);
const URL_ATTRIBUTES = new Set([
  'href', 'src', 'action', 'formaction', 'xlink:href', 'srcset', 'poster', 'background', 'data',
  'dynsrc', 'lowsrc', 'cite', 'codebase', 'srcdoc',
]);
const DANGEROUS_SCHEME = /^(javascript|vbscript|data):/;

/** A URL attribute's value as a browser reads it: tabs/newlines dropped, controls and spaces trimmed. */
export function browserUrl(value: string): string {
  return value.replace(/[\t\n\r]/g, '').replace(/^[\u0000-\u0020]+|[\u0000-\u0020]+$/g, '').toLowerCase();
}

function findingsFor(where: string, element: string, attributes: ReadonlyArray<[string, string]>): string[] {
  const findings: string[] = [];
  if (FORBIDDEN_ELEMENTS.has(element)) findings.push(`${where}: <${element}> element`);
  for (const [name, value] of attributes) {
    if (name.startsWith('on')) findings.push(`${where}: <${element} ${name}> event handler`);
    if (name === 'style') findings.push(`${where}: <${element} style> attribute`);
    if (URL_ATTRIBUTES.has(name) && DANGEROUS_SCHEME.test(browserUrl(value))) {
      findings.push(`${where}: <${element} ${name}="${value}"> dangerous URL`);
    }
  }
  return findings;
}

/** Walks the tree as a browser's HTML parser (WHATWG, parse5) builds it, templates included. */
function parse5Findings(html: string, where: string): string[] {
  const findings: string[] = [];
  const visit = (node: Parse5Node): void => {
    if ('tagName' in node) {
      const attributes = node.attrs.map((a): [string, string] => [(a.prefix ? `${a.prefix}:${a.name}` : a.name).toLowerCase(), a.value]);
      findings.push(...findingsFor(where, node.tagName.toLowerCase(), attributes));
      if (node.tagName === 'template' && 'content' in node) visit(node.content as Parse5Node);
    }
    if ('childNodes' in node) node.childNodes.forEach(visit);
  };
  visit(parseFragment(html));
  return findings;
}

function htmlparser2Findings(html: string): string[] {
  const findings: string[] = [];
  const parser = new Parser(
    {
      onopentag(name, attribs) {
        findings.push(...findingsFor('htmlparser2', name.toLowerCase(), Object.entries(attribs).map(([n, v]): [string, string] => [n.toLowerCase(), v])));
      },
    },
    { decodeEntities: true, lowerCaseTags: true, lowerCaseAttributeNames: true },
  );
  parser.write(html);
  parser.end();
  return findings;
}

/**
 * Everything executable in `html`, as read by two real parsers: parse5 (what a browser builds),
 * parse5 again over its own serialization (mutation XSS shows up on that second pass, as with
 * innerHTML), and htmlparser2 (what the sanitizer saw). Empty when nothing can run.
 */
export function findExecutable(html: string): string[] {
  return [
    ...parse5Findings(html, 'parse5'),
    ...parse5Findings(serialize(parseFragment(html)), 'parse5 reparsed'),
    ...htmlparser2Findings(html),
  ];
}

/** Every element with its attributes (entities decoded), as parse5 reads `html`. */
export function elementsOf(html: string): Array<{ element: string; attributes: Record<string, string> }> {
  const found: Array<{ element: string; attributes: Record<string, string> }> = [];
  const visit = (node: Parse5Node): void => {
    if ('tagName' in node) {
      found.push({ element: node.tagName, attributes: Object.fromEntries(node.attrs.map((a) => [a.prefix ? `${a.prefix}:${a.name}` : a.name, a.value])) });
      if (node.tagName === 'template' && 'content' in node) visit(node.content as Parse5Node);
    }
    if ('childNodes' in node) node.childNodes.forEach(visit);
  };
  visit(parseFragment(html));
  return found;
}
