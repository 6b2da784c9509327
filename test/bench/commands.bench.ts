/**
 * Cost of a command as streams grow (issue #7): p50/p99 of one command on a long stream beside
 * the same command on a fresh stream, on SQLite and PostgreSQL, through the real CommandRunner
 * (libs/platform), which caches folded states per stream and reads only the events appended
 * since. Target: long / fresh ≤ 1.5×. `npm run bench:commands` (PostgreSQL from
 * BENCH_DATABASE_URL, else TEST_DATABASE_URL, else postgres://postgres@127.0.0.1:5432/test;
 * skipped with a line when unreachable). BENCH_COMMAND_SAMPLES sets the samples per line.
 *
 * One function per workload (see WORKLOADS): each builds its long stream once and prepares fresh
 * streams on demand; long and fresh samples alternate so that drift in the machine's load hits
 * both alike.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { v7 as uuidv7 } from 'uuid';
import type { SpaceRights } from '#ruche/domain-kit';
import { documentDecider, documentStreamName, DOCUMENT_EVENT_SCHEMA_VERSIONS, type DocumentCommand, type DocumentEvent } from '#ruche/documents';
import { PostgresEventStore, SqliteEventStore, type EventStore } from '#ruche/eventstore';
import { topicDecider, topicStreamName, TOPIC_EVENT_SCHEMA_VERSIONS, type TopicCommand, type TopicEvent } from '#ruche/forums';
import { CommandRunner, handleCommand, systemClock, type RequestMeta } from '#ruche/platform';
import { rightsOf, spaceDecider, spaceStreamName, SPACE_EVENT_SCHEMA_VERSIONS, type SpaceEvent } from '#ruche/spaces';

const SAMPLES = Number(process.env.BENCH_COMMAND_SAMPLES ?? 200);
const WARMUP = 10;
/** Commands without the state cache on the long stream: each reads it whole, so only a few. */
const UNCACHED_SAMPLES = 5;
const TARGET_RATIO = 1.5;
const POSTGRES_URL = process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

const log = (message: string): void => void process.stderr.write(`${message}\n`);

/** What a workload gets: the store, the real CommandRunner over it, and a space its actor contributes to. */
interface BenchContext {
  store: EventStore;
  runner: CommandRunner;
  spaceId: string;
  actor: { userId: string; roles: string[] };
  /** The actor's rights in the space, read as a handler does (SpaceAccess.forCommand: the space's stream, cached). */
  rights(): Promise<SpaceRights>;
}

/** One command, run on a stream a workload prepared. */
type TimedCommand = () => Promise<void>;

interface CommandWorkload {
  /** What the line measures, e.g. "content write to a document of 1,000 revisions of 20 kB". */
  name: string;
  /** Builds the long stream (untimed) and answers the command to time on it, callable many times. */
  long(ctx: BenchContext): Promise<{ command: TimedCommand; streamName: string; uncached: TimedCommand }>;
  /** Builds one fresh stream (untimed) and answers the same command on it, called once. */
  fresh(ctx: BenchContext): Promise<TimedCommand>;
}

const meta = (): RequestMeta => {
  const commandId = uuidv7();
  return { commandId, correlationId: commandId };
};

/** Appends `events` written by `userId` straight to the store, in batches (seeding, untimed). */
async function seed(
  store: EventStore,
  streamName: string,
  events: readonly { type: string; data: object }[],
  versions: Readonly<Record<string, number>>,
  userId: string,
  batch = 50,
): Promise<void> {
  for (let from = 0; from < events.length; from += batch) {
    const chunk = events.slice(from, from + batch).map((e) => {
      const commandId = uuidv7();
      return { id: uuidv7(), type: e.type, data: e.data, metadata: { commandId, userId, correlationId: commandId, causationId: commandId, schemaVersion: versions[e.type] } };
    });
    await store.appendToStream(streamName, chunk, { expectedRevision: from === 0 ? 'no_stream' : from - 1 });
  }
}

// ---------------------------------------------------------------------------------------------
// Workload: a content write to a fiche PIX of 1,000 revisions of 20 kB (libs/documents).
// ---------------------------------------------------------------------------------------------

const DOCUMENT_REVISIONS = 1000;
const BODY_BYTES = 20 * 1024;

