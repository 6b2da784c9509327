export { LINK_REL, renderMarkdown } from './render-markdown.js';
export { markdownExcerpt, plainText } from './plain-text.js';
