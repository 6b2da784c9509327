import { documentsProjections } from '#ruche/documents/projections';
import { faqProjections } from '#ruche/faq/projections';
import type { TopicEvent } from '#ruche/forums';
import { forumsProjections } from '#ruche/forums/projections';
import { identityProjections } from '#ruche/identity/projections';
import { indicatorsProjections } from '#ruche/indicators/projections';
import { notificationsProjections } from '#ruche/notifications/projections';
import { replayThreadsAvailable, type Projection, type ReplayThreads, type SqlDialect } from '#ruche/projections';
import { searchProjections } from '#ruche/search/projections';
import { spacesProjections } from '#ruche/spaces/projections';
import { securityAuditProjection } from './security/security-audit.projection.js';

/**
 * Every read model of the app, in one list: the server runs it, and the crash / exactly-once /
 * rebuild-equality test (test/int/read-models.int.spec.ts) runs the same, so a new projection
 * cannot join one and miss the other. Search's tables depend on the read store's engine.
 */
export function appProjections(dialect: SqlDialect): Projection[] {
  return [
    ...identityProjections,
    ...spacesProjections,
    ...forumsProjections,
    ...faqProjections,
    ...documentsProjections,
    ...searchProjections(dialect),
    ...notificationsProjections,
    ...indicatorsProjections,
    securityAuditProjection,
  ];
}

/**
 * Reading a topic: two thirds of a school year's events (1,187,203 of 1,758,678 for 200
 * establishments).
 */
const MOST_FREQUENT_EVENT: TopicEvent['type'] = 'TopicRead';

/**
 * A rebuild's replay threads (REBUILD_THREADS): each builds the app's projections from this very
 * module, compiled. Run from TypeScript sources (the tests under Jest) there is no compiled
 * module to load, and rebuilds replay on one thread. The projections that read topic reads
 * replay on the thread that reads the log: the others' threads are posted a third of the log.
 */
export function appReplayThreads(config: { readStore: SqlDialect; rebuildThreads: number }): ReplayThreads | undefined {
  const source = { module: new URL('./app-projections.js', import.meta.url).href, export: 'appProjections', args: [config.readStore] };
  const pinned = appProjections(config.readStore)
    .filter((projection) => !projection.ignores?.includes(MOST_FREQUENT_EVENT))
    .map((projection) => projection.name);
  return config.rebuildThreads > 1 && replayThreadsAvailable(source) ? { count: config.rebuildThreads, source, pinned } : undefined;
}