/** A Markdown body of about 20 kB, different for every `n`. */
function documentBody(n: number): string {
  const paragraph = `Paragraphe de la fiche, révision ${n} : la compétence 3.1 se travaille en rédigeant, en relisant et en partageant.\n\n`;
  let body = `# Fiche PIX — version ${n}\n\n`;
  while (body.length < BODY_BYTES) body += paragraph;
  return body.slice(0, BODY_BYTES);
}

const documentContentWrite: CommandWorkload = {
  name: `content write to a document of ${DOCUMENT_REVISIONS.toLocaleString('en')} revisions of ${BODY_BYTES / 1024} kB`,

  async long(ctx) {
    const documentId = uuidv7();
    const streamName = documentStreamName(documentId);
    const stamp = { documentId, spaceId: ctx.spaceId, by: ctx.actor.userId, at: new Date().toISOString() };
    const events: DocumentEvent[] = [
      { type: 'DocumentCreated', data: { title: 'Fiche longue', body: documentBody(1), competences: ['3.1'], revision: 1, ...stamp } },
      ...Array.from({ length: DOCUMENT_REVISIONS - 1 }, (_, i): DocumentEvent => ({
        type: 'DocumentRevised',
        data: { revision: i + 2, body: documentBody(i + 2), summary: `révision ${i + 2}`, ...stamp },
      })),
    ];
    await seed(ctx.store, streamName, events, DOCUMENT_EVENT_SCHEMA_VERSIONS, ctx.actor.userId);
    // Bodies are built before timing, two of them taken in turn so that no write is a no-op.
    const bodies = [documentBody(DOCUMENT_REVISIONS + 1), documentBody(DOCUMENT_REVISIONS + 2)];
    let next = 0;
    const command = async (): Promise<void> => {
      const rights = await ctx.rights();
      const body = bodies[next++ % 2]!;
      await ctx.runner.run(streamName, documentDecider, { actor: ctx.actor, meta: meta() }, (metadata, state): DocumentCommand => ({
        type: 'WriteDocumentContent',
        data: { documentId, body, baseRevision: state.status === 'active' ? state.revision : 0, rights },
        metadata,
      }));
    };
    const uncached = async (): Promise<void> => {
      const rights = await ctx.rights();
      const body = bodies[next++ % 2]!;
      const metadata = { actor: ctx.actor, now: new Date() };
      await handleCommand(
        ctx.store,
        streamName,
        documentDecider,
        (state) => ({
          type: 'WriteDocumentContent' as const,
          data: { documentId, body, baseRevision: state.status === 'active' ? state.revision : 0, rights },
          metadata,
        }),
        { commandId: uuidv7(), userId: ctx.actor.userId },
      );
    };
    return { command, streamName, uncached };
  },

  async fresh(ctx) {
    const documentId = uuidv7();
    const streamName = documentStreamName(documentId);
    const rights = await ctx.rights();
    await ctx.runner.run(streamName, documentDecider, { actor: ctx.actor, meta: meta() }, (metadata): DocumentCommand => ({
      type: 'CreateDocument',
      data: { documentId, spaceId: ctx.spaceId, title: 'Fiche neuve', body: documentBody(1), competences: ['3.1'], rights },
      metadata,
    }));
    const body = documentBody(2);
    return async () => {
      const current = await ctx.rights();
      await ctx.runner.run(streamName, documentDecider, { actor: ctx.actor, meta: meta() }, (metadata, state): DocumentCommand => ({
        type: 'WriteDocumentContent',
        data: { documentId, body, baseRevision: state.status === 'active' ? state.revision : 0, rights: current },
        metadata,
      }));
    };
  },
};

// ---------------------------------------------------------------------------------------------
// Workload: a reply to a topic of 5,000 posts (libs/forums).
// ---------------------------------------------------------------------------------------------

const TOPIC_POSTS = 5000;

/** A reply of a few lines, different for every `n`. */
const replyBody = (n: number): string =>
  `Réponse ${n} : pour la compétence 2.3, nous avons ouvert un espace partagé et chacun y dépose ses ressources.\n\n` +
  'Merci pour le partage, je teste avec ma classe la semaine prochaine et je vous dis ce qu’il en est.';

