export * from './tokens.js';
export * from './handle-command.js';
