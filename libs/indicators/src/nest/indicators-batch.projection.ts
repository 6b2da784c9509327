import type { DocumentEvent } from '#ruche/documents';
import type { RecordedEvent } from '#ruche/eventstore';
import { chunks, inKeyOrder, insertReturning, insertRows, type PhysicalTables, type ReplayFold, type SqlExecutor, type SqlValue } from '#ruche/projections';
import { parisDay, startOfMonth } from '../calendar.js';
import { countedFactOf, isContribution, type CountedField } from '../counted-events.js';
import { ANSWER_WINDOW_SECONDS } from '../figures.js';
import { ACADEMY_KEY, addToDay, mergeMonths, monthBit, NO_ESTABLISHMENT_KEY, PEOPLE_GROUPS, type IndicatorTable } from './indicators.projection.js';

/*
 * The indicators projection applied a batch at a time: the same tables as one event at a time
 * (a test holds them equal), written with a few multi-row statements per batch instead of
 * three or four statements per event. Counters are summed in memory for the batch and added by
 * upserts, people and facts inserted by the hundred, topics read once for the batch's replies.
 * Exact once as the per-event path is: everything happens in the caller's transaction, which
 * also moves the checkpoint. Nothing here reads a clock.
 */

const ANSWER_WINDOW_MS = ANSWER_WINDOW_SECONDS * 1000;
const categoryOf = (streamName: string): string => streamName.slice(0, streamName.indexOf('-'));

interface DayCounts {
  spaceId: string;
  day: string;
  counts: Record<CountedField | 'answered', number>;
  lastContributionAt: string | null;
  /**
   * Who was active in the space that day, by kind (`c` contributors, `v` visitors): found with
   * the day's counters, by the same lookup.
   */
  people?: Map<string, Set<string>>;
  /** The keys of the facts held for this space and day, by field (see HeldFacts). */
  factKeys?: Partial<Record<CountedField, FactKey>>;
}

interface TopicRow {
  topicId: string;
  spaceId: string;
  authorId: string;
  openedAt: string;
  openedMs: number;
  openedDay: string;
  openedPosition: number;
  firstReplyAt: string | null;
  firstReplyPosition: number | null;
  firstReplyMs: number | null;
  answered: 0 | 1;
}

const COUNTER_FIELDS: readonly CountedField[] = ['topics', 'replies', 'newMembers', 'documents', 'revisions', 'faqPublished', 'views'];
const COUNTER_COLUMNS = ['topics', 'replies', 'new_members', 'documents', 'revisions', 'faq_published', 'views'];

type ApplyDirectory = (event: RecordedEvent, tx: SqlExecutor, t: PhysicalTables<IndicatorTable>) => Promise<void>;

const emptyCounts = (): DayCounts['counts'] => ({ topics: 0, replies: 0, newMembers: 0, documents: 0, revisions: 0, faqPublished: 0, views: 0, answered: 0 });

/**
 * Applies `events` (in position order) to the indicator tables. `applyOne` handles the rare
 * events that are not aggregated (the space directory, milestones), in their order.
 */
export async function applyIndicatorBatch(
  events: readonly RecordedEvent[],
  tx: SqlExecutor,
  t: PhysicalTables<IndicatorTable>,
  applyDirectory: ApplyDirectory,
): Promise<void> {
  const fold = new IndicatorFold(applyDirectory);
  await fold.applyBatch(events, tx, t);
  await fold.finish(tx, t);
}

/** The (space, field, day) of held facts: one object each, found through the day's counters. */
interface FactKey {
  spaceId: string;
  field: CountedField;
  day: string;
  rank: number;
}

/**
 * Facts a fold holds until its finish on SQLite, where ind_facts is keyed (space, field, day,
 * position): written then in key order, each row lands beside the one before, where rows in log
 * order land all over the B-tree. Held compactly (a school year: 1.65 M facts): positions in a
 * typed array, keys and people as references to objects and strings the fold holds anyway.
 */