const topicReply: CommandWorkload = {
  name: `reply to a topic of ${TOPIC_POSTS.toLocaleString('en')} posts`,

  async long(ctx) {
    const topicId = uuidv7();
    const streamName = topicStreamName(topicId);
    const stamp = { topicId, spaceId: ctx.spaceId, by: ctx.actor.userId, at: new Date().toISOString() };
    const events: TopicEvent[] = [
      { type: 'TopicOpened', data: { postId: uuidv7(), title: 'Sujet très suivi', body: replyBody(0), tags: ['pix'], ...stamp } },
      ...Array.from({ length: TOPIC_POSTS - 1 }, (_, i): TopicEvent => ({ type: 'ReplyPosted', data: { postId: uuidv7(), body: replyBody(i + 1), ...stamp } })),
    ];
    await seed(ctx.store, streamName, events, TOPIC_EVENT_SCHEMA_VERSIONS, ctx.actor.userId, 200);
    const body = replyBody(TOPIC_POSTS);
    const command = async (): Promise<void> => {
      const rights = await ctx.rights();
      const postId = uuidv7();
      await ctx.runner.run(streamName, topicDecider, { actor: ctx.actor, meta: meta() }, (metadata): TopicCommand => ({
        type: 'PostReply',
        data: { postId, body, rights },
        metadata,
      }));
    };
    const uncached = async (): Promise<void> => {
      const rights = await ctx.rights();
      const postId = uuidv7();
      const metadata = { actor: ctx.actor, now: new Date() };
      await handleCommand(ctx.store, streamName, topicDecider, { type: 'PostReply', data: { postId, body, rights }, metadata }, {
        commandId: uuidv7(),
        userId: ctx.actor.userId,
      });
    };
    return { command, streamName, uncached };
  },

  async fresh(ctx) {
    const topicId = uuidv7();
    const streamName = topicStreamName(topicId);
    const rights = await ctx.rights();
    await ctx.runner.run(streamName, topicDecider, { actor: ctx.actor, meta: meta() }, (metadata): TopicCommand => ({
      type: 'OpenTopic',
      data: { topicId, spaceId: ctx.spaceId, postId: uuidv7(), title: 'Sujet neuf', body: replyBody(0), tags: ['pix'], rights },
      metadata,
    }));
    const body = replyBody(1);
    return async () => {
      const current = await ctx.rights();
      const postId = uuidv7();
      await ctx.runner.run(streamName, topicDecider, { actor: ctx.actor, meta: meta() }, (metadata): TopicCommand => ({
        type: 'PostReply',
        data: { postId, body, rights: current },
        metadata,
      }));
    };
  },
};

/** Every line of the table, in order. Add a workload by writing one function object above. */
const WORKLOADS: CommandWorkload[] = [documentContentWrite, topicReply];

// ---------------------------------------------------------------------------------------------

