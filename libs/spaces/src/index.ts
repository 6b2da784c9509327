export * from './space.js';
export * from './space.decide.js';
export * from './space.access.js';
export * from './nest/index.js';
