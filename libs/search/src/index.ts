export * from './french-text.js';
export * from './highlight.js';
export * from './search-request.js';
