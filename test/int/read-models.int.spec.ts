import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { DOCUMENT_EVENT_SCHEMA_VERSIONS, documentEventTypes } from '#ruche/documents';
import type { EventStore, RecordedEvent } from '#ruche/eventstore';
import { postgresService } from '#ruche/eventstore/testing';
import { FAQ_EVENT_SCHEMA_VERSIONS, faqEventTypes } from '#ruche/faq';
import { TOPIC_EVENT_SCHEMA_VERSIONS, topicEventTypes } from '#ruche/forums';
import { ESTABLISHMENT_EVENT_SCHEMA_VERSIONS } from '#ruche/indicators';
import { NOTIFICATION_KINDS } from '#ruche/notifications';
import { ProjectionRunner, shareOut, type PhysicalTables, type Projection, type RebuildResult, type SqlDatabase, type SqlDialect, type SqlExecutor } from '#ruche/projections';
import { appProjections as serverProjections } from '../../apps/api/src/app-projections.js';
import { syntheticHistory } from '../../seeds/synthetic-history.js';
import {
  auditApplyLog,
  countingProjection,
  exactlyOnce,
  type ApplyLogAudit,
  type CountingProjection,
} from '../../libs/projections/src/testing/counting.projection.js';
import { postgresBackend, sqliteBackend, type TestBackend } from '../../libs/projections/src/testing/test-backends.js';
import { applyAll, READ_WEIGHT } from '../../libs/projections/src/projection-rebuild.js';

/**
 * Every read model of the app under crashes and rebuilds: users; spaces, members, join requests,
 * activity; forum topics, tags, read marks, posts, versions, reactions; FAQ entries; fiches,
 * their competences, revisions and contributors; the search index; notifications with their
 * copies of members and topics; the activity indicators. The runner is SIGKILLed at random
 * points while a ~15,000-event history written by the deciders (seeds/synthetic-history.ts) is
 * projected, and restarted.
 * Many projection writes are idempotent, so equal tables cannot show an event applied twice:
 * each projection is wrapped by countingProjection, whose apply log (no key, no ON CONFLICT)
 * must then hold exactly one row per event position. The tables must also equal a rebuild from
 * position 0, and rebuilding again changes nothing.
 * The child fixture (support/app-projections-runner.fixture.mjs) runs the same list, in the same
 * order (it says which; the first round checks).
 */
const appProjections = (dialect: SqlDialect): Projection[] => serverProjections(dialect);

/** Tables every read model leaves empty on this history, and why. */
const EMPTY_ON_THIS_HISTORY = [
  // Filled by NotificationsRead events (people reading their notifications): none here.
  'notification_marks',
];

/** Projections that must write a batch at a time (applyBatch): those most of the log's events reach. */
const BATCHING_PROJECTIONS = ['documents', 'forum_posts', 'forum_topics', 'indicators', 'notifications', 'search'];

const fixture = new URL('./support/app-projections-runner.fixture.mjs', import.meta.url).pathname;
const rebuildFixture = new URL('./support/app-projections-rebuild.fixture.mjs', import.meta.url).pathname;
const pg = await postgresService();
const backends: Array<[string, () => TestBackend]> = [['SQLite', sqliteBackend]];
if (pg.available) backends.push(['PostgreSQL', () => postgresBackend('readmodels')]);

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

/** `<rows>:<SHA-256>` of rows as a multiset: each row hashed (columns by name), the hashes sorted. */
function multisetDigest(rows: readonly object[]): string {
  const hashes = rows.map((row) => sha256(JSON.stringify(Object.entries(row).sort(([a], [b]) => a.localeCompare(b)))));
  hashes.sort();
  return `${rows.length}:${sha256(hashes.join('\n'))}`;
}

/**
 * A table's digest, whatever its key; equal digests, equal contents. A contentless FTS5 table
 * (SQLite's search index) answers NULL for every column: its digest is that of every token
 * instance it indexes (term, row, column, offset), read through an fts5vocab table.
 */
