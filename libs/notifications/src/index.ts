export * from './notifications.js';
export * from './notifications.decide.js';
export * from './mentions.js';
