import markdownIt from 'markdown-it';

/**
 * The live preview of a Markdown body, with the server's options (libs/markdown): HTML typed by
 * the person is shown as text (html: false) and markdown-it refuses javascript:, vbscript:,
 * file: and data: links. What is saved is rendered again, and sanitized, by the server.
 */
const md = markdownIt({ html: false, breaks: true, linkify: true });

export function previewMarkdown(body: string): string {
  return md.render(body);
}
