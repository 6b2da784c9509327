import type { DocumentEvent } from '#ruche/documents';
import type { RecordedEvent } from '#ruche/eventstore';
import type { TopicEvent } from '#ruche/forums';
import { clusteredByKey, REPLAY_FOLD_MAX_ROWS, type PhysicalTables, type Projection, type SqlExecutor } from '#ruche/projections';
import type { SpaceEvent } from '#ruche/spaces';
import { parisDay, startOfMonth } from '../calendar.js';
import { countedFactOf, isContribution, type CountedField } from '../counted-events.js';
import { departmentOfUai } from '../department.js';
import { isEstablishmentEvent } from '../establishment.js';
import { ANSWER_WINDOW_SECONDS } from '../figures.js';
import { applyIndicatorBatch, IndicatorFold } from './indicators-batch.projection.js';

export type IndicatorTable =
  | 'ind_spaces'
  | 'ind_space_days'
  | 'ind_space_months'
  | 'ind_people_days'
  | 'ind_people_years'
  | 'ind_people_groups'
  | 'ind_reply_months'
  | 'ind_topics'
  | 'ind_facts'
  | 'ind_competences'
  | 'ind_milestones';

export const INDICATOR_TABLES: readonly IndicatorTable[] = [
  'ind_spaces',
  'ind_space_days',
  'ind_space_months',
  'ind_people_days',
  'ind_people_years',
  'ind_people_groups',
  'ind_reply_months',
  'ind_topics',
  'ind_facts',
  'ind_competences',
  'ind_milestones',
];

export const INDICATORS_PROJECTION = 'indicators';

/**
 * A projection that can also apply a whole batch of events at once, with the very result of
 * applying them one by one (in the same transaction, so exactly once as well). Today's runner
 * applies events one by one; a runner that batches can call this instead.
 */
export interface BatchApplicable<Table extends string> {
  applyBatch(events: readonly RecordedEvent[], tx: SqlExecutor, physical: PhysicalTables<Table>): Promise<void>;
}

/** Column of ind_space_days for each counted field. */
export const COUNTER_COLUMNS: Readonly<Record<CountedField, string>> = {
  topics: 'topics',
  replies: 'replies',
  newMembers: 'new_members',
  documents: 'documents',
  revisions: 'revisions',
  faqPublished: 'faq_published',
  views: 'views',
};
const COUNTERS = Object.values(COUNTER_COLUMNS);

/** People rows: who contributed, and who consulted, in a space on a day (and in a month). */
export const PEOPLE_KINDS = { contributor: 'c', visitor: 'v' } as const;

/**
 * ind_people_groups: who was active in an establishment (its UAI, or NO_ESTABLISHMENT_KEY for
 * spaces without one) and in the whole académie, per calendar year, with the months as bits:
 * the académie's distinct people by establishment and in all are then counted rows, without
 * joining the spaces or removing duplicates across spaces at query time.
 */
export const PEOPLE_GROUPS = { establishment: 'establishment', academy: 'all' } as const;
export const NO_ESTABLISHMENT_KEY = 'none';
export const ACADEMY_KEY = 'all';

/**
 * The merge of a person's months into a row that has them already: a month already there writes
 * nothing. On PostgreSQL every update makes a new row version, and a replay re-recorded each
 * active person's month once per batch (ind_people_groups alone was 24 s of a 95 s replay).
 */
export function mergeMonths(table: string, key: string): string {
  return `ON CONFLICT (${key}) DO UPDATE SET months = ${table}.months | excluded.months WHERE (${table}.months | excluded.months) <> ${table}.months`;
}

/** The upsert of counts into ind_space_days: counters summed, the last contribution moved forward. */
export function addToDay(table: string): string {
  return `ON CONFLICT (space_id, day) DO UPDATE SET
       ${COUNTERS.map((c) => `${c} = ${table}.${c} + excluded.${c}`).join(', ')},
       answered_topics = ${table}.answered_topics + excluded.answered_topics,
       last_contribution_at = CASE
         WHEN excluded.last_contribution_at IS NULL THEN ${table}.last_contribution_at
         WHEN ${table}.last_contribution_at IS NULL OR excluded.last_contribution_at > ${table}.last_contribution_at
           THEN excluded.last_contribution_at
         ELSE ${table}.last_contribution_at END`;
}

