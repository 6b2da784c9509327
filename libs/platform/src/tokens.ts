/** Injection tokens shared by every bounded context's Nest module. */
export const EVENT_STORE = Symbol('EVENT_STORE');
export const READ_DB = Symbol('READ_DB');
export const PROJECTION_RUNNER = Symbol('PROJECTION_RUNNER');
export const PROJECTIONS = Symbol('PROJECTIONS');
export const CLOCK = Symbol('CLOCK');

/** Time comes from here, so that tests and replays can inject it. */
export interface Clock {
  now(): Date;
}
export const systemClock: Clock = { now: () => new Date() };
