export * from './auth.decorators.js';
export * from './auth.settings.js';
export * from './identity.module.js';
export * from './session.store.js';
export * from './user-directory.js';
export * from './users.projection.js';
export * from './users.queries.js';
export * from './sign-in.command.js';