interface Line {
  backend: string;
  workload: string;
  long: { p50: number; p99: number };
  fresh: { p50: number; p99: number };
  coldFirst: number;
  uncachedP50: number;
  seedSeconds: number;
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

const stats = (samples: number[]) => {
  const sorted = [...samples].sort((a, b) => a - b);
  return { p50: percentile(sorted, 50), p99: percentile(sorted, 99) };
};

async function timed(command: TimedCommand): Promise<number> {
  const start = process.hrtime.bigint();
  await command();
  return Number(process.hrtime.bigint() - start) / 1e6;
}

/** A space whose only member, the bench's actor, manages it. */
async function benchContext(store: EventStore): Promise<BenchContext> {
  const runner = new CommandRunner(store, systemClock);
  const spaceId = uuidv7();
  const actor = { userId: uuidv7(), roles: ['enseignant'] };
  const at = new Date().toISOString();
  const events: SpaceEvent[] = [
    { type: 'SpaceCreated', data: { spaceId, name: 'Banc d’essai', description: '', kind: 'thematic', visibility: 'private', at, by: actor.userId } },
    { type: 'MemberAdded', data: { spaceId, userId: actor.userId, role: 'manager', at, by: actor.userId } },
  ];
  await seed(store, spaceStreamName(spaceId), events, SPACE_EVENT_SCHEMA_VERSIONS, actor.userId);
  return {
    store,
    runner,
    spaceId,
    actor,
    rights: async () => rightsOf((await runner.load(spaceStreamName(spaceId), spaceDecider)).state, actor),
  };
}

async function measure(backend: string, store: EventStore, workload: CommandWorkload): Promise<Line> {
  const ctx = await benchContext(store);
  log(`${backend}: ${workload.name}: seeding the long stream…`);
  const seedStart = process.hrtime.bigint();
  const long = await workload.long(ctx);
  const seedSeconds = Number(process.hrtime.bigint() - seedStart) / 1e9;
  log(`${backend}: seeded in ${seedSeconds.toFixed(1)} s; ${UNCACHED_SAMPLES} commands without the state cache…`);
  const uncached: number[] = [];
  for (let i = 0; i < UNCACHED_SAMPLES; i++) uncached.push(await timed(long.uncached));
  // The first command through the runner folds the whole stream into its cache.
  const coldFirst = await timed(long.command);
  for (let i = 0; i < WARMUP; i++) {
    await long.command();
    await (await workload.fresh(ctx))();
  }
  log(`${backend}: ${SAMPLES} long / ${SAMPLES} fresh samples, alternating…`);
  const longSamples: number[] = [];
  const freshSamples: number[] = [];
  for (let i = 0; i < SAMPLES; i++) {
    longSamples.push(await timed(long.command));
    const fresh = await workload.fresh(ctx);
    freshSamples.push(await timed(fresh));
  }
  return {
    backend,
    workload: workload.name,
    long: stats(longSamples),
    fresh: stats(freshSamples),
    coldFirst,
    uncachedP50: stats(uncached).p50,
    seedSeconds,
  };
}

async function postgresReachable(url: string): Promise<string | undefined> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('select 1');
    return undefined;
  } catch (error) {
    return (error as Error).message;
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function withSqlite<T>(fn: (store: EventStore) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ruche-bench-commands-'));
  const store = SqliteEventStore.open({ filename: path.join(dir, 'events.sqlite') });
  try {
    return await fn(store);
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function withPostgres<T>(fn: (store: EventStore) => Promise<T>): Promise<T> {
  const schema = `bench_commands_${Date.now().toString(36)}`;
  const store = await PostgresEventStore.connect({ connectionString: POSTGRES_URL, schema });
  try {
    return await fn(store);
  } finally {
    await store.close();
    const admin = new pg.Client({ connectionString: POSTGRES_URL });
    await admin.connect();
    await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await admin.end();
  }
}

const ms = (value: number): string => `${value.toFixed(2)} ms`;

function render(lines: readonly Line[]): string {
  const rows = [
    ['store', 'command', 'long p50', 'long p99', 'fresh p50', 'fresh p99', 'long/fresh p50', 'long/fresh p99', 'first (cold)', 'no cache p50'],
    ...lines.map((l) => [
      l.backend,
      l.workload,
      ms(l.long.p50),
      ms(l.long.p99),
      ms(l.fresh.p50),
      ms(l.fresh.p99),
      `${(l.long.p50 / l.fresh.p50).toFixed(2)}×`,
      `${(l.long.p99 / l.fresh.p99).toFixed(2)}×`,
      ms(l.coldFirst),
      ms(l.uncachedP50),
    ]),
  ];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const format = (r: string[]) => `| ${r.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [format(rows[0]!), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.slice(1).map(format)].join('\n');
}

async function main(): Promise<void> {
  const cpus = os.cpus();
  log(`bench:commands — ${SAMPLES} samples per line, ${cpus.length} × ${cpus[0]?.model ?? 'cpu'}, Node ${process.version}`);
  const lines: Line[] = [];
  for (const workload of WORKLOADS) lines.push(await withSqlite((store) => measure('sqlite', store, workload)));
  const unreachable = await postgresReachable(POSTGRES_URL);
  if (unreachable) {
    log(`[skip] PostgreSQL not reachable at ${POSTGRES_URL} (${unreachable}): its lines are left out.`);
  } else {
    for (const workload of WORKLOADS) lines.push(await withPostgres((store) => measure('postgres', store, workload)));
  }
  process.stdout.write(`${render(lines)}\n\n`);
  process.stdout.write(
    'long/fresh: the same command on the long stream and on a fresh one, through CommandRunner (states cached per stream,\n' +
      'only events appended since are read). first (cold): the first command on the long stream, which folds it whole.\n' +
      `no cache p50: handleCommand without the cache (reads the whole stream each time), ${UNCACHED_SAMPLES} samples.\n`,
  );
  const misses = lines.filter((l) => l.long.p50 / l.fresh.p50 > TARGET_RATIO || l.long.p99 / l.fresh.p99 > TARGET_RATIO);
  process.stdout.write(
    misses.length === 0
      ? `Target met: every long/fresh ratio is at most ${TARGET_RATIO}×.\n`
      : `Target missed (> ${TARGET_RATIO}×): ${misses.map((l) => `${l.backend} ${l.workload}`).join('; ')}\n`,
  );
}

main().catch((error: unknown) => {
  log(`bench:commands failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  process.exit(1);
});
