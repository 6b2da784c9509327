import { Inject, Injectable } from '@nestjs/common';
import type { SqlDatabase, SqlValue } from '#ruche/projections';
import { READ_DB } from '#ruche/platform';
import { monthsAndEdges, periodStart, periodsOf, type DaySpan, type Granularity } from '../calendar.js';
import { emptyFigures, hoursOf, median, ANSWER_WINDOW_SECONDS, type Figures } from '../figures.js';
import { ACADEMY_KEY, COUNTER_COLUMNS, monthBit, PEOPLE_GROUPS, PEOPLE_KINDS } from './indicators.projection.js';

/**
 * Which spaces a figure is about, as a condition on `s` (a row of ind_spaces), with its
 * parameters ($1… in the condition; the reader numbers its own after them).
 */
export interface Selection {
  where: string;
  params: readonly SqlValue[];
}

export const ALL_SPACES: Selection = { where: '1 = 1', params: [] };

/** How rows are grouped: an SQL expression over `s` (a row of ind_spaces), e.g. `s.uai`. */
export interface Grouping {
  key: string;
  /** Extra parameters the key expression uses, numbered after the selection's. */
  params?: readonly SqlValue[];
  /**
   * The dimension of ind_people_groups whose keys are this grouping's keys over all spaces:
   * distinct people over whole months are then read from it.
   */
  peopleGroup?: (typeof PEOPLE_GROUPS)[keyof typeof PEOPLE_GROUPS];
}

export const NO_GROUPING: Grouping = { key: `'${ACADEMY_KEY}'`, peopleGroup: PEOPLE_GROUPS.academy };

/**
 * The GROUP BY clause: the grouping's key unless it is the constant of NO_GROUPING (PostgreSQL
 * refuses a constant there), then `extra`; empty when nothing is left.
 */
function groupBy(grouping: Grouping, ...extra: string[]): string {
  const keys = [...(grouping === NO_GROUPING ? [] : [grouping.key]), ...extra];
  return keys.length > 0 ? `GROUP BY ${keys.join(', ')}` : '';
}

/** What one figure computation needs besides the selection. */
export interface FigureRequest {
  selection: Selection;
  grouping: Grouping;
  span: DaySpan;
  /** Cut the span into periods (series); undefined gives one figure per group over the whole span. */
  granularity?: Granularity;
  /** Now, for the topics whose 48 h are not over yet (the only use of the clock, at read time). */
  now: Date;
}

/** [calendar year, bits of its months] for a list of months (`YYYY-MM-01`). */
function yearMasks(months: readonly string[]): [number, number][] {
  const masks = new Map<number, number>();
  for (const month of months) {
    const year = Number(month.slice(0, 4));
    masks.set(year, (masks.get(year) ?? 0) | monthBit(month));
  }
  return [...masks];
}

/** `group` or `group|period` → figures. */
export type FigureMap = Map<string, Figures>;

/** Pushes every integer of a comma-separated list onto `into`, without a string per number. */
function addDelays(list: string, into: number[]): void {
  let value = 0;
  let sign = 1;
  let digits = 0;
  for (let i = 0; i <= list.length; i++) {
    const code = i < list.length ? list.charCodeAt(i) : 44;
    if (code === 44) {
      if (digits > 0) into.push(sign * value);
      value = 0;
      sign = 1;
      digits = 0;
    } else if (code >= 48 && code <= 57) {
      value = value * 10 + (code - 48);
      digits++;
    } else if (code === 45 && digits === 0) {
      // Clocks of two processes may put a reply a few ms before its topic.
      sign = -1;
    } else {
      throw new Error(`Malformed delay list near ${JSON.stringify(list.slice(Math.max(0, i - 10), i + 10))}`);
    }
  }
}

/**
 * The join that gives each row its space, unless neither the selection nor the grouping reads
 * it (the académie's totals): every space is in ind_spaces, so the join then filters nothing and
 * only costs one lookup per row (a few milliseconds over a school year's people).
 */
function joinSpaces(request: FigureRequest, alias: string): string {
  return request.selection === ALL_SPACES && request.grouping === NO_GROUPING ? '' : `JOIN ind_spaces s ON s.space_id = ${alias}.space_id`;
}

export const figureKey = (group: string, period?: string): string => (period === undefined ? group : `${group}|${period}`);

