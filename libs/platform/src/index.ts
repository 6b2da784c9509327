export * from './tokens.js';
export * from './handle-command.js';
export * from './command-runner.js';
export * from './idempotency.interceptor.js';
export * from './request-meta.decorator.js';
export * from './min-position.interceptor.js';
export * from './pagination.js';
export * from './security-audit.js';
