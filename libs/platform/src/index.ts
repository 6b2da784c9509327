export * from './tokens.js';
export * from './handle-command.js';
export * from './min-position.interceptor.js';
export * from './pagination.js';