const COUNTERS = Object.entries(COUNTER_COLUMNS) as [keyof typeof COUNTER_COLUMNS, string][];

/** A builder of positional parameters after a fixed prefix. */
class Params {
  readonly values: SqlValue[];
  constructor(prefix: readonly SqlValue[]) {
    this.values = [...prefix];
  }
  add(value: SqlValue): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }
}

/**
 * Turns the read model of the indicators projection into API.md's Figures, for any selection
 * of spaces, grouping and span. A span without periods reads whole months from the monthly
 * rows and only its edges from the daily ones; a series reads days (folded into weeks) or
 * months. Distinct people come from the per-person rows, so a person is counted once per group
 * and period whatever the number of spaces and days they were active in.
 */
@Injectable()
export class FiguresReader {
  constructor(@Inject(READ_DB) private readonly db: SqlDatabase) {}

  async figures(request: FigureRequest): Promise<FigureMap> {
    const result: FigureMap = new Map();
    const at = (group: string, period?: string): Figures => {
      const key = figureKey(group, period);
      let figures = result.get(key);
      if (!figures) result.set(key, (figures = emptyFigures()));
      return figures;
    };
    const periodOf = (day: string): string | undefined => (request.granularity ? periodStart(day, request.granularity) : undefined);

    const [counters, people, pending, medians] = await Promise.all([
      this.counters(request),
      this.people(request),
      this.pendingTopics(request),
      this.medianReplyTimes(request),
    ]);
    const answered = new Map<string, number>();
    for (const row of counters) {
      const period = row.day === null ? undefined : periodOf(row.day);
      const figures = at(row.key, period);
      for (const [field, column] of COUNTERS) figures[field] += Number(row[column] ?? 0);
      const key = figureKey(row.key, period);
      answered.set(key, (answered.get(key) ?? 0) + Number(row.answered_topics ?? 0));
    }
    for (const row of people) {
      const figures = at(row.key, row.period ?? undefined);
      if (row.kind === PEOPLE_KINDS.contributor) figures.contributors = Number(row.n);
      else figures.uniqueVisitors = Number(row.n);
    }
    const waiting = new Map<string, number>();
    for (const row of pending) {
      const key = figureKey(row.key, periodOf(row.opened_day));
      waiting.set(key, (waiting.get(key) ?? 0) + Number(row.n));
    }
    for (const [key, figures] of result) {
      // Topics whose 48 h are not over yet are neither answered nor unanswered.
      figures.unansweredTopics = figures.topics - (answered.get(key) ?? 0) - (waiting.get(key) ?? 0);
    }
    for (const [key, ms] of medians) {
      const figures = result.get(key) ?? emptyFigures();
      result.set(key, figures);
      figures.medianFirstReplyHours = hoursOf(ms / 1000);
    }
    return result;
  }

  /** One group's figures (zeros when nothing happened), per period of a snapped span. */
  static series(map: FigureMap, group: string, span: DaySpan, granularity: Granularity): (Figures & { period: string })[] {
    return periodsOf(span, granularity).map((period) => ({ period, ...(map.get(figureKey(group, period)) ?? emptyFigures()) }));
  }