async function tableDigest(db: SqlDatabase, table: string): Promise<string> {
  if (db.dialect === 'sqlite') {
    const schema = await db.queryOne<{ sql: string }>(`SELECT sql FROM sqlite_master WHERE name = $1`, [table]);
    if (/USING\s+fts5/i.test(schema?.sql ?? '')) {
      const rowIds = await db.query(`SELECT rowid AS id FROM ${table}`);
      await db.execute(`CREATE VIRTUAL TABLE temp.${table}_vocab USING fts5vocab(main, ${table}, 'instance')`);
      try {
        const instances = await db.query(`SELECT term, doc, col, "offset" FROM temp.${table}_vocab`);
        return `${rowIds.length}:${sha256(`${multisetDigest(rowIds)} ${multisetDigest(instances)}`)}`;
      } finally {
        await db.execute(`DROP TABLE temp.${table}_vocab`);
      }
    }
  }
  return multisetDigest(await db.query(`SELECT * FROM ${table}`));
}

async function digests(db: SqlDatabase, tables: readonly string[]): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const table of tables) out[table] = await tableDigest(db, table);
  return out;
}

const rowCount = (digest: string | undefined): number => Number(digest?.split(':')[0]);

async function applyLogAudits(db: SqlDatabase, projections: readonly CountingProjection[], positions: readonly number[]): Promise<Record<string, ApplyLogAudit>> {
  const out: Record<string, ApplyLogAudit> = {};
  for (const projection of projections) out[projection.name] = await auditApplyLog(db, projection, positions);
  return out;
}

function everyPositionOnce(projections: readonly CountingProjection[], positions: readonly number[]): Record<string, ApplyLogAudit> {
  return Object.fromEntries(projections.map((projection) => [projection.name, exactlyOnce(positions)]));
}

/** What the log holds, as read back: each event's position, and the few facts the checks need. */
interface LogFacts {
  positions: number[];
  types: Record<string, number>;
  /** Content events whose metadata lacks a commandId or has another schemaVersion than their decider's. */
  badMetadata: string[];
  /** Replies quoting a post, restores of a revision, topics promoted to the FAQ, entries published again. */
  quotes: number;
  restores: number;
  promotions: number;
  republications: number;
  /** Posts that @mention someone (in their first version or an edit). */
  mentions: number;
  /** Deleted replies (not opening posts): they leave the search index. */
  deletedReplies: number;
}

const CONTENT_SCHEMA_VERSIONS: Record<string, number> = {
  ...TOPIC_EVENT_SCHEMA_VERSIONS,
  ...FAQ_EVENT_SCHEMA_VERSIONS,
  ...DOCUMENT_EVENT_SCHEMA_VERSIONS,
  ...ESTABLISHMENT_EVENT_SCHEMA_VERSIONS,
};

async function readLog(store: EventStore): Promise<LogFacts> {
  const facts: LogFacts = {
    positions: [],
    types: {},
    badMetadata: [],
    quotes: 0,
    restores: 0,
    promotions: 0,
    republications: 0,
    mentions: 0,
    deletedReplies: 0,
  };
  const openingPosts = new Set<string>();
  for (;;) {
    const page = await store.readAll({ fromPosition: facts.positions[facts.positions.length - 1] ?? 0, maxCount: 2000 });
    if (page.length === 0) return facts;
    for (const event of page) {
      facts.positions.push(event.position);
      facts.types[event.type] = (facts.types[event.type] ?? 0) + 1;
      const data = event.data as Record<string, unknown>;
      if (event.type in CONTENT_SCHEMA_VERSIONS) {
        const { commandId, schemaVersion } = event.metadata;
        if (typeof commandId !== 'string' || schemaVersion !== CONTENT_SCHEMA_VERSIONS[event.type]) facts.badMetadata.push(`${event.position} ${event.type}`);
      }
      if (event.type === 'TopicOpened') openingPosts.add(data.postId as string);
      if (event.type === 'PostDeleted' && !openingPosts.has(data.postId as string)) facts.deletedReplies++;
      if ((event.type === 'ReplyPosted' || event.type === 'PostEdited') && /(^|\s)@/.test(data.body as string)) facts.mentions++;
      if (event.type === 'ReplyPosted' && data.replyTo) facts.quotes++;
      if (event.type === 'DocumentRevised' && data.restoredFrom) facts.restores++;
      if (event.type === 'FaqEntryDrafted' && data.fromTopicId) facts.promotions++;
      if (event.type === 'FaqEntryPublished' && data.firstTime === false) facts.republications++;
    }
  }
}

