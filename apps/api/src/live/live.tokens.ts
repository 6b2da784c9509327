/** The PresenceStore of this process: in memory, or in Redis when REDIS_URL is set. */
export const PRESENCE_STORE = Symbol('PRESENCE_STORE');
/** The Redis connections of the live gateway (undefined without REDIS_URL). */
export const LIVE_REDIS = Symbol('LIVE_REDIS');