class HeldFacts {
  private positions = new Float64Array(4096);
  private readonly keyOf: FactKey[] = [];
  private readonly userOf: string[] = [];
  private readonly keys: FactKey[] = [];

  get size(): number {
    return this.keyOf.length;
  }

  key(spaceId: string, field: CountedField, day: string): FactKey {
    const key = { spaceId, field, day, rank: 0 };
    this.keys.push(key);
    return key;
  }

  add(position: number, key: FactKey, userId: string): void {
    const at = this.keyOf.length;
    if (at === this.positions.length) {
      const grown = new Float64Array(at * 2);
      grown.set(this.positions);
      this.positions = grown;
    }
    this.positions[at] = position;
    this.keyOf.push(key);
    this.userOf.push(userId);
  }

  /**
   * The facts as ind_facts rows in key order, by slices of `slice` rows: the keys are sorted,
   * then the facts counted out into them, in the order they came (by position) within each key.
   */
  *rowsInKeyOrder(slice: number): Generator<SqlValue[][]> {
    const { keys, keyOf, userOf, positions, size } = this;
    keys.sort((x, y) => inKeyOrder(x.spaceId, y.spaceId) || inKeyOrder(x.field, y.field) || inKeyOrder(x.day, y.day));
    keys.forEach((key, rank) => (key.rank = rank));
    // Where each key's facts start, then each fact's place.
    const start = new Uint32Array(keys.length + 1);
    for (let i = 0; i < size; i++) start[keyOf[i]!.rank + 1]!++;
    for (let k = 0; k < keys.length; k++) start[k + 1]! += start[k]!;
    const order = new Uint32Array(size);
    for (let i = 0; i < size; i++) order[start[keyOf[i]!.rank]!++] = i;
    for (let from = 0; from < size; from += slice) {
      const rows: SqlValue[][] = [];
      for (let j = from; j < Math.min(size, from + slice); j++) {
        const i = order[j]!;
        const key = keyOf[i]!;
        rows.push([key.spaceId, key.field, key.day, positions[i]!, userOf[i]!]);
      }
      yield rows;
    }
  }

  clear(): void {
    this.keyOf.length = 0;
    this.userOf.length = 0;
    this.keys.length = 0;
  }
}

/**
 * The indicators of one or more batches: the directory, milestones and facts are written as they
 * come (written once anyway), the rest — counters by day and month, people, topics, reply
 * delays, competences — summed in memory and written by `finish`: one batch's (applyBatch), or a
 * whole replay's (Projection.replayFold), whose counters and people are then written once each
 * and never read back. It writes early when it holds more than `maxHeld` rows.
 */
export class IndicatorFold implements ReplayFold<IndicatorTable> {
  /**
   * The counters by `${spaceId}|${day}`, with the day's people (DayCounts.people), each person's
   * id kept once (`ids`): a replay's fold holds ~900,000 of them for a school year, and the
   * garbage collector walks every object it holds. Person-years are derived from the people
   * days by `finish`, not kept per event.
   */
  private readonly days = new Map<string, DayCounts>();
  private readonly ids = new Map<string, string>();
  private heldPeople = 0;
  private readonly competences = new Map<string, { spaceId: string; code: string; delta: number }>();
  /** The topics the batches opened or answered, as they are now. */
  private readonly topics = new Map<string, TopicRow & { dirty: boolean }>();
  /** First-reply times by space and month of opening, in the order the replies came. */
  private readonly delays = new Map<string, { spaceId: string; month: string; list: number[] }>();
  /** Facts held until `finish` (SQLite only, see HeldFacts); on PostgreSQL each batch writes its own. */
  private readonly heldFacts = new HeldFacts();

  /**
   * @param fresh the tables `finish` writes are empty (a replay from 0 into new shadow tables):
   *   its first finish inserts every row as it is, without the upserts that add to a row already
   *   there (on PostgreSQL, plain inserts go through COPY: 2.5x faster than the upserts' unnest).
   */
  constructor(
    private readonly applyDirectory: ApplyDirectory,
    private readonly maxHeld = Number.POSITIVE_INFINITY,
    private fresh = false,
  ) {}