const HISTORY = {
  users: 300,
  spaces: 200,
  eventsPerSpace: 35,
  content: { topicsPerSpace: 1.2, faqEntriesPerSpace: 0.8, documentsPerSpace: 0.8 },
  seed: 'exactly-once',
};

/** SHA-256 of everything the synthetic history would append: ids, data, metadata, order. */
function historyDigest(): string {
  const hash = createHash('sha256');
  for (const append of syntheticHistory(HISTORY)) hash.update(JSON.stringify(append));
  return hash.digest('hex');
}

/**
 * Appends the synthetic history, 32 appends in flight; an append others depend on (a space
 * before its content, a topic before its FAQ entry) goes alone, after everything before it.
 */
async function writeHistory(store: EventStore): Promise<number> {
  let count = 0;
  const pending: Array<Promise<unknown>> = [];
  for (const append of syntheticHistory(HISTORY)) {
    count += append.events.length;
    if (append.ordered) await Promise.all(pending.splice(0));
    pending.push(store.appendToStream(append.streamName, append.events, { expectedRevision: 'no_stream' }));
    if (append.ordered || pending.length >= 32) await Promise.all(pending.splice(0));
  }
  await Promise.all(pending);
  return count;
}

const children = new Set<ChildProcess>();

interface RunnerChild {
  child: ChildProcess;
  lastApplied: () => number;
  /** Milliseconds between its last two "applied" lines: about one batch of every projection. */
  batchInterval: () => number;
  exited: Promise<void>;
  /** Resolves once it says it applied `killAt`. */
  passed: Promise<void>;
  /** The projections it runs, as it announced them. */
  projections: string[];
}

/** Starts the child runner (`batchSize` events at most per transaction); resolves once it printed `started`. */
function startRunner(backend: TestBackend, options: { killAt?: number; batchSize?: number } = {}): Promise<RunnerChild> {
  const { killAt = Number.POSITIVE_INFINITY, batchSize = 200 } = options;
  const child = spawn(process.execPath, [fixture, JSON.stringify(backend.target)], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, BATCH_SIZE: String(batchSize) },
  });
  children.add(child);
  child.once('exit', () => children.delete(child));
  let last = 0;
  let lastLineAt = 0;
  let interval = 0;
  let names: string[] = [];
  let markPassed: () => void = () => undefined;
  const passed = new Promise<void>((resolve) => (markPassed = resolve));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    lines.on('line', (line) => {
      if (line.startsWith('projections ')) names = line.slice('projections '.length).split(',');
      if (line === 'started') resolve({ child, lastApplied: () => last, batchInterval: () => interval, exited, passed, projections: names });
      const match = /^applied (\d+)$/.exec(line);
      if (match) {
        last = Number(match[1]);
        const now = performance.now();
        if (lastLineAt > 0) interval = now - lastLineAt;
        lastLineAt = now;
        if (last >= killAt) markPassed();
      }
    });
    child.once('exit', (code, signal) => signal !== 'SIGKILL' && reject(new Error(`runner exited early (${code})`)));
  });
}

/**
 * Rebuilds every projection in a child process on compiled code (replay threads load compiled
 * modules), two threads (SQLite) or connections (PostgreSQL) side by side; answers its last line.
 */
async function rebuildInChild(backend: TestBackend, env: Record<string, string> = {}): Promise<string> {
  const child = spawn(process.execPath, [rebuildFixture, JSON.stringify(backend.target)], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, REPLAY_PARALLELISM: '2', ...env },
  });
  children.add(child);
  let last = '';
  createInterface({ input: child.stdout! }).on('line', (line) => (last = line));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  children.delete(child);
  if (code !== 0) throw new Error(`rebuild child exited with ${code}: ${last}`);
  return last;
}

/** Tables a rebuild leaves behind when it ends (shadows, tables set aside), and staging files. */
async function rebuildLeftovers(backend: TestBackend, db: SqlDatabase): Promise<string[]> {
  const tablesLeft =
    db.dialect === 'sqlite'
      ? await db.query<{ name: string }>(`SELECT name FROM sqlite_master WHERE type = 'table' AND (name LIKE '%\\_\\_r%' ESCAPE '\\' OR name LIKE '%\\_\\_o%' ESCAPE '\\')`)
      : await db.query<{ name: string }>(
          `SELECT tablename AS name FROM pg_tables WHERE schemaname = current_schema() AND (tablename LIKE '%\\_\\_r%' OR tablename LIKE '%\\_\\_o%')`,
        );
  const target = backend.target as { kind: string; filename?: string };
  const files = target.kind === 'sqlite' ? readdirSync(path.dirname(target.filename!)).filter((name) => name.includes('-staging-')) : [];
  return [...tablesLeft.map((row) => row.name), ...files];
}

