import { usersProjection } from './users.projection.js';

/**
 * The context's projections, for the app's list (apps/api/src/app-projections.ts): apart from
 * its Nest module, so that a replay thread or a process that only projects loads no framework.
 */
export const identityProjections = [usersProjection];
