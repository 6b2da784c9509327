export * from './space.js';
export * from './space.decide.js';
export * from './space.access.js';