/** ind_people_years keeps the months of a calendar year a person was active in as bits: January is 1, December 2048. */
export function monthBit(day: string): number {
  return 1 << (Number(day.slice(5, 7)) - 1);
}

const ANSWER_WINDOW_MS = ANSWER_WINDOW_SECONDS * 1000;

const categoryOf = (streamName: string): string => streamName.slice(0, streamName.indexOf('-'));

/**
 * The activity indicators ("vie du TRIBU"), all from the log, per space and Paris day:
 * - ind_spaces: every space (kind, visibility, UAI, département) for roll-ups and labels;
 * - ind_space_days: the counted events per space and day, moved by increments, plus the topics
 *   of that day answered by someone else within 48 h and the last contribution's time;
 *   ind_space_months: the same counts per month, so that a year is read in a few rows;
 * - ind_people_days / ind_people_years: who contributed or consulted where and when, one row
 *   per person and day, and per person and year with the months they were active in as bits,
 *   so that distinct counts over any span are exact and a year is read in one row per person;
 * - ind_people_groups: the same per establishment and for the académie (PEOPLE_GROUPS);
 * - ind_topics: each topic's opening and first reply from someone else (unanswered topics,
 *   time to first reply); ind_reply_months: those times per space and month of opening, as a
 *   list, so that a year's medians read a few rows per space;
 * - ind_facts: every counted event's position, space, day, field and person, for /explain,
 *   which reads the events themselves from the log by position;
 * - ind_competences: fiches per PIX competence and space; ind_milestones: the PIX deployment.
 * apply uses nothing but the event: its own `at` fixes its day (Europe/Paris).
 */
