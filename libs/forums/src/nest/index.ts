export * from './forum.commands.js';
export * from './forum.queries.js';
export * from './forum-topics.projection.js';
export * from './forum-posts.projection.js';
export * from './forums.dto.js';
export * from './forums.module.js';
export * from './projections.js';
