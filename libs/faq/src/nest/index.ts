export * from './faq.commands.js';
export * from './faq.queries.js';
export * from './faq.projection.js';
export * from './faq.dto.js';
export * from './faq.module.js';
export * from './topic-to-promote.js';
export * from './projections.js';
