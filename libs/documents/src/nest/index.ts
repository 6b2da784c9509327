export * from './document.commands.js';
export * from './document.queries.js';
export * from './documents.dto.js';
export * from './documents.projection.js';
export * from './documents.module.js';
export * from './projections.js';