  private held(): number {
    // A held fact takes about a tenth of the memory of another held row.
    return this.days.size + this.heldPeople + this.topics.size + this.delays.size + this.competences.size + Math.ceil(this.heldFacts.size / 10);
  }

  private dayOf(spaceId: string, day: string): DayCounts {
    const key = `${spaceId}|${day}`;
    let row = this.days.get(key);
    if (!row) {
      row = { spaceId, day, counts: emptyCounts(), lastContributionAt: null };
      this.days.set(key, row);
    }
    return row;
  }

  async applyBatch(events: readonly RecordedEvent[], tx: SqlExecutor, t: PhysicalTables<IndicatorTable>): Promise<void> {
    const { competences, topics } = this;
    const facts: SqlValue[][] = [];
    const holdFacts = tx.dialect === 'sqlite';
    const replies: { topicId: string; by: string; at: string; ms: number; position: number }[] = [];

    for (const event of events) {
      const category = categoryOf(event.streamName);
      if (category === 'space' || category === 'establishment') {
        await this.applyDirectory(event, tx, t);
      } else if (category === 'document' && (event.type === 'DocumentCreated' || event.type === 'DocumentCompetencesChanged')) {
        const e = event as unknown as DocumentEvent & { type: 'DocumentCreated' | 'DocumentCompetencesChanged' };
        // This event's own moves first: a code kept by a re-tag moves by 0 and writes nothing,
        // while a code moved by some event is written even when the batch's moves add up to 0.
        const moves = new Map<string, number>();
        if (e.type === 'DocumentCompetencesChanged') for (const code of e.data.previousCompetences) moves.set(code, -1);
        for (const code of e.data.competences) moves.set(code, (moves.get(code) ?? 0) + 1);
        for (const [code, delta] of moves) {
          if (delta === 0) continue;
          const key = `${e.data.spaceId}|${code}`;
          const entry = competences.get(key) ?? { spaceId: e.data.spaceId, code, delta: 0 };
          entry.delta += delta;
          competences.set(key, entry);
        }
      }
      const fact = countedFactOf(event);
      if (!fact) continue;
      const day = parisDay(fact.at);
      const row = this.dayOf(fact.spaceId, day);
      row.counts[fact.field] += 1;
      const contribution = isContribution(fact.field);
      if (contribution && (row.lastContributionAt === null || fact.at > row.lastContributionAt)) row.lastContributionAt = fact.at;
      // Each person's id kept once: a replay's fold holds it for each of their days and facts.
      let userId = this.ids.get(fact.userId);
      if (userId === undefined) this.ids.set(fact.userId, (userId = fact.userId));
      if (holdFacts) {
        const keys = (row.factKeys ??= {});
        this.heldFacts.add(event.position, (keys[fact.field] ??= this.heldFacts.key(fact.spaceId, fact.field, day)), userId);
      } else facts.push([event.position, fact.spaceId, day, fact.field, userId]);
      if (contribution || fact.field === 'views') {
        const kind = contribution ? 'c' : 'v';
        const byKind = (row.people ??= new Map());
        let users = byKind.get(kind);
        if (!users) byKind.set(kind, (users = new Set()));
        if (!users.has(userId)) {
          users.add(userId);
          this.heldPeople++;
        }
      }
      const data = event.data as { topicId: string; by: string; at: string };
      if (event.type === 'TopicOpened' && !topics.has(data.topicId)) {
        topics.set(data.topicId, {
          topicId: data.topicId,
          spaceId: fact.spaceId,
          authorId: data.by,
          openedAt: data.at,
          openedMs: Date.parse(data.at),
          openedDay: day,
          openedPosition: event.position,
          firstReplyAt: null,
          firstReplyPosition: null,
          firstReplyMs: null,
          answered: 0,
          dirty: true,
        });
      } else if (event.type === 'ReplyPosted') {
        replies.push({ topicId: data.topicId, by: data.by, at: data.at, ms: Date.parse(data.at), position: event.position });
      }
    }
    if (facts.length > 0) await insertRows(tx, `INSERT INTO ${t.ind_facts} (position, space_id, day, field, user_id)`, 5, facts, '');

    // The topics answered in this batch but opened before it (and written since): read once.
    const missing = [...new Set(replies.map((r) => r.topicId))].filter((id) => !topics.has(id));
    for (const chunk of chunks(missing, 1)) {
      const rows = await tx.query<Record<string, string | number | null>>(
        `SELECT topic_id, space_id, author_id, opened_at, opened_ms, opened_day, opened_position, first_reply_at, first_reply_position,
                first_reply_ms, answered_in_window
           FROM ${t.ind_topics} WHERE topic_id IN (${chunk.map((_, i) => `$${i + 1}`).join(', ')})`,
        [...chunk],
      );
      for (const row of rows) {
        topics.set(String(row.topic_id), {
          topicId: String(row.topic_id),
          spaceId: String(row.space_id),
          authorId: String(row.author_id),
          openedAt: String(row.opened_at),
          openedMs: Number(row.opened_ms),
          openedDay: String(row.opened_day),
          openedPosition: Number(row.opened_position),
          firstReplyAt: row.first_reply_at === null ? null : String(row.first_reply_at),
          firstReplyPosition: row.first_reply_position === null ? null : Number(row.first_reply_position),
          firstReplyMs: row.first_reply_ms === null ? null : Number(row.first_reply_ms),
          answered: Number(row.answered_in_window) === 1 ? 1 : 0,
          dirty: false,
        });
      }
    }
    for (const reply of replies) {
      const topic = topics.get(reply.topicId);
      if (!topic || topic.firstReplyAt !== null || topic.authorId === reply.by) continue;
      topic.firstReplyAt = reply.at;
      topic.firstReplyPosition = reply.position;
      topic.firstReplyMs = reply.ms - topic.openedMs;
      topic.answered = topic.firstReplyMs <= ANSWER_WINDOW_MS ? 1 : 0;
      topic.dirty = true;
      const month = startOfMonth(topic.openedDay);
      const key = `${topic.spaceId}|${month}`;
      const entry = this.delays.get(key) ?? { spaceId: topic.spaceId, month, list: [] };
      entry.list.push(topic.firstReplyMs);
      this.delays.set(key, entry);
      if (topic.answered === 1) this.dayOf(topic.spaceId, topic.openedDay).counts.answered += 1;
    }
    if (this.held() > this.maxHeld) await this.finish(tx, t);
  }

