export * from './topic.js';
export * from './topic.decide.js';
export * from './topic.access.js';
export { PersistentMap } from './persistent-map.js';
