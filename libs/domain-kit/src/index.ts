export * from './academy.js';
export * from './decider.js';
export * from './domain-error.js';
export * from './messages.js';
export * from './text.js';
export * from './space-rights.js';
export * from './pix.js';
