export * from './document.js';
export * from './document.decide.js';
export * from './document.diff.js';
