export * from './event-store.js';
export * from './errors.js';
export * from './append-validation.js';
export * from './append-rules.js';
export * from './catch-up-subscription.js';
export * from './upcasting.js';
export * from './sqlite/sqlite-event-store.js';
export * from './postgres/postgres-event-store.js';
// The KurrentDB adapter loads its gRPC client: import it from '#ruche/eventstore/kurrentdb', only when used.