export const indicatorsProjection: Projection<IndicatorTable> & BatchApplicable<IndicatorTable> = {
  name: INDICATORS_PROJECTION,
  // 6: ind_people_groups' covering index (query indexes come with a rebuild). 7: on SQLite, the
  // days, months and people tables WITHOUT ROWID, ind_facts keyed by its rowid. 8: ind_facts
  // without the events' type, stream and times (explain reads them from the log). 9: on SQLite,
  // ind_facts WITHOUT ROWID keyed as explain reads it (space, field, day, position).
  version: 9,
  // Seconds to replay a school year (see Projection.replayWeight).
  replayWeight: { sqlite: 25, postgres: 79 },
  tables: INDICATOR_TABLES,

  async createTables(db: SqlExecutor, t: PhysicalTables<IndicatorTable>): Promise<void> {
    await db.execute(
      `CREATE TABLE IF NOT EXISTS ${t.ind_spaces} (
         space_id TEXT PRIMARY KEY,
         name TEXT NOT NULL,
         kind TEXT NOT NULL,
         visibility TEXT NOT NULL,
         uai TEXT,
         department TEXT,
         created_at TEXT NOT NULL,
         created_day TEXT NOT NULL,
         created_position BIGINT NOT NULL
       )`,
    );
    await db.execute(
      `CREATE TABLE IF NOT EXISTS ${t.ind_space_days} (
         space_id TEXT NOT NULL,
         day TEXT NOT NULL,
         ${COUNTERS.map((c) => `${c} INTEGER NOT NULL`).join(',\n         ')},
         answered_topics INTEGER NOT NULL,
         last_contribution_at TEXT,
         PRIMARY KEY (space_id, day)
       )${clusteredByKey(db)}`,
    );
    await db.execute(
      `CREATE TABLE IF NOT EXISTS ${t.ind_space_months} (
         space_id TEXT NOT NULL,
         month TEXT NOT NULL,
         ${COUNTERS.map((c) => `${c} INTEGER NOT NULL`).join(',\n         ')},
         answered_topics INTEGER NOT NULL,
         PRIMARY KEY (space_id, month)
       )${clusteredByKey(db)}`,
    );
    await db.execute(
      `CREATE TABLE IF NOT EXISTS ${t.ind_people_days} (
         space_id TEXT NOT NULL,
         day TEXT NOT NULL,
         kind TEXT NOT NULL,
         user_id TEXT NOT NULL,
         PRIMARY KEY (space_id, day, kind, user_id)
       )${clusteredByKey(db)}`,
    );
    await db.execute(
      `CREATE TABLE IF NOT EXISTS ${t.ind_people_years} (
         space_id TEXT NOT NULL,
         year INTEGER NOT NULL,
         kind TEXT NOT NULL,
         user_id TEXT NOT NULL,
         months INTEGER NOT NULL,
         PRIMARY KEY (space_id, year, kind, user_id)
       )${clusteredByKey(db)}`,
    );
    await db.execute(
      `CREATE TABLE IF NOT EXISTS ${t.ind_people_groups} (
         dimension TEXT NOT NULL,
         group_key TEXT NOT NULL,
         year INTEGER NOT NULL,
         kind TEXT NOT NULL,
         user_id TEXT NOT NULL,
         months INTEGER NOT NULL,
         PRIMARY KEY (dimension, group_key, year, kind, user_id)
       )${clusteredByKey(db)}`,
    );
    await db.execute(
      `CREATE TABLE IF NOT EXISTS ${t.ind_topics} (
         topic_id TEXT PRIMARY KEY,
         space_id TEXT NOT NULL,
         author_id TEXT NOT NULL,
         opened_at TEXT NOT NULL,
         opened_ms BIGINT NOT NULL,
         opened_day TEXT NOT NULL,
         opened_position BIGINT NOT NULL,
         first_reply_at TEXT,
         first_reply_position BIGINT,
         first_reply_ms BIGINT,
         answered_in_window INTEGER NOT NULL
       )`,
    );
    await db.execute(
      `CREATE TABLE IF NOT EXISTS ${t.ind_reply_months} (
         space_id TEXT NOT NULL,
         month TEXT NOT NULL,
         delays TEXT NOT NULL,
         PRIMARY KEY (space_id, month)
       )`,
    );
    await db.execute(
      // On SQLite, the rows in the B-tree of the key explain reads them by, with nothing else: a
      // rowid table kept them twice, in its own B-tree and in the query index (a school year's
      // 1.65 M facts: 3 s to index after a replay, then both copied in). A replay's fold writes
      // them in key order once it is done (IndicatorFold). PostgreSQL's tables are heaps with
      // their indexes beside them either way: keyed by position, indexed for explain.
      db.dialect === 'sqlite'
        ? `CREATE TABLE IF NOT EXISTS ${t.ind_facts} (
             space_id TEXT NOT NULL,
             field TEXT NOT NULL,
             day TEXT NOT NULL,
             position INTEGER NOT NULL,
             user_id TEXT NOT NULL,
             PRIMARY KEY (space_id, field, day, position)
           ) WITHOUT ROWID`
        : `CREATE TABLE IF NOT EXISTS ${t.ind_facts} (
             position BIGINT PRIMARY KEY,
             space_id TEXT NOT NULL,
             day TEXT NOT NULL,
             field TEXT NOT NULL,
             user_id TEXT NOT NULL
           )`,
    );
    await db.execute(
      `CREATE TABLE IF NOT EXISTS ${t.ind_competences} (
         space_id TEXT NOT NULL,
         code TEXT NOT NULL,
         documents INTEGER NOT NULL,
         PRIMARY KEY (space_id, code)
       )`,
    );
    await db.execute(
      `CREATE TABLE IF NOT EXISTS ${t.ind_milestones} (
         uai TEXT NOT NULL,
         milestone TEXT NOT NULL,
         date TEXT NOT NULL,
         at TEXT NOT NULL,
         position BIGINT NOT NULL,
         PRIMARY KEY (uai, milestone)
       )`,
    );
  },
  /** Indexes only queries read through (see Projection.createQueryIndexes). */
  async createQueryIndexes(db: SqlExecutor, t: PhysicalTables<IndicatorTable>): Promise<void> {
    await db.execute(`CREATE INDEX IF NOT EXISTS ${t.ind_spaces}_by_uai ON ${t.ind_spaces} (uai)`);
    await db.execute(`CREATE INDEX IF NOT EXISTS ${t.ind_space_days}_by_day ON ${t.ind_space_days} (day, space_id)`);
    await db.execute(`CREATE INDEX IF NOT EXISTS ${t.ind_people_days}_by_day ON ${t.ind_people_days} (day)`);
    // Covering, in (kind, user_id) order: the académie's distinct people over a span are counted
    // from it without a sort (8.6 -> 1.7 ms over the 21,524 person-years of 200 establishments).
    await db.execute(`CREATE INDEX IF NOT EXISTS ${t.ind_people_years}_by_person ON ${t.ind_people_years} (kind, user_id, year, months)`);
    // Covering, in (group, kind, person) order: the académie's distinct people by establishment
    // or in all are counted from it, once per person across calendar years (11 -> 3 ms).
    await db.execute(
      `CREATE INDEX IF NOT EXISTS ${t.ind_people_groups}_by_group ON ${t.ind_people_groups} (dimension, group_key, kind, user_id, year, months)`,
    );
    await db.execute(`CREATE INDEX IF NOT EXISTS ${t.ind_topics}_by_space_day ON ${t.ind_topics} (space_id, opened_day)`);
    await db.execute(`CREATE INDEX IF NOT EXISTS ${t.ind_topics}_by_day ON ${t.ind_topics} (opened_day)`);
    // SQLite's ind_facts is keyed so.
    if (db.dialect !== 'sqlite') await db.execute(`CREATE INDEX IF NOT EXISTS ${t.ind_facts}_by_space ON ${t.ind_facts} (space_id, field, day, position)`);
  },

  applyBatch(events: readonly RecordedEvent[], tx: SqlExecutor, t: PhysicalTables<IndicatorTable>): Promise<void> {
    return applyIndicatorBatch(events, tx, t, applyDirectoryEvent);
  },
  /** A rebuild's replay: counters, people and topics of the whole log summed in memory, written once. */
  // A replay from 0 writes into empty shadow tables.
  replayFold: (maxRows = REPLAY_FOLD_MAX_ROWS) => new IndicatorFold(applyDirectoryEvent, maxRows, true),

  async apply(recorded: RecordedEvent, tx: SqlExecutor, t: PhysicalTables<IndicatorTable>): Promise<void> {
    const category = categoryOf(recorded.streamName);
    if (category === 'space' || category === 'establishment') await applyDirectoryEvent(recorded, tx, t);
    if (category === 'document') await applyCompetences(recorded as unknown as RecordedEvent & DocumentEvent, tx, t);
    const fact = countedFactOf(recorded);
    if (!fact) return;
    const day = parisDay(fact.at);
    const counts: Partial<Record<CountedField | 'answered', number>> = { [fact.field]: 1 };
    const contribution = isContribution(fact.field);

    if (recorded.type === 'TopicOpened') {
      const e = recorded as unknown as TopicEvent & { type: 'TopicOpened' };
      await tx.execute(
        `INSERT INTO ${t.ind_topics} (topic_id, space_id, author_id, opened_at, opened_ms, opened_day, opened_position,
           first_reply_at, first_reply_position, first_reply_ms, answered_in_window)
         VALUES ($1, $2, $3, $4, $5, $6, $7, NULL, NULL, NULL, 0)
         ON CONFLICT (topic_id) DO NOTHING`,
        [e.data.topicId, e.data.spaceId, e.data.by, e.data.at, Date.parse(e.data.at), day, recorded.position],
      );
    } else if (recorded.type === 'ReplyPosted') {
      const e = recorded as unknown as TopicEvent & { type: 'ReplyPosted' };
      // The topic's first reply from someone else than its author: at most one row changes.
      const [answered] = await tx.query<{ opened_day: string; answered_in_window: number; first_reply_ms: number }>(
        `UPDATE ${t.ind_topics}
            SET first_reply_at = $2, first_reply_position = $3, first_reply_ms = $4 - opened_ms,
                answered_in_window = CASE WHEN $4 - opened_ms <= $5 THEN 1 ELSE 0 END
          WHERE topic_id = $1 AND first_reply_at IS NULL AND author_id <> $6
          RETURNING opened_day, answered_in_window, first_reply_ms`,
        [e.data.topicId, e.data.at, recorded.position, Date.parse(e.data.at), ANSWER_WINDOW_MS, e.data.by],
      );
      if (answered) await appendReplyDelays(tx, t, fact.spaceId, startOfMonth(answered.opened_day), [Number(answered.first_reply_ms)]);
      if (answered && Number(answered.answered_in_window) === 1) {
        // Counted on the day the topic was opened, with the reply when it is the same day.
        if (answered.opened_day === day) counts.answered = 1;
        else await upsertDay(tx, t, fact.spaceId, answered.opened_day, { answered: 1 }, null);
      }
    }

    await upsertDay(tx, t, fact.spaceId, day, counts, contribution ? fact.at : null);
    await tx.execute(
      `INSERT INTO ${t.ind_facts} (position, space_id, day, field, user_id)
       VALUES ($1, $2, $3, $4, $5)`,
      [recorded.position, fact.spaceId, day, fact.field, fact.userId],
    );
    if (contribution || fact.field === 'views') {
      const kind = contribution ? PEOPLE_KINDS.contributor : PEOPLE_KINDS.visitor;
      const added = await tx.execute(
        `INSERT INTO ${t.ind_people_days} (space_id, day, kind, user_id) VALUES ($1, $2, $3, $4)
         ON CONFLICT (space_id, day, kind, user_id) DO NOTHING`,
        [fact.spaceId, day, kind, fact.userId],
      );
      // Already there today means already counted in this month.
      if (added.rowCount > 0) {
        const table = t.ind_people_years;
        await tx.execute(
          `INSERT INTO ${table} (space_id, year, kind, user_id, months) VALUES ($1, $2, $3, $4, $5)
           ${mergeMonths(table, 'space_id, year, kind, user_id')}`,
          [fact.spaceId, Number(day.slice(0, 4)), kind, fact.userId, monthBit(day)],
        );
        await upsertPeopleGroups(tx, t, fact.spaceId, Number(day.slice(0, 4)), kind, fact.userId, monthBit(day));
      }
    }
  },
};

