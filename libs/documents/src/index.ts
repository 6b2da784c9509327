export * from './document.js';
export * from './document.decide.js';