  /** Counters per group, and per day or month for a series (`day` null for a whole span). */
  private async counters(request: FigureRequest) {
    const { selection, grouping, span, granularity } = request;
    const p = new Params([...selection.params, ...(grouping.params ?? [])]);
    const sums = `${COUNTERS.map(([, c]) => `SUM(x.${c}) AS ${c}`).join(', ')}, SUM(x.answered_topics) AS answered_topics`;
    type Row = Record<string, number | string | null> & { key: string; day: string | null };
    if (granularity === 'day' || granularity === 'week') {
      return this.db.query<Row>(
        `SELECT ${grouping.key} AS key, x.day AS day, ${sums}
           FROM ind_space_days x ${joinSpaces(request, 'x')}
          WHERE ${selection.where} AND x.day >= ${p.add(span.from)} AND x.day <= ${p.add(span.to)}
          ${groupBy(grouping, 'x.day')}`,
        p.values,
      );
    }
    if (granularity === 'month') {
      // Spans are snapped to whole months: the monthly rows are the series.
      return this.db.query<Row>(
        `SELECT ${grouping.key} AS key, x.month AS day, ${sums}
           FROM ind_space_months x ${joinSpaces(request, 'x')}
          WHERE ${selection.where} AND x.month >= ${p.add(span.from)} AND x.month <= ${p.add(span.to)}
          ${groupBy(grouping, 'x.month')}`,
        p.values,
      );
    }
    const { months, edges } = monthsAndEdges(span);
    const parts: string[] = [];
    const columns = `${COUNTERS.map(([, c]) => `x.${c} AS ${c}`).join(', ')}, x.answered_topics AS answered_topics`;
    if (months.length > 0) {
      parts.push(
        `SELECT ${grouping.key} AS key, ${columns} FROM ind_space_months x ${joinSpaces(request, 'x')}
          WHERE ${selection.where} AND x.month >= ${p.add(months[0]!)} AND x.month <= ${p.add(months[months.length - 1]!)}`,
      );
    }
    for (const edge of edges) {
      parts.push(
        `SELECT ${grouping.key} AS key, ${columns} FROM ind_space_days x ${joinSpaces(request, 'x')}
          WHERE ${selection.where} AND x.day >= ${p.add(edge.from)} AND x.day <= ${p.add(edge.to)}`,
      );
    }
    const rows = await this.db.query<Row>(
      `SELECT y.key AS key, ${sums.replace(/x\./g, 'y.')} FROM (${parts.join(' UNION ALL ')}) y GROUP BY y.key`,
      p.values,
    );
    return rows.map((row): Row => ({ ...row, day: null }));
  }

  /** Distinct contributors and visitors per group (and period). */
  private async people(request: FigureRequest): Promise<{ key: string; period: string | null; kind: string; n: number }[]> {
    const { selection, grouping, span, granularity } = request;
    const p = new Params([...selection.params, ...(grouping.params ?? [])]);
    if (granularity === 'month') return this.monthlyPeople(request);
    if (granularity === 'day' || granularity === 'week') {
      const from = p.add(span.from);
      const to = p.add(span.to);
      const period = granularity === 'day' ? 'd.day' : this.weekOf('d.day', span, p);
      return this.db.query(
        `SELECT ${grouping.key} AS key, ${period} AS period, d.kind AS kind, COUNT(DISTINCT d.user_id) AS n
           FROM ind_people_days d ${joinSpaces(request, 'd')}
          WHERE ${selection.where} AND d.day >= ${from} AND d.day <= ${to}
          ${groupBy(grouping, period, 'd.kind')}`,
        p.values,
      );
    }
    const { months, edges } = monthsAndEdges(span);
    const masks = yearMasks(months);
    const active = masks.map(([year, mask]) => `(y.year = ${p.add(year)} AND (y.months & ${p.add(mask)}) <> 0)`).join(' OR ');
    let sql: string;
    if (edges.length === 0 && masks.length > 0 && selection === ALL_SPACES && grouping.peopleGroup) {
      // The académie by establishment or in all: one row per person, group and calendar year
      // already. A span within one year counts rows; across New Year a person has a row on each
      // side, counted once. Both read the covering index in (group, kind, person) order.
      const q = new Params([]);
      const dimension = q.add(grouping.peopleGroup);
      const years = masks.map(([year, mask]) => `(g.year = ${q.add(year)} AND (g.months & ${q.add(mask)}) <> 0)`).join(' OR ');
      const where = `g.dimension = ${dimension} AND (${years})`;
      let sql = `SELECT g.group_key AS key, g.kind AS kind, COUNT(*) AS n FROM ind_people_groups g WHERE ${where} GROUP BY g.group_key, g.kind`;
      if (masks.length > 1 && this.db.dialect === 'sqlite') {
        sql = `SELECT g.group_key AS key, g.kind AS kind, COUNT(DISTINCT g.user_id) AS n FROM ind_people_groups g WHERE ${where} GROUP BY g.group_key, g.kind`;
      } else if (masks.length > 1) {
        // PostgreSQL: distinct rows first (9.7 ms against 13.4 for COUNT(DISTINCT), 200 establishments).
        sql = `SELECT z.key AS key, z.kind AS kind, COUNT(*) AS n
                 FROM (SELECT DISTINCT g.group_key AS key, g.kind AS kind, g.user_id AS user_id FROM ind_people_groups g WHERE ${where}) z
                GROUP BY z.key, z.kind`;
      }
      const rows = await this.db.query<{ key: string; kind: string; n: number }>(sql, q.values);
      return rows.map((row) => ({ ...row, period: null }));
    }
    if (edges.length === 0 && masks.length > 0 && this.db.dialect === 'sqlite') {
      // Whole months only (the usual span): one flat query, which the académie's totals answer
      // from the covering index on (kind, user_id) without a sort.
      sql = `SELECT ${grouping.key} AS key, y.kind AS kind, COUNT(DISTINCT y.user_id) AS n
               FROM ind_people_years y ${joinSpaces(request, 'y')}
              WHERE ${selection.where} AND (${active})
              ${groupBy(grouping, 'y.kind')}`;
    } else if (edges.length === 0 && masks.length > 0) {
      // PostgreSQL sorts every row for COUNT(DISTINCT), comparing text by the database's
      // collation (C.UTF-8 goes through strcoll); distinct rows first are hashed instead: 21,524
      // person-years of 200 establishments by establishment, 44–50 -> 20–32 ms.
      sql = `SELECT z.key AS key, z.kind AS kind, COUNT(*) AS n
               FROM (SELECT DISTINCT ${grouping.key} AS key, y.kind AS kind, y.user_id AS user_id
                       FROM ind_people_years y ${joinSpaces(request, 'y')}
                      WHERE ${selection.where} AND (${active})) z
              GROUP BY z.key, z.kind`;
    } else {
      const parts: string[] = [];
      if (masks.length > 0) {
        parts.push(
          `SELECT ${grouping.key} AS key, y.kind AS kind, y.user_id AS user_id
             FROM ind_people_years y ${joinSpaces(request, 'y')}
            WHERE ${selection.where} AND (${active})`,
        );
      }
      for (const edge of edges) {
        parts.push(
          `SELECT ${grouping.key} AS key, d.kind AS kind, d.user_id AS user_id
             FROM ind_people_days d ${joinSpaces(request, 'd')}
            WHERE ${selection.where} AND d.day >= ${p.add(edge.from)} AND d.day <= ${p.add(edge.to)}`,
        );
      }
      sql = `SELECT x.key AS key, x.kind AS kind, COUNT(DISTINCT x.user_id) AS n FROM (${parts.join(' UNION ALL ')}) x GROUP BY x.key, x.kind`;
    }
    const rows = await this.db.query<{ key: string; kind: string; n: number }>(sql, p.values);
    return rows.map((row) => ({ ...row, period: null }));
  }