/** Records a person's month in the académie and in the establishment of `spaceId` (ind_people_groups). */
async function upsertPeopleGroups(
  tx: SqlExecutor,
  t: PhysicalTables<IndicatorTable>,
  spaceId: string,
  year: number,
  kind: string,
  userId: string,
  bit: number,
): Promise<void> {
  const table = t.ind_people_groups;
  const merge = mergeMonths(table, 'dimension, group_key, year, kind, user_id');
  await tx.execute(
    `INSERT INTO ${table} (dimension, group_key, year, kind, user_id, months) VALUES ($1, $2, $3, $4, $5, $6) ${merge}`,
    [PEOPLE_GROUPS.academy, ACADEMY_KEY, year, kind, userId, bit],
  );
  // A space not in the directory belongs to no establishment group (as the joins of the queries have it).
  await tx.execute(
    `INSERT INTO ${table} (dimension, group_key, year, kind, user_id, months)
     SELECT $1, COALESCE(s.uai, $2), $3, $4, $5, $6 FROM ${t.ind_spaces} s WHERE s.space_id = $7 ${merge}`,
    [PEOPLE_GROUPS.establishment, NO_ESTABLISHMENT_KEY, year, kind, userId, bit, spaceId],
  );
}

/** Adds first-reply times (ms, as text) to the list of the topics a space opened in `month`. */
export async function appendReplyDelays(
  tx: SqlExecutor,
  t: PhysicalTables<IndicatorTable>,
  spaceId: string,
  month: string,
  delays: readonly number[],
): Promise<void> {
  const table = t.ind_reply_months;
  await tx.execute(
    `INSERT INTO ${table} (space_id, month, delays) VALUES ($1, $2, $3)
     ON CONFLICT (space_id, month) DO UPDATE SET delays = ${table}.delays || ',' || excluded.delays`,
    [spaceId, month, delays.join(',')],
  );
}