async function waitUntil(condition: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const quiet = { log: () => undefined, warn: () => undefined, error: () => undefined };

describe.each(backends)('read models under crashes and rebuilds (%s)', (label, makeBackend) => {
  let backend: TestBackend;
  let store: EventStore;
  let db: SqlDatabase;
  let projections: CountingProjection[] = [];
  /** Every table of every read model (the apply logs are audited apart). */
  let tables: string[] = [];
  let positions: number[] = [];
  let log: LogFacts;
  let written = 0;
  let head = 0;
  let crashedAndCaughtUp = false;

  beforeAll(async () => {
    backend = makeBackend();
    store = await backend.openStore();
    db = await backend.openDb();
    projections = appProjections(db.dialect).map((projection) => countingProjection(projection));
    tables = projections.flatMap((projection) => projection.inner.tables as readonly string[]);
    written = await writeHistory(store);
    log = await readLog(store);
    positions = log.positions;
    head = await store.headPosition();
  }, 180_000);

  afterAll(async () => {
    for (const child of children) child.kill('SIGKILL');
    await db?.close();
    await store?.close();
    await backend?.dispose();
  });

  it('projects a realistic, reproducible history: every event type of forums, FAQ and documents, with their metadata', () => {
    expect(positions.length).toBe(written);
    // Same seed, same history (a seeded PRNG and a clock moved by fixed rules, nothing else).
    expect(historyDigest()).toBe(historyDigest());
    expect(written).toBeGreaterThanOrEqual(15_000);
    expect(written).toBeLessThanOrEqual(25_000);
    const missing = [...topicEventTypes, ...faqEventTypes, ...documentEventTypes, 'EstablishmentMilestoneRecorded'].filter((type) => !log.types[type]);
    expect(missing).toEqual([]);
    expect(log.badMetadata.slice(0, 10)).toEqual([]);
    expect(log.types.ReplyPosted).toBeGreaterThan(1_000);
    expect(log.types.DocumentRevised).toBeGreaterThan(300);
    // Quotes, restores, promotions to the FAQ, republications and @mentions, not just the plain paths.
    expect(log.quotes).toBeGreaterThan(100);
    expect(log.restores).toBeGreaterThan(20);
    expect(log.promotions).toBeGreaterThan(5);
    expect(log.republications).toBeGreaterThan(5);
    expect(log.mentions).toBeGreaterThan(50);
  });

  it('applies every event exactly once across 10 SIGKILLs: one apply-log row per projection and position', async () => {
    const kills: Array<{ at: number; batchSize: number }> = [];
    let reached = 0;
    let batchInterval = 0;
    for (let round = 0; round < 10 && reached < head; round++) {
      // Kill it mid-flight, once it passed a random position ahead of where the last one got.
      const target = reached + 1 + Math.floor(Math.random() * ((head - reached) / (11 - round)));
      // From 5 to 200 events per transaction: small batches, like the live feed's single events,
      // make the moments between a batch's writes and the next batch a larger share of the run.
      const batchSize = Math.round(5 * 40 ** Math.random());
      const runner = await startRunner(backend, { killAt: target, batchSize });
      // The fixture must run the very projections this file checks.
      if (round === 0) expect(runner.projections).toEqual(projections.map((p) => p.name));
      await Promise.race([runner.passed, runner.exited]);
      // An "applied" line comes right after a commit: killing at once would always land at the
      // start of the next batch. A random delay of up to one batch spreads the kills over the
      // whole cycle, the moments between two transactions included.
      batchInterval = runner.batchInterval() || batchInterval;
      await new Promise((resolve) => setTimeout(resolve, Math.random() * batchInterval));
      runner.child.kill('SIGKILL');
      await runner.exited;
      reached = runner.lastApplied();
      kills.push({ at: reached, batchSize });
    }
    const finalStart = Date.now();
    const final = await startRunner(backend);
    const checker = new ProjectionRunner({ store, db, projections, logger: quiet });
    await waitUntil(
      async () => (await checker.status()).projections.every((p) => p.position >= head),
      120_000,
      'the restarted runner to catch up',
    );
    console.log(
      `kills at ${kills.map((k) => `${k.at} (batch ${k.batchSize})`).join(', ')} of ${head}; final catch-up ${Date.now() - finalStart} ms`,
    );
    final.child.kill('SIGTERM');
    await final.exited;
    crashedAndCaughtUp = true;
    // At least some kills landed mid-projection, not all before the first batch or after the last.
    expect(kills.filter(({ at }) => at > 0 && at < head).length).toBeGreaterThanOrEqual(5);
    expect(await applyLogAudits(db, projections, positions)).toEqual(everyPositionOnce(projections, positions));
  }, 300_000);

  it('leaves tables equal to a rebuild from position 0, which applies every event once too', async () => {
    expect(crashedAndCaughtUp).toBe(true);
    const checker = new ProjectionRunner({ store, db, projections, logger: quiet });
    const afterCrashes = await digests(db, tables);
    // All of them in one pass over the log, as `ruche projections rebuild` does.
    await checker.rebuildMany();
    const rebuilt = await digests(db, tables);
    expect(rebuilt).toEqual(afterCrashes);
    // The read models hold what the log says, so the digests compare filled tables.
    expect(tables.filter((table) => rowCount(afterCrashes[table]) === 0)).toEqual(EMPTY_ON_THIS_HISTORY);
    const types = log.types;
    const spaceEvents = Object.entries(types)
      .filter(([type]) => !(type in CONTENT_SCHEMA_VERSIONS) && type !== 'UserRegistered')
      .reduce((sum, [, n]) => sum + n, 0);
    expect({
      users: rowCount(afterCrashes.users),
      spaces: rowCount(afterCrashes.spaces),
      space_activity: rowCount(afterCrashes.space_activity),
      forum_topics: rowCount(afterCrashes.forum_topics),
      forum_posts: rowCount(afterCrashes.forum_posts),
      forum_post_versions: rowCount(afterCrashes.forum_post_versions),
      faq_entries: rowCount(afterCrashes.faq_entries),
      documents: rowCount(afterCrashes.documents),
      document_revisions: rowCount(afterCrashes.document_revisions),
      search_entries: rowCount(afterCrashes.search_entries),
      notification_topics: rowCount(afterCrashes.notification_topics),
    }).toEqual({
      users: types.UserRegistered,
      spaces: types.SpaceCreated,
      space_activity: spaceEvents,
      forum_topics: types.TopicOpened,
      forum_posts: types.TopicOpened! + types.ReplyPosted!,
      forum_post_versions: types.TopicOpened! + types.ReplyPosted! + types.PostEdited!,
      faq_entries: types.FaqEntryDrafted,
      documents: types.DocumentCreated,
      document_revisions: types.DocumentCreated! + types.DocumentRevised!,
      search_entries: types.TopicOpened! + types.ReplyPosted! - log.deletedReplies + types.FaqEntryDrafted! + types.DocumentCreated!,
      notification_topics: types.TopicOpened,
    });
    // Every kind of notification was made, @mentions included.
    const kinds = await db.query<{ kind: string }>(`SELECT DISTINCT kind FROM notifications ORDER BY kind`);
    expect(kinds.map((row) => row.kind)).toEqual([...NOTIFICATION_KINDS].sort());
    expect(await applyLogAudits(db, projections, positions)).toEqual(everyPositionOnce(projections, positions));
  }, 180_000);

  /**
   * Replays the whole log into two fresh sets of `projection`'s tables, in pages of `sizes` (in
   * turn), `apply` writing each page to both in one transaction; answers each set's table digests,
   * in the projection's table order, and drops them. `finish` runs in one more transaction after
   * the last page.
   */
  async function replayTwice(
    projection: Projection,
    sizes: readonly number[],
    apply: (page: RecordedEvent[], tx: SqlExecutor, first: PhysicalTables, second: PhysicalTables) => Promise<void>,
    finish?: (tx: SqlExecutor, first: PhysicalTables, second: PhysicalTables) => Promise<void>,
  ): Promise<[string[], string[]]> {
    const sets = ['first', 'second'].map((suffix) => Object.fromEntries(projection.tables.map((table) => [table, `${table}_${suffix}`])));
    const [first, second] = sets as [PhysicalTables, PhysicalTables];
    await db.transaction(async (tx) => {
      for (const set of sets) await projection.createTables(tx, set);
    });
    let from = 0;
    for (let i = 0; ; i++) {
      const page = await store.readAll({ fromPosition: from, maxCount: sizes[i % sizes.length]! });
      if (page.length === 0) break;
      await db.transaction((tx) => apply(page, tx, first, second));
      from = page[page.length - 1]!.position;
    }
    if (finish) await db.transaction((tx) => finish(tx, first, second));
    const digested = [Object.values(await digests(db, Object.values(first))), Object.values(await digests(db, Object.values(second)))];
    await db.transaction(async (tx) => {
      for (const set of sets) for (const table of Object.values(set)) await tx.execute(`DROP TABLE ${table}`);
    });
    return digested as [string[], string[]];
  }

  it('applied in batches of every size, each applyBatch writes the very tables apply writes one event at a time', async () => {
    const batching = projections.map((projection) => projection.inner).filter((projection) => projection.applyBatch);
    // The projections that carry most of the log's events batch their writes.
    expect(batching.map((projection) => projection.name).sort()).toEqual(expect.arrayContaining(BATCHING_PROJECTIONS));
    const sizes = [1, 7, 500, 2, 640, 33, 1000, 5];
    for (const projection of batching) {
      const [expected, actual] = await replayTwice(projection, sizes, async (page, tx, oneByOne, batched) => {
        for (const event of page) await projection.apply(event, tx, oneByOne);
        await projection.applyBatch!(page, tx, batched);
      });
      expect(actual).toEqual(expected);
      // Not empty tables compared: the history fills this read model.
      expect(expected.some((digest) => rowCount(digest) > 0)).toBe(true);
    }
  }, 300_000);

  it("replayed from 0 through its fold (a rebuild's), each folding projection writes the very tables applyBatch writes, holding everything or writing early", async () => {
    const folding = projections.map((projection) => projection.inner).filter((projection) => projection.replayFold);
    // The projections whose replay rewrites or reads back the most rows fold them in memory.
    expect(folding.map((projection) => projection.name).sort()).toEqual(['forum_topics', 'indicators', 'notifications', 'search']);
    // No bound, and one small enough for this history to make each fold write and read back often.
    for (const maxRows of [undefined, 40]) {
      for (const projection of folding) {
        const fold = projection.replayFold!(maxRows);
        const [expected, actual] = await replayTwice(
          projection,
          [300, 1000],
          async (page, tx, batched, folded) => {
            await projection.applyBatch!(page, tx, batched);
            await fold.applyBatch(page, tx, folded);
          },
          (tx, _batched, folded) => fold.finish(tx, folded),
        );
        expect(actual).toEqual(expected);
        expect(expected.some((digest) => rowCount(digest) > 0)).toBe(true);
      }
    }
  }, 300_000);

  it("a fold's first finish inserts into its empty tables without upserts: a row already there makes it fail", async () => {
    const folding = projections.map((projection) => projection.inner).filter((projection) => projection.replayFold);
    for (const projection of folding) {
      const [reference, planted] = ['reference', 'planted'].map((suffix) =>
        Object.fromEntries(projection.tables.map((table) => [table, `${table}_${suffix}`])),
      ) as [PhysicalTables, PhysicalTables];
      const folds = [projection.replayFold!(), projection.replayFold!()];
      try {
        await db.transaction(async (tx) => {
          for (const set of [reference, planted]) await projection.createTables(tx, set);
        });
        for (let from = 0; ; ) {
          const page = await store.readAll({ fromPosition: from, maxCount: 1000 });
          if (page.length === 0) break;
          await db.transaction(async (tx) => {
            await folds[0]!.applyBatch(page, tx, reference);
            await folds[1]!.applyBatch(page, tx, planted);
          });
          from = page[page.length - 1]!.position;
        }
        await db.transaction((tx) => folds[0]!.finish(tx, reference));
        // The rows the finish is about to write, already in each table it has not written yet: a
        // plain insert (COPY on PostgreSQL) meets them, an upsert would merge them silently.
        let plantedRows = 0;
        await db.transaction(async (tx) => {
          for (const table of projection.tables) {
            // SQLite's full-text table keeps no row to copy (contentless): its entries' rows do.
            const virtual =
              db.dialect === 'sqlite' && (await tx.queryOne(`SELECT 1 AS one FROM sqlite_master WHERE name = $1 AND sql LIKE 'CREATE VIRTUAL%'`, [planted[table]!]));
            if (virtual) continue;
            const empty = !(await tx.queryOne(`SELECT 1 AS one FROM ${planted[table]} LIMIT 1`));
            if (empty) plantedRows += (await tx.execute(`INSERT INTO ${planted[table]} SELECT * FROM ${reference[table]}`)).rowCount;
          }
        });
        expect(plantedRows).toBeGreaterThan(0);
        // Its message, whatever the error's class: the driver's error may come from another realm.
        const failure: unknown = await db.transaction((tx) => folds[1]!.finish(tx, planted)).then(
          () => 'the finish succeeded',
          (error: unknown) => error,
        );
        expect(`${projection.name}: ${String((failure as Error)?.message ?? failure)}`).toMatch(/: .*(unique|duplicate|there already)/i);
      } finally {
        await db.transaction(async (tx) => {
          for (const set of [reference, planted]) for (const table of Object.values(set)) await tx.execute(`DROP TABLE IF EXISTS ${table}`);
        });
      }
    }
  }, 300_000);

  // Each projection alone, on SQLite only (31 s more on PostgreSQL): what a projection reads is
  // its code's, and PostgreSQL's own SQL (search's) is held to it by the threaded rebuild of the
  // app's projections below, each thread posted only what its projections read.
  const onSqlite = (name: string, fn: () => Promise<void>, timeout: number): void => {
    if (label === 'SQLite') it(name, fn, timeout);
  };

  onSqlite('leaves alone the event types each projection says it ignores: its tables are the same without them', async () => {
    const inner = projections.map((projection) => projection.inner);
    const declaring = inner.filter((projection) => (projection.ignores ?? []).length > 0);
    // All but the two that read topic reads say what they ignore, and may replay on another thread.
    expect(inner.filter((projection) => !declaring.includes(projection)).map((projection) => projection.name).sort()).toEqual(['forum_topics', 'indicators']);
    for (const projection of declaring) {
      const ignored = new Set(projection.ignores);
      // Each type it says it ignores is in this history, or the comparison would prove nothing.
      expect([...ignored].filter((type) => !log.types[type])).toEqual([]);
      // As a replay thread applies what it is posted: in batches (applyBatch), or one event alone.
      const [expected, actual] = await replayTwice(projection, [500], async (page, tx, every, without) => {
        await applyAll(projection, page, tx, every);
        await applyAll(projection, page.filter((event) => !ignored.has(event.type)), tx, without);
      });
      expect(actual).toEqual(expected);
      expect(expected.some((digest) => rowCount(digest) > 0)).toBe(true);
    }
  }, 300_000);

  it("rebuilds the app's own projections on two threads, each posted only the events its projections read: the same tables", async () => {
    const before = await digests(db, tables);
    const line = await rebuildInChild(backend, { PLAIN_PROJECTIONS: '1' });
    expect(line).toMatch(/^rebuilt /);
    const results = JSON.parse(line.slice('rebuilt '.length)) as RebuildResult[];
    expect(results.map((result) => result.parallelism)).toEqual(projections.map(() => 2));
    expect(await digests(db, tables)).toEqual(before);
    // The projections that read topic reads replay on the thread that reads the log: the other
    // thread is posted the rest, not the whole log.
    expect(results[0]!.posted).toBeGreaterThan(0);
    expect(results[0]!.posted).toBeLessThanOrEqual(results[0]!.events - log.types.TopicRead!);
    expect(await rebuildLeftovers(backend, db)).toEqual([]);
  }, 180_000);

  it('rebuilds deterministically: again, on two threads side by side (each with a staging database on SQLite, a connection on PostgreSQL), to identical tables, every event applied once', async () => {
    const before = await digests(db, tables);
    const line = await rebuildInChild(backend);
    expect(line).toMatch(/^rebuilt /);
    const results = JSON.parse(line.slice('rebuilt '.length)) as RebuildResult[];
    // Side by side indeed, not one thread or connection for all.
    expect(results.map((result) => [result.name, result.parallelism])).toEqual(projections.map((projection) => [projection.name, 2]));
    expect(await digests(db, tables)).toEqual(before);
    expect(await applyLogAudits(db, projections, positions)).toEqual(everyPositionOnce(projections, positions));
    expect(await rebuildLeftovers(backend, db)).toEqual([]);
  }, 180_000);

  it('a projection failing on the other thread or connection fails the whole rebuild, naming it; nothing is swapped or left behind', async () => {
    const before = await digests(db, tables);
    const checkpoints = async () => db.query(`SELECT name, generation, position, rebuild_owner FROM projection_checkpoints ORDER BY name`);
    const checkpointsBefore = await checkpoints();
    // Early in the log: the rebuild fails after a few batches, not after half of them.
    const failAt = positions[Math.floor(positions.length / 5)]!;
    const failing = onAWorker(db.dialect);
    const line = await rebuildInChild(backend, { FAIL_PROJECTION: failing, FAIL_AT: String(failAt) });
    // On a worker thread, not the main one (0).
    expect(line).toMatch(new RegExp(`^failed RebuildFailedError ${failing} Rebuild of ${failing} failed at position \\d+: planted failure at ${failAt} on thread [1-9]\\d*$`));
    expect(await checkpoints()).toEqual(checkpointsBefore);
    expect(await digests(db, tables)).toEqual(before);
    expect(await rebuildLeftovers(backend, db)).toEqual([]);
  }, 180_000);

  it('a rebuild whose claim on a projection another rebuild takes over stops on every thread; nothing is swapped', async () => {
    const before = await digests(db, tables);
    const checkpoints = async () => db.query<{ name: string; generation: number; position: number; rebuild_owner: string | null }>(
      `SELECT name, generation, position, rebuild_owner FROM projection_checkpoints ORDER BY name`,
    );
    const checkpointsBefore = await checkpoints();
    // Taken from a projection replayed on the worker thread: on PostgreSQL that thread checks its
    // claims in each of its transactions, on SQLite the main thread checks every claim.
    const stolen = onAWorker(db.dialect);
    const line = await rebuildInChild(backend, { STEAL_PROJECTION: stolen, STEAL_AT: String(positions[Math.floor(positions.length / 5)]!) });
    // The whole rebuild stopped (named after every projection), not one share, and during the
    // replay: the thread writing that projection's tables stopped at its next batch, rather than
    // write on into tables another rebuild owns until a later check.
    const everyName = projections.map((projection) => projection.name).join(', ');
    expect(line).toBe(`failed RebuildAbortedError ${everyName} Rebuild of ${everyName} stopped: another rebuild took over (during replay)`);
    // Every projection's claim released but the stolen one (the thief's now); no generation moved.
    expect(await checkpoints()).toEqual(checkpointsBefore.map((row) => (row.name === stolen ? { ...row, rebuild_owner: 'thief' } : row)));
    expect(await digests(db, tables)).toEqual(before);
    // What is left is the thief's: the stolen projection's shadow tables only.
    const left = await rebuildLeftovers(backend, db);
    const stolenTables = projections.find((projection) => projection.name === stolen)!.tables;
    expect(left.length).toBeGreaterThan(0);
    expect(left.filter((table) => !stolenTables.some((name) => table.startsWith(`${name}__r`)))).toEqual([]);
    await db.execute(`UPDATE projection_checkpoints SET rebuild_owner = NULL WHERE name = $1`, [stolen]);
    // IF EXISTS: dropping a virtual table (search's FTS5 index) drops its own tables with it.
    for (const table of left) await db.execute(`DROP TABLE IF EXISTS ${table}`);
  }, 180_000);
});

/**
 * A projection that a two-thread rebuild of the app (the rebuild fixture pins nothing to the
 * reading thread) replays on its worker thread: the heaviest of the share shareOut gives the
 * worker, as the rebuild computes it from the replay weights of the day.
 */
function onAWorker(dialect: SqlDialect): string {
  const projections = serverProjections(dialect);
  const worker = shareOut(projections, 2, dialect, READ_WEIGHT[dialect])[1]!;
  const weight = (index: number): number => projections[index]!.replayWeight?.[dialect] ?? 0;
  return projections[[...worker].sort((a, b) => weight(b) - weight(a))[0]!]!.name;
}