  /** Distinct people per month of a snapped span, from the yearly rows' month bits. */
  private async monthlyPeople(request: FigureRequest): Promise<{ key: string; period: string | null; kind: string; n: number }[]> {
    const { selection, grouping, span } = request;
    const p = new Params([...selection.params, ...(grouping.params ?? [])]);
    const months = periodsOf(span, 'month');
    const masks = yearMasks(months);
    const rows = await this.db.query<{ key: string; year: number; kind: string; user_id: string; months: number }>(
      `SELECT ${grouping.key} AS key, y.year AS year, y.kind AS kind, y.user_id AS user_id, y.months AS months
         FROM ind_people_years y ${joinSpaces(request, 'y')}
        WHERE ${selection.where} AND y.year >= ${p.add(masks[0]![0])} AND y.year <= ${p.add(masks[masks.length - 1]![0])}`,
      p.values,
    );
    const people = new Map<string, { key: string; period: string; kind: string; users: Set<string> }>();
    const inSpan = new Set(months);
    for (const row of rows) {
      for (let month = 0; month < 12; month++) {
        if ((Number(row.months) & (1 << month)) === 0) continue;
        const period = `${String(row.year).padStart(4, '0')}-${String(month + 1).padStart(2, '0')}-01`;
        if (!inSpan.has(period)) continue;
        const id = `${row.key}|${period}|${row.kind}`;
        let entry = people.get(id);
        if (!entry) people.set(id, (entry = { key: row.key, period, kind: row.kind, users: new Set() }));
        entry.users.add(row.user_id);
      }
    }
    return [...people.values()].map(({ key, period, kind, users }) => ({ key, period, kind, n: users.size }));
  }

