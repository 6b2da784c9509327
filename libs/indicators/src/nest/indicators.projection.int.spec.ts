import { createHash } from 'node:crypto';
import type { EventStore } from '#ruche/eventstore';
import { postgresService } from '#ruche/eventstore/testing';
import { ProjectionRunner, type SqlDatabase } from '#ruche/projections';
import { postgresBackend, sqliteBackend, type TestBackend } from '../../../projections/src/testing/test-backends.js';
import { parisDay, startOfMonth } from '../calendar.js';
import { countedFactOf, isContribution } from '../counted-events.js';
import { ANSWER_WINDOW_SECONDS } from '../figures.js';
import { syntheticYear, type YearAppend } from '../testing/synthetic-year.js';
import { ExplainReader } from './explain.reader.js';
import { ALL_SPACES, FiguresReader, NO_GROUPING } from './figures.reader.js';
import { COUNTER_COLUMNS, INDICATOR_TABLES, indicatorsProjection, NO_ESTABLISHMENT_KEY, PEOPLE_GROUPS, PEOPLE_KINDS } from './indicators.projection.js';

/*
 * The indicators projection against the log it reads: a projection added once more than
 * 10,000 events exist gets their whole history, every table equals what a plain fold of the
 * same events says (the oracle below, written without SQL), a rebuild from position 0 gives
 * identical tables, and SQLite and PostgreSQL give identical tables for the same log.
 */

const pg = await postgresService();
const backends: Array<[string, () => TestBackend]> = [['SQLite', sqliteBackend]];
if (pg.available) backends.push(['PostgreSQL', () => postgresBackend('indicators')]);

const history: YearAppend[] = [...syntheticYear({ establishments: 2, seed: 'indicators-int', to: '2027-01-15' })];
const quiet = { log: () => undefined, warn: () => undefined, error: () => undefined };

/** What the tables must hold, folded from the events in log order with no SQL. */
interface Oracle {
  days: Map<string, Record<string, number>>;
  people: Set<string>;
  peopleDays: Set<string>;
  topics: Map<string, { author: string; openedMs: number; firstReplyMs: number | null; answered: 0 | 1 }>;
  facts: number;
  competences: Map<string, number>;
  milestones: Set<string>;
  spaces: number;
}

function oracleOf(appends: readonly YearAppend[]): Oracle {
  const oracle: Oracle = { days: new Map(), people: new Set(), peopleDays: new Set(), topics: new Map(), facts: 0, competences: new Map(), milestones: new Set(), spaces: 0 };
  const bump = (spaceId: string, day: string, column: string): void => {
    const key = `${spaceId}|${day}`;
    const row = oracle.days.get(key) ?? {};
    row[column] = (row[column] ?? 0) + 1;
    oracle.days.set(key, row);
  };
  const moveCompetence = (spaceId: string, code: string, delta: number): void => {
    const key = `${spaceId}|${code}`;
    oracle.competences.set(key, (oracle.competences.get(key) ?? 0) + delta);
  };
  for (const append of appends) {
    for (const event of append.events) {
      const data = event.data as Record<string, unknown> & { spaceId: string; at: string; by: string };
      if (event.type === 'SpaceCreated') oracle.spaces++;
      if (event.type === 'EstablishmentMilestoneRecorded') oracle.milestones.add(`${String(data.uai)}|${String(data.milestone)}`);
      if (event.type === 'DocumentCreated') for (const code of data.competences as string[]) moveCompetence(data.spaceId, code, 1);
      if (event.type === 'DocumentCompetencesChanged') {
        for (const code of data.previousCompetences as string[]) moveCompetence(data.spaceId, code, -1);
        for (const code of data.competences as string[]) moveCompetence(data.spaceId, code, 1);
      }
      const fact = countedFactOf({ ...event, streamName: append.streamName });
      if (!fact) continue;
      oracle.facts++;
      const day = parisDay(fact.at);
      bump(fact.spaceId, day, COUNTER_COLUMNS[fact.field]);
      if (isContribution(fact.field) || fact.field === 'views') {
        const kind = isContribution(fact.field) ? PEOPLE_KINDS.contributor : PEOPLE_KINDS.visitor;
        oracle.people.add(`${fact.spaceId}|${startOfMonth(day)}|${kind}|${fact.userId}`);
        oracle.peopleDays.add(`${fact.spaceId}|${day}|${kind}|${fact.userId}`);
      }
      const topicId = data.topicId as string;
      if (event.type === 'TopicOpened') oracle.topics.set(topicId, { author: data.by, openedMs: Date.parse(data.at), firstReplyMs: null, answered: 0 });
      if (event.type === 'ReplyPosted') {
        const topic = oracle.topics.get(topicId)!;
        if (topic.firstReplyMs === null && data.by !== topic.author) {
          topic.firstReplyMs = Date.parse(data.at) - topic.openedMs;
          if (topic.firstReplyMs <= ANSWER_WINDOW_SECONDS * 1000) {
            topic.answered = 1;
            bump(data.spaceId, parisDay(new Date(topic.openedMs)), 'answered_topics');
          }
        }
      }
    }
  }
  return oracle;
}

