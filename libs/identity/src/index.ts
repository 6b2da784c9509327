export { GLOBAL_ROLES, type GlobalRole, isGlobalRole, hasRole, normaliseUai, isValidUai, parseUai } from '#ruche/domain-kit';
export * from './email.js';
export * from './user.js';
export * from './user.decide.js';
