import type { ReactNode } from 'react';

const ENTITIES: Record<string, string> = { '&amp;': '&', '&lt;': '<', '&gt;': '>', '&quot;': '"', '&#39;': "'", '&#x27;': "'", '&apos;': "'" };

/** Undoes the server's escaping of a text segment; anything else stays as typed. */
export function unescapeText(text: string): string {
  return text.replace(/&(amp|lt|gt|quot|apos|#39|#x27);/g, (entity) => ENTITIES[entity] ?? entity);
}

/**
 * A search excerpt: text escaped by the server with <mark>…</mark> around matches. It is split
 * on those two tags only and rendered as React text, so no other markup can ever become HTML.
 */
export function highlightParts(excerpt: string): Array<{ text: string; marked: boolean }> {
  const parts: Array<{ text: string; marked: boolean }> = [];
  let marked = false;
  for (const piece of excerpt.split(/(<mark>|<\/mark>)/)) {
    if (piece === '<mark>') marked = true;
    else if (piece === '</mark>') marked = false;
    else if (piece) parts.push({ text: unescapeText(piece), marked });
  }
  return parts;
}

export function Highlighted({ excerpt }: { excerpt: string }): ReactNode {
  return highlightParts(excerpt).map((part, index) => (part.marked ? <mark key={index}>{part.text}</mark> : <span key={index}>{part.text}</span>));
}