/** Adds `counts` to a space's day (creating it), and moves its last contribution forward. */
async function upsertDay(
  tx: SqlExecutor,
  t: PhysicalTables<IndicatorTable>,
  spaceId: string,
  day: string,
  counts: Partial<Record<CountedField | 'answered', number>>,
  contributionAt: string | null,
): Promise<void> {
  const table = t.ind_space_days;
  const values = (Object.keys(COUNTER_COLUMNS) as CountedField[]).map((field) => counts[field] ?? 0);
  await tx.execute(
    `INSERT INTO ${table} (space_id, day, ${COUNTERS.join(', ')}, answered_topics, last_contribution_at)
     VALUES ($1, $2, ${COUNTERS.map((_, i) => `$${i + 3}`).join(', ')}, $${COUNTERS.length + 3}, $${COUNTERS.length + 4})
     ${addToDay(table)}`,
    [spaceId, day, ...values, counts.answered ?? 0, contributionAt],
  );
  const months = t.ind_space_months;
  await tx.execute(
    `INSERT INTO ${months} (space_id, month, ${COUNTERS.join(', ')}, answered_topics)
     VALUES ($1, $2, ${COUNTERS.map((_, i) => `$${i + 3}`).join(', ')}, $${COUNTERS.length + 3})
     ON CONFLICT (space_id, month) DO UPDATE SET
       ${COUNTERS.map((c) => `${c} = ${months}.${c} + excluded.${c}`).join(', ')},
       answered_topics = ${months}.answered_topics + excluded.answered_topics`,
    [spaceId, startOfMonth(day), ...values, counts.answered ?? 0],
  );
}

