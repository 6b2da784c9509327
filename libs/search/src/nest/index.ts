export * from './search.projection.js';
export * from './search.queries.js';
export * from './search.dto.js';
export * from './search.controller.js';
export * from './search.module.js';