async function writeHistory(store: EventStore): Promise<number> {
  let count = 0;
  for (const append of history) {
    await store.appendToStream(append.streamName, append.events, { expectedRevision: 'any' });
    count += append.events.length;
  }
  return count;
}

/** Every table, row by row (columns by name), under its logical name. */
async function digests(db: SqlDatabase, physical: Readonly<Record<string, string>> = {}): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const table of INDICATOR_TABLES) {
    const rows = await db.query(`SELECT * FROM ${physical[table] ?? table}`);
    const hashes = rows
      .map((row) => {
        const values = Object.entries(row as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b));
        return createHash('sha256').update(JSON.stringify(values.map(([k, v]) => [k, typeof v === 'bigint' ? Number(v) : v]))).digest('hex');
      })
      .sort();
    out[table] = `${rows.length}:${createHash('sha256').update(hashes.join('\n')).digest('hex')}`;
  }
  return out;
}

const digestsByBackend = new Map<string, Record<string, string>>();
const oracle = oracleOf(history);

describe.each(backends)('the indicators projection over a school term (%s)', (label, makeBackend) => {
  let backend: TestBackend;
  let store: EventStore;
  let db: SqlDatabase;
  let runner: ProjectionRunner;
  let head = 0;

  beforeAll(async () => {
    backend = makeBackend();
    store = await backend.openStore();
    db = await backend.openDb();
    const written = await writeHistory(store);
    expect(written).toBeGreaterThan(10_000);
    head = await store.headPosition();
    // Added after the fact, as a new indicator would be: it must get the whole history.
    runner = new ProjectionRunner({ store, db, projections: [indicatorsProjection], logger: quiet });
    await runner.start();
    expect(await runner.waitForPosition(head, 120_000)).toBe(true);
  }, 240_000);

  afterAll(async () => {
    await runner?.stop();
    await db?.close();
    await store?.close();
    await backend?.dispose();
  });

  it('counts every event of the log once, per space and Paris day, as the plain fold does', async () => {
    const rows = await db.query<Record<string, string | number>>(`SELECT * FROM ind_space_days`);
    const tables = new Map(
      rows.map((row) => [
        `${row.space_id}|${row.day}`,
        Object.fromEntries([...Object.values(COUNTER_COLUMNS), 'answered_topics'].filter((c) => Number(row[c]) !== 0).map((c) => [c, Number(row[c])])),
      ]),
    );
    expect(tables.size).toBe(oracle.days.size);
    expect(Object.fromEntries(tables)).toEqual(Object.fromEntries(oracle.days));
    // The monthly rows are the days added up.
    const byMonth = new Map<string, Record<string, number>>();
    for (const [key, row] of oracle.days) {
      const [spaceId, day] = key.split('|') as [string, string];
      const month = byMonth.get(`${spaceId}|${startOfMonth(day)}`) ?? {};
      for (const [column, n] of Object.entries(row)) month[column] = (month[column] ?? 0) + n;
      byMonth.set(`${spaceId}|${startOfMonth(day)}`, month);
    }
    const monthRows = await db.query<Record<string, string | number>>(`SELECT * FROM ind_space_months`);
    expect(
      Object.fromEntries(
        monthRows.map((row) => [
          `${row.space_id}|${row.month}`,
          Object.fromEntries([...Object.values(COUNTER_COLUMNS), 'answered_topics'].filter((c) => Number(row[c]) !== 0).map((c) => [c, Number(row[c])])),
        ]),
      ),
    ).toEqual(Object.fromEntries(byMonth));
    const facts = await db.queryOne<{ n: number }>(`SELECT COUNT(*) AS n FROM ind_facts`);
    expect(Number(facts?.n)).toBe(oracle.facts);
    expect(oracle.facts).toBeGreaterThan(8_000);
  });

  it('keeps each person once per space, month and role, and once per day', async () => {
    const years = await db.query<{ space_id: string; year: number; kind: string; user_id: string; months: number }>(`SELECT * FROM ind_people_years`);
    const months = years.flatMap((r) =>
      Array.from({ length: 12 }, (_, m) => m)
        .filter((m) => (Number(r.months) & (1 << m)) !== 0)
        .map((m) => `${r.space_id}|${r.year}-${String(m + 1).padStart(2, '0')}-01|${r.kind}|${r.user_id}`),
    );
    expect(new Set(months)).toEqual(oracle.people);
    expect(months).toHaveLength(oracle.people.size);
    const days = await db.queryOne<{ n: number }>(`SELECT COUNT(*) AS n FROM ind_people_days`);
    expect(Number(days?.n)).toBe(oracle.peopleDays.size);
  });

  it("finds each topic's first reply from someone else, and whether it came within 48 h", async () => {
    const rows = await db.query<{ topic_id: string; first_reply_ms: number | null; answered_in_window: number }>(
      `SELECT topic_id, first_reply_ms, answered_in_window FROM ind_topics`,
    );
    expect(rows).toHaveLength(oracle.topics.size);
    for (const row of rows) {
      const topic = oracle.topics.get(row.topic_id)!;
      expect({ id: row.topic_id, ms: row.first_reply_ms === null ? null : Number(row.first_reply_ms), answered: Number(row.answered_in_window) }).toEqual({
        id: row.topic_id,
        ms: topic.firstReplyMs,
        answered: topic.answered,
      });
    }
    expect([...oracle.topics.values()].some((t) => t.answered === 1)).toBe(true);
    expect([...oracle.topics.values()].some((t) => t.firstReplyMs === null)).toBe(true);
  });

  it('follows fiches per competence, milestones and spaces', async () => {
    const competences = await db.query<{ space_id: string; code: string; documents: number }>(`SELECT * FROM ind_competences`);
    expect(Object.fromEntries(competences.map((r) => [`${r.space_id}|${r.code}`, Number(r.documents)]))).toEqual(Object.fromEntries(oracle.competences));
    const milestones = await db.query<{ uai: string; milestone: string }>(`SELECT uai, milestone FROM ind_milestones`);
    expect(new Set(milestones.map((r) => `${r.uai}|${r.milestone}`))).toEqual(oracle.milestones);
    expect(oracle.milestones.size).toBeGreaterThan(0);
    expect(Number((await db.queryOne<{ n: number }>(`SELECT COUNT(*) AS n FROM ind_spaces`))?.n)).toBe(oracle.spaces);
  });

  it("reads the académie's figures as the fold counts them", async () => {
    const reader = new FiguresReader(db);
    const span = { from: '2026-10-01', to: '2026-10-31' };
    const figures = (await reader.figures({ selection: ALL_SPACES, grouping: NO_GROUPING, span, now: new Date('2027-01-01T00:00:00Z') })).get('all')!;
    const inOctober = [...oracle.days].filter(([key]) => key.split('|')[1]!.startsWith('2026-10'));
    const sum = (column: string): number => inOctober.reduce((total, [, row]) => total + (row[column] ?? 0), 0);
    const distinct = (kind: string): number =>
      new Set([...oracle.people].filter((p) => p.split('|')[1] === '2026-10-01' && p.split('|')[2] === kind).map((p) => p.split('|')[3])).size;
    expect(figures).toMatchObject({
      topics: sum('topics'),
      replies: sum('replies'),
      views: sum('views'),
      revisions: sum('revisions'),
      contributors: distinct(PEOPLE_KINDS.contributor),
      uniqueVisitors: distinct(PEOPLE_KINDS.visitor),
      unansweredTopics: sum('topics') - sum('answered_topics'),
    });
    expect(figures.topics).toBeGreaterThan(20);
    // The median over a span with edges (whole months in the middle), as the fold says.
    const wide = { from: '2026-09-15', to: '2026-12-03' };
    const inWide = (ms: number): boolean => {
      const day = parisDay(new Date(ms));
      return day >= wide.from && day <= wide.to;
    };
    const delays = [...oracle.topics.values()].filter((t) => t.firstReplyMs !== null && inWide(t.openedMs)).map((t) => t.firstReplyMs!).sort((a, b) => a - b);
    const middle = Math.floor(delays.length / 2);
    const expectedMedian = delays.length % 2 ? delays[middle]! : (delays[middle - 1]! + delays[middle]!) / 2;
    const wideFigures = (await reader.figures({ selection: ALL_SPACES, grouping: NO_GROUPING, span: wide, now: new Date('2027-01-01T00:00:00Z') })).get('all')!;
    expect(wideFigures.medianFirstReplyHours).toBe(Math.round(expectedMedian / 360_000) / 10);
    const wideTopics = [...oracle.days].filter(([key]) => key.split('|')[1]! >= wide.from && key.split('|')[1]! <= wide.to).reduce((n, [, row]) => n + (row.topics ?? 0), 0);
    expect(wideFigures.topics).toBe(wideTopics);
    const wideContributors = new Set(
      [...oracle.peopleDays].filter((p) => p.split('|')[1]! >= wide.from && p.split('|')[1]! <= wide.to && p.split('|')[2] === PEOPLE_KINDS.contributor).map((p) => p.split('|')[3]),
    ).size;
    expect(wideFigures.contributors).toBe(wideContributors);
  });

  // The second span crosses New Year: people active in both calendar years have a row per year
  // in ind_people_groups and must still be counted once.
  it.each([
    { from: '2026-09-01', to: '2026-11-30' },
    { from: '2026-11-01', to: '2027-01-31' },
  ])("counts the académie's people by establishment over whole months ($from to $to) as the fold does, each person once per establishment", async (span) => {
    const reader = new FiguresReader(db);
    const now = new Date('2027-02-01T00:00:00Z');
    const uaiOf = new Map<string, string>();
    for (const append of history) {
      for (const event of append.events) {
        const data = event.data as { spaceId: string; uai?: string };
        if (event.type === 'SpaceCreated') uaiOf.set(data.spaceId, data.uai ?? NO_ESTABLISHMENT_KEY);
      }
    }
    const expected = new Map<string, Set<string>>();
    let sharedAcrossSpaces = 0;
    const seenIn = new Map<string, string>();
    for (const person of oracle.people) {
      const [spaceId, month, kind, userId] = person.split('|') as [string, string, string, string];
      if (month < span.from || month > span.to) continue;
      const key = `${uaiOf.get(spaceId)!}|${kind}`;
      const users = expected.get(key) ?? new Set<string>();
      users.add(userId);
      expected.set(key, users);
      const other = seenIn.get(`${key}|${userId}`);
      if (other !== undefined && other !== spaceId) sharedAcrossSpaces++;
      seenIn.set(`${key}|${userId}`, spaceId);
    }
    // Some people were active in two spaces of one group: counting them once is tested.
    expect(sharedAcrossSpaces).toBeGreaterThan(0);
    const byEstablishment = { key: `COALESCE(s.uai, '${NO_ESTABLISHMENT_KEY}')`, peopleGroup: PEOPLE_GROUPS.establishment };
    const figures = await reader.figures({ selection: ALL_SPACES, grouping: byEstablishment, span, now });
    // The same grouping without its people table: distinct people from the per-space rows.
    const generic = await reader.figures({ selection: ALL_SPACES, grouping: { key: byEstablishment.key }, span, now });
    const keys = [...new Set([...uaiOf.values()])];
    expect(keys.length).toBeGreaterThanOrEqual(3);
    for (const key of keys) {
      const got = figures.get(key);
      expect({ key, contributors: got?.contributors ?? 0, uniqueVisitors: got?.uniqueVisitors ?? 0 }).toEqual({
        key,
        contributors: expected.get(`${key}|${PEOPLE_KINDS.contributor}`)?.size ?? 0,
        uniqueVisitors: expected.get(`${key}|${PEOPLE_KINDS.visitor}`)?.size ?? 0,
      });
      expect(got).toEqual(generic.get(key));
    }
    // The académie in all, from its own people rows, against the fold.
    const everyone = (kind: string): Set<string> =>
      new Set([...oracle.people].filter((p) => p.split('|')[1]! >= span.from && p.split('|')[1]! <= span.to && p.split('|')[2] === kind).map((p) => p.split('|')[3]!));
    const totals = (await reader.figures({ selection: ALL_SPACES, grouping: NO_GROUPING, span, now })).get('all')!;
    expect({ contributors: totals.contributors, uniqueVisitors: totals.uniqueVisitors }).toEqual({
      contributors: everyone(PEOPLE_KINDS.contributor).size,
      uniqueVisitors: everyone(PEOPLE_KINDS.visitor).size,
    });
    // Explain lists one event per person: as many as the figure counts.
    const explain = new ExplainReader(db, store);
    for (const field of ['contributors', 'uniqueVisitors'] as const) {
      const listed = await explain.explain(ALL_SPACES, field, span, now, 0, 1_000_000);
      expect({ field, listed: listed.items.length }).toEqual({ field, listed: totals[field] });
    }
    if (span.from.slice(0, 4) !== span.to.slice(0, 4)) {
      // Some people were active on both sides of New Year: counting them once is tested.
      const before = [...oracle.people].filter((p) => p.split('|')[1]! >= span.from && p.split('|')[1]! < `${span.to.slice(0, 4)}-01-01`).map((p) => p.split('|')[3]);
      const after = new Set([...oracle.people].filter((p) => p.split('|')[1]! >= `${span.to.slice(0, 4)}-01-01` && p.split('|')[1]! <= span.to).map((p) => p.split('|')[3]));
      expect(before.filter((userId) => after.has(userId)).length).toBeGreaterThan(0);
    }
  });

  it('rebuilds from position 0 into identical tables, while serving', async () => {
    const before = await digests(db);
    const result = await runner.rebuild(indicatorsProjection.name);
    expect(result.position).toBe(head);
    expect(await digests(db)).toEqual(before);
    digestsByBackend.set(label, before);
  }, 120_000);

  it('applied a batch at a time, writes the very tables it writes one event at a time', async () => {
    const batched = Object.fromEntries(INDICATOR_TABLES.map((table) => [table, `${table}_batched`])) as Record<(typeof INDICATOR_TABLES)[number], string>;
    await db.transaction((tx) => indicatorsProjection.createTables(tx, batched));
    // Batches of every size, from a single event to more than the chunks of the multi-row writes.
    const sizes = [1, 7, 300, 2, 640, 33, 1000, 5];
    let from = 0;
    for (let i = 0; ; i++) {
      const page = await store.readAll({ fromPosition: from, maxCount: sizes[i % sizes.length]! });
      if (page.length === 0) break;
      await db.transaction((tx) => indicatorsProjection.applyBatch(page, tx, batched));
      from = page[page.length - 1]!.position;
    }
    expect(await digests(db, batched)).toEqual(await digests(db));
    for (const table of INDICATOR_TABLES) await db.execute(`DROP TABLE ${batched[table]}`);
  }, 120_000);

  if (label === 'PostgreSQL') {
    it('gives the very tables SQLite gives for the same log', () => {
      expect(digestsByBackend.get('PostgreSQL')).toEqual(digestsByBackend.get('SQLite'));
    });
  }
});
