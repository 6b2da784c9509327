export * from './space.commands.js';
export * from './space.queries.js';
export * from './space-access.js';
export * from './space-activity.projection.js';
export * from './spaces.projection.js';
export * from './spaces.dto.js';
export * from './spaces.module.js';
export * from './space.upcasters.js';
