export * from './faq-entry.js';
export * from './faq-entry.access.js';
export * from './faq-entry.decide.js';
