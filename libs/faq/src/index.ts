export * from './faq-entry.js';