  /** Writes what it holds and forgets it: later batches read the topics they answer back. */
  async finish(tx: SqlExecutor, t: PhysicalTables<IndicatorTable>): Promise<void> {
    const { competences, days, delays, topics } = this;
    // Into empty tables, every row is new: no upsert (see `fresh`).
    const fresh = this.fresh;
    this.fresh = false;
    const upsert = (tail: string): string => (fresh ? '' : tail);
    const dirty = [...topics.values()].filter((topic) => topic.dirty);
    const replyTable = t.ind_reply_months;
    await insertRows(
      tx,
      `INSERT INTO ${replyTable} (space_id, month, delays)`,
      3,
      [...delays.values()].map((entry) => [entry.spaceId, entry.month, entry.list.join(',')]),
      upsert(`ON CONFLICT (space_id, month) DO UPDATE SET delays = ${replyTable}.delays || ',' || excluded.delays`),
    );
    await insertRows(
      tx,
      `INSERT INTO ${t.ind_topics} (topic_id, space_id, author_id, opened_at, opened_ms, opened_day, opened_position,
         first_reply_at, first_reply_position, first_reply_ms, answered_in_window)`,
      11,
      dirty.map((topic) => [
        topic.topicId,
        topic.spaceId,
        topic.authorId,
        topic.openedAt,
        topic.openedMs,
        topic.openedDay,
        topic.openedPosition,
        topic.firstReplyAt,
        topic.firstReplyPosition,
        topic.firstReplyMs,
        topic.answered,
      ]),
      upsert(`ON CONFLICT (topic_id) DO UPDATE SET first_reply_at = excluded.first_reply_at, first_reply_position = excluded.first_reply_position,
         first_reply_ms = excluded.first_reply_ms, answered_in_window = excluded.answered_in_window`),
    );

    const table = t.ind_space_days;
    await insertRows(
      tx,
      `INSERT INTO ${table} (space_id, day, ${COUNTER_COLUMNS.join(', ')}, answered_topics, last_contribution_at)`,
      COUNTER_COLUMNS.length + 4,
      [...days.values()].map((row) => [row.spaceId, row.day, ...COUNTER_FIELDS.map((f) => row.counts[f]), row.counts.answered, row.lastContributionAt]),
      upsert(addToDay(table)),
    );
    const months = new Map<string, DayCounts>();
    for (const row of days.values()) {
      const month = startOfMonth(row.day);
      const key = `${row.spaceId}|${month}`;
      const total = months.get(key) ?? { spaceId: row.spaceId, day: month, counts: emptyCounts(), lastContributionAt: null };
      for (const field of [...COUNTER_FIELDS, 'answered'] as const) total.counts[field] += row.counts[field];
      months.set(key, total);
    }
    const monthTable = t.ind_space_months;
    await insertRows(
      tx,
      `INSERT INTO ${monthTable} (space_id, month, ${COUNTER_COLUMNS.join(', ')}, answered_topics)`,
      COUNTER_COLUMNS.length + 3,
      [...months.values()].map((row) => [row.spaceId, row.day, ...COUNTER_FIELDS.map((f) => row.counts[f]), row.counts.answered]),
      upsert(`ON CONFLICT (space_id, month) DO UPDATE SET
         ${COUNTER_COLUMNS.map((c) => `${c} = ${monthTable}.${c} + excluded.${c}`).join(', ')},
         answered_topics = ${monthTable}.answered_topics + excluded.answered_topics`),
    );
    const peopleDays = [...days.values()].flatMap(({ spaceId, day, people }) =>
      people ? [...people].map(([kind, users]) => ({ spaceId, day, kind, users })) : [],
    );
    await insertRows(
      tx,
      `INSERT INTO ${t.ind_people_days} (space_id, day, kind, user_id)`,
      4,
      // In key order: each row lands beside the one before in the table's key B-tree.
      peopleDays
        .sort((a, b) => inKeyOrder(a.spaceId, b.spaceId) || inKeyOrder(a.day, b.day) || inKeyOrder(a.kind, b.kind))
        .flatMap(({ spaceId, day, kind, users }) => [...users].sort(inKeyOrder).map((userId) => [spaceId, day, kind, userId])),
      upsert('ON CONFLICT (space_id, day, kind, user_id) DO NOTHING'),
    );
    // Each person's months of a year in a space: the months of the days they were active there.
    const peopleYears = new Map<string, { spaceId: string; year: number; kind: string; months: Map<string, number> }>();
    for (const { spaceId, day, kind, users } of peopleDays) {
      const year = Number(day.slice(0, 4));
      const key = `${spaceId}|${year}|${kind}`;
      let group = peopleYears.get(key);
      if (!group) peopleYears.set(key, (group = { spaceId, year, kind, months: new Map() }));
      const bit = monthBit(day);
      for (const userId of users) group.months.set(userId, (group.months.get(userId) ?? 0) | bit);
    }
    const personYears = [...peopleYears.values()].flatMap(({ spaceId, year, kind, months }) =>
      [...months].map(([userId, bits]) => ({ row: [spaceId, year, kind, userId] as SqlValue[], months: bits })),
    );
    // Only the person-years whose months changed reach the groups: a month already in a person's
    // year in a space is in their establishment's and the académie's too (each change of a year
    // goes on to its groups). Re-upserting every person of every batch was 24 s of a 95 s replay
    // on PostgreSQL.
    const yearRows = personYears.map(({ row, months }) => [...row, months]);
    const yearsHead = `INSERT INTO ${t.ind_people_years} (space_id, year, kind, user_id, months)`;
    if (fresh) {
      // Every person-year is new, and changed.
      await insertRows(tx, yearsHead, 5, yearRows, '');
      await upsertPeopleGroups(tx, t, personYears, fresh);
    } else {
      const changedYears = await insertReturning<{ space_id: string; year: number; kind: string; user_id: string; months: number }>(
        tx,
        yearsHead,
        5,
        yearRows,
        `${mergeMonths(t.ind_people_years, 'space_id, year, kind, user_id')} RETURNING space_id, year, kind, user_id, months`,
      );
      await upsertPeopleGroups(
        tx,
        t,
        changedYears.map((y) => ({ row: [y.space_id, Number(y.year), y.kind, y.user_id], months: Number(y.months) })),
        fresh,
      );
    }
    await insertRows(
      tx,
      `INSERT INTO ${t.ind_competences} (space_id, code, documents)`,
      3,
      [...competences.values()].map((entry) => [entry.spaceId, entry.code, entry.delta]),
      upsert(`ON CONFLICT (space_id, code) DO UPDATE SET documents = ${t.ind_competences}.documents + excluded.documents`),
    );
    for (const rows of this.heldFacts.rowsInKeyOrder(50_000)) {
      await insertRows(tx, `INSERT INTO ${t.ind_facts} (space_id, field, day, position, user_id)`, 5, rows, '');
    }
    this.heldFacts.clear();
    for (const map of [competences, days, delays, topics, this.ids]) map.clear();
    this.heldPeople = 0;
  }
}

