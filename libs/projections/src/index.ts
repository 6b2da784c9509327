export * from './sql-database.js';
export * from './sqlite/sqlite-database.js';
export * from './postgres/postgres-database.js';
export * from './projection.js';
export * from './projection-checkpoints.js';
export * from './projection-progress.js';
export * from './projection-rebuild.js';
export * from './projection-runner.js';