  /** A CASE expression giving the Monday of `column`'s week, for the weeks of a snapped span. */
  private weekOf(column: string, span: DaySpan, p: Params): string {
    const weeks = periodsOf(span, 'week');
    // A CASE even for one week: PostgreSQL takes no bare parameter as a grouping expression.
    if (weeks.length === 1) return `CASE WHEN ${column} IS NOT NULL THEN ${p.add(weeks[0]!)} END`;
    const branches = weeks
      .slice(1)
      .map((next, i) => `WHEN ${column} < ${p.add(next)} THEN ${p.add(weeks[i]!)}`)
      .join(' ');
    return `CASE ${branches} ELSE ${p.add(weeks[weeks.length - 1]!)} END`;
  }

  /** Topics opened in the span whose 48 h are not over at `now` (a reply at 48 h still answers), and not answered yet. */
  private async pendingTopics(request: FigureRequest) {
    const { selection, grouping, span, now } = request;
    const cutoff = new Date(now.getTime() - ANSWER_WINDOW_SECONDS * 1000).toISOString();
    // Paris is ahead of UTC: a topic opened after the cutoff has a Paris day on or after its UTC day.
    const earliestDay = cutoff.slice(0, 10) > span.from ? cutoff.slice(0, 10) : span.from;
    const p = new Params([...selection.params, ...(grouping.params ?? [])]);
    const from = p.add(earliestDay);
    const to = p.add(span.to);
    const after = p.add(cutoff);
    return this.db.query<{ key: string; opened_day: string; n: number }>(
      `SELECT ${grouping.key} AS key, tp.opened_day AS opened_day, COUNT(*) AS n
         FROM ind_topics tp ${joinSpaces(request, 'tp')}
        WHERE ${selection.where} AND tp.opened_day >= ${from} AND tp.opened_day <= ${to}
          AND tp.opened_at >= ${after} AND tp.answered_in_window = 0
        ${groupBy(grouping, 'tp.opened_day')}`,
      p.values,
    );
  }

  /**
   * The median time to a first reply from someone else, in ms, per group (and period), over the
   * topics opened in the span that have one. Without periods, whole months read the per-month
   * lists (a few rows per space) and only the edges read topics one by one.
   */
  private async medianReplyTimes(request: FigureRequest): Promise<Map<string, number>> {
    const { selection, grouping, span, granularity } = request;
    const p = new Params([...selection.params, ...(grouping.params ?? [])]);
    const delays = new Map<string, number[]>();
    const listOf = (key: string): number[] => {
      let list = delays.get(key);
      if (!list) delays.set(key, (list = []));
      return list;
    };
    const add = (key: string, ms: number): void => void listOf(key).push(ms);
    const topicsIn = async (edge: DaySpan, into: (row: { key: string; opened_day: string; first_reply_ms: number }) => void): Promise<void> => {
      const q = new Params(p.values);
      const rows = await this.db.query<{ key: string; opened_day: string; first_reply_ms: number }>(
        `SELECT ${grouping.key} AS key, tp.opened_day AS opened_day, tp.first_reply_ms AS first_reply_ms
           FROM ind_topics tp ${joinSpaces(request, 'tp')}
          WHERE ${selection.where} AND tp.opened_day >= ${q.add(edge.from)} AND tp.opened_day <= ${q.add(edge.to)}
            AND tp.first_reply_ms IS NOT NULL`,
        q.values,
      );
      for (const row of rows) into(row);
    };
    if (granularity !== undefined) {
      await topicsIn(span, (row) => add(figureKey(row.key, periodStart(row.opened_day, granularity)), Number(row.first_reply_ms)));
    } else {
      const { months, edges } = monthsAndEdges(span);
      if (months.length > 0) {
        const q = new Params(p.values);
        const rows = await this.db.query<{ key: string; delays: string }>(
          `SELECT ${grouping.key} AS key, r.delays AS delays FROM ind_reply_months r ${joinSpaces(request, 'r')}
            WHERE ${selection.where} AND r.month >= ${q.add(months[0]!)} AND r.month <= ${q.add(months[months.length - 1]!)}`,
          q.values,
        );
        // One lookup per row, not per delay: a school year's académie is ~100,000 delays.
        for (const row of rows) addDelays(row.delays, listOf(row.key));
      }
      for (const edge of edges) await topicsIn(edge, (row) => add(row.key, Number(row.first_reply_ms)));
    }
    const medians = new Map<string, number>();
    for (const [key, list] of delays) medians.set(key, median(list)!);
    return medians;
  }
}
