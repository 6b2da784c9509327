export * from './calendar.js';
export * from './department.js';
export * from './figures.js';
export * from './counted-events.js';
export * from './establishment.js';
export * from './establishment.decide.js';
export * from './csv.js';