/** The events written one by one on both paths: the space directory and the milestones. */
async function applyDirectoryEvent(recorded: RecordedEvent, tx: SqlExecutor, t: PhysicalTables<IndicatorTable>): Promise<void> {
  if (categoryOf(recorded.streamName) === 'establishment') {
    if (!isEstablishmentEvent(recorded)) return;
    const d = recorded.data;
    await tx.execute(
      `INSERT INTO ${t.ind_milestones} (uai, milestone, date, at, position) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (uai, milestone) DO NOTHING`,
      [d.uai, d.milestone, d.date, d.at, recorded.position],
    );
    return;
  }
  const event = recorded as unknown as RecordedEvent & SpaceEvent;
  switch (event.type) {
    case 'SpaceCreated': {
      const d = event.data;
      await tx.execute(
        `INSERT INTO ${t.ind_spaces} (space_id, name, kind, visibility, uai, department, created_at, created_day, created_position)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
         ON CONFLICT (space_id) DO NOTHING`,
        [d.spaceId, d.name, d.kind, d.visibility, d.uai ?? null, d.uai ? (departmentOfUai(d.uai) ?? null) : null, d.at, parisDay(d.at), event.position],
      );
      return;
    }
    case 'SpaceRenamed':
      await tx.execute(`UPDATE ${t.ind_spaces} SET name = $2 WHERE space_id = $1`, [event.data.spaceId, event.data.name]);
      return;
    case 'SpaceVisibilityChanged':
      await tx.execute(`UPDATE ${t.ind_spaces} SET visibility = $2 WHERE space_id = $1`, [event.data.spaceId, event.data.visibility]);
      return;
    default:
      return;
  }
}

async function applyCompetences(event: RecordedEvent & DocumentEvent, tx: SqlExecutor, t: PhysicalTables<IndicatorTable>): Promise<void> {
  const moves = new Map<string, number>();
  if (event.type === 'DocumentCreated') {
    for (const code of event.data.competences) moves.set(code, 1);
  } else if (event.type === 'DocumentCompetencesChanged') {
    for (const code of event.data.previousCompetences) moves.set(code, -1);
    for (const code of event.data.competences) moves.set(code, (moves.get(code) ?? 0) + 1);
  } else {
    return;
  }
  const changed = [...moves].filter(([, delta]) => delta !== 0);
  if (changed.length === 0) return;
  const table = t.ind_competences;
  const params: (string | number)[] = [event.data.spaceId];
  const rows = changed.map(([code, delta]) => {
    params.push(code, delta);
    return `($1, $${params.length - 1}, $${params.length})`;
  });
  await tx.execute(
    `INSERT INTO ${table} (space_id, code, documents) VALUES ${rows.join(', ')}
     ON CONFLICT (space_id, code) DO UPDATE SET documents = ${table}.documents + excluded.documents`,
    params,
  );
}