/**
 * The batch's person-years folded into the académie's and each establishment's
 * (ind_people_groups); `fresh`: into an empty table.
 */
async function upsertPeopleGroups(
  tx: SqlExecutor,
  t: PhysicalTables<IndicatorTable>,
  personYears: Iterable<{ row: SqlValue[]; months: number }>,
  fresh: boolean,
): Promise<void> {
  const years = [...personYears];
  if (years.length === 0) return;
  // The spaces are in the directory already: created before their first activity, in this batch or before.
  const uaiOf = new Map<string, string | null>();
  const spaceIds = [...new Set(years.map(({ row }) => String(row[0])))];
  for (const chunk of chunks(spaceIds, 1)) {
    const rows = await tx.query<{ space_id: string; uai: string | null }>(
      `SELECT space_id, uai FROM ${t.ind_spaces} WHERE space_id IN (${chunk.map((_, i) => `$${i + 1}`).join(', ')})`,
      [...chunk],
    );
    for (const row of rows) uaiOf.set(String(row.space_id), row.uai === null ? null : String(row.uai));
  }
  const groups = new Map<string, SqlValue[]>();
  const add = (dimension: string, key: string, year: SqlValue, kind: SqlValue, userId: SqlValue, months: number): void => {
    const id = `${dimension}|${key}|${String(year)}|${String(kind)}|${String(userId)}`;
    const entry = groups.get(id);
    if (entry) entry[5] = Number(entry[5]) | months;
    else groups.set(id, [dimension, key, year, kind, userId, months]);
  };
  for (const { row, months } of years) {
    const [spaceId, year, kind, userId] = row;
    add(PEOPLE_GROUPS.academy, ACADEMY_KEY, year!, kind!, userId!, months);
    const uai = uaiOf.get(String(spaceId));
    if (uai !== undefined) add(PEOPLE_GROUPS.establishment, uai ?? NO_ESTABLISHMENT_KEY, year!, kind!, userId!, months);
  }
  const table = t.ind_people_groups;
  await insertRows(
    tx,
    `INSERT INTO ${table} (dimension, group_key, year, kind, user_id, months)`,
    6,
    [...groups.values()],
    fresh ? '' : mergeMonths(table, 'dimension, group_key, year, kind, user_id'),
  );
}
