export * from './establishment.commands.js';
export * from './indicators.queries.js';
export * from './indicators.dto.js';
export * from './indicators.projection.js';
export * from './figures.reader.js';
export * from './explain.reader.js';
export * from './indicators.module.js';
export * from './indicators.responses.js';
