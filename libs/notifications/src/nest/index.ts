export * from './notification-id.js';
export * from './notifications.commands.js';
export * from './notifications.controller.js';
export * from './notifications.dto.js';
export * from './notifications.module.js';
export * from './notifications.projection.js';
export * from './notifications.queries.js';
export * from './projections.js';
