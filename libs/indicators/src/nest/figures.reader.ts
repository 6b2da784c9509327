import { Inject, Injectable } from '@nestjs/common';
import type { SqlDatabase, SqlValue } from '#ruche/projections';
import { READ_DB } from '#ruche/platform';
import { monthsAndEdges, periodStart, periodsOf, type DaySpan, type Granularity } from '../calendar.js';
import { emptyFigures, hoursOf, median, ANSWER_WINDOW_SECONDS, type Figures } from '../figures.js';
import { COUNTER_COLUMNS, PEOPLE_KINDS } from './indicators.projection.js';

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
}

export const NO_GROUPING: Grouping = { key: `'all'` };

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

/** `group` or `group|period` → figures. */
export type FigureMap = Map<string, Figures>;

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
 * of spaces, grouping and span. Counts come from per-day rows; distinct people from the
 * per-person rows (monthly where a whole month is asked, daily at the edges), so a person is
 * counted once per group and period whatever the number of spaces and days they were active.
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

    const [counters, people, pending, replyTimes] = await Promise.all([
      this.counters(request),
      this.people(request),
      this.pendingTopics(request),
      this.firstReplyTimes(request),
    ]);
    const answered = new Map<string, number>();
    for (const row of counters) {
      const period = periodOf(row.day);
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
    const delays = new Map<string, number[]>();
    for (const row of replyTimes) {
      const key = figureKey(row.key, periodOf(row.opened_day));
      let list = delays.get(key);
      if (!list) delays.set(key, (list = []));
      list.push(Number(row.first_reply_ms));
    }
    for (const [key, list] of delays) {
      const figures = result.get(key) ?? emptyFigures();
      result.set(key, figures);
      const ms = median(list);
      figures.medianFirstReplyHours = hoursOf(ms === null ? null : ms / 1000);
    }
    return result;
  }

  /** One group's figures (zeros when nothing happened), per period of a snapped span. */
  static series(map: FigureMap, group: string, span: DaySpan, granularity: Granularity): (Figures & { period: string })[] {
    return periodsOf(span, granularity).map((period) => ({ period, ...(map.get(figureKey(group, period)) ?? emptyFigures()) }));
  }

  private async counters(request: FigureRequest) {
    const { selection, grouping, span, granularity } = request;
    const p = new Params([...selection.params, ...(grouping.params ?? [])]);
    const from = p.add(span.from);
    const to = p.add(span.to);
    // A series groups by day too; its periods are folded from the days.
    const perDay = granularity !== undefined;
    return this.db.query<Record<string, number | string> & { key: string; day: string }>(
      `SELECT ${grouping.key} AS key${perDay ? ', d.day AS day' : ''},
              ${COUNTERS.map(([, c]) => `SUM(d.${c}) AS ${c}`).join(', ')}, SUM(d.answered_topics) AS answered_topics
         FROM ind_space_days d JOIN ind_spaces s ON s.space_id = d.space_id
        WHERE ${selection.where} AND d.day >= ${from} AND d.day <= ${to}
        ${groupBy(grouping, ...(perDay ? ['d.day'] : []))}`,
      p.values,
    );
  }

  /** Distinct contributors and visitors per group (and period). */
  private async people(request: FigureRequest): Promise<{ key: string; period: string | null; kind: string; n: number }[]> {
    const { selection, grouping, span, granularity } = request;
    const p = new Params([...selection.params, ...(grouping.params ?? [])]);
    if (granularity === 'month') {
      // Spans are snapped to whole months: the monthly rows are exact.
      const from = p.add(span.from);
      const to = p.add(span.to);
      return this.db.query(
        `SELECT ${grouping.key} AS key, m.month AS period, m.kind AS kind, COUNT(DISTINCT m.user_id) AS n
           FROM ind_people_months m JOIN ind_spaces s ON s.space_id = m.space_id
          WHERE ${selection.where} AND m.month >= ${from} AND m.month <= ${to}
          ${groupBy(grouping, 'm.month', 'm.kind')}`,
        p.values,
      );
    }
    if (granularity === 'day' || granularity === 'week') {
      const from = p.add(span.from);
      const to = p.add(span.to);
      const period = granularity === 'day' ? 'd.day' : this.weekOf('d.day', span, p);
      return this.db.query(
        `SELECT ${grouping.key} AS key, ${period} AS period, d.kind AS kind, COUNT(DISTINCT d.user_id) AS n
           FROM ind_people_days d JOIN ind_spaces s ON s.space_id = d.space_id
          WHERE ${selection.where} AND d.day >= ${from} AND d.day <= ${to}
          ${groupBy(grouping, period, 'd.kind')}`,
        p.values,
      );
    }
    const { months, edges } = monthsAndEdges(span);
    const parts: string[] = [];
    if (months.length > 0) {
      parts.push(
        `SELECT ${grouping.key} AS key, m.kind AS kind, m.user_id AS user_id
           FROM ind_people_months m JOIN ind_spaces s ON s.space_id = m.space_id
          WHERE ${selection.where} AND m.month >= ${p.add(months[0]!)} AND m.month <= ${p.add(months[months.length - 1]!)}`,
      );
    }
    for (const edge of edges) {
      parts.push(
        `SELECT ${grouping.key} AS key, d.kind AS kind, d.user_id AS user_id
           FROM ind_people_days d JOIN ind_spaces s ON s.space_id = d.space_id
          WHERE ${selection.where} AND d.day >= ${p.add(edge.from)} AND d.day <= ${p.add(edge.to)}`,
      );
    }
    const rows = await this.db.query<{ key: string; kind: string; n: number }>(
      `SELECT x.key AS key, x.kind AS kind, COUNT(DISTINCT x.user_id) AS n FROM (${parts.join(' UNION ALL ')}) x GROUP BY x.key, x.kind`,
      p.values,
    );
    return rows.map((row) => ({ ...row, period: null }));
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
         FROM ind_topics tp JOIN ind_spaces s ON s.space_id = tp.space_id
        WHERE ${selection.where} AND tp.opened_day >= ${from} AND tp.opened_day <= ${to}
          AND tp.opened_at >= ${after} AND tp.answered_in_window = 0
        ${groupBy(grouping, 'tp.opened_day')}`,
      p.values,
    );
  }

  /** Time to the first reply from someone else, for each topic opened in the span that has one. */
  private async firstReplyTimes(request: FigureRequest) {
    const { selection, grouping, span } = request;
    const p = new Params([...selection.params, ...(grouping.params ?? [])]);
    const from = p.add(span.from);
    const to = p.add(span.to);
    return this.db.query<{ key: string; opened_day: string; first_reply_ms: number }>(
      `SELECT ${grouping.key} AS key, tp.opened_day AS opened_day, tp.first_reply_ms AS first_reply_ms
         FROM ind_topics tp JOIN ind_spaces s ON s.space_id = tp.space_id
        WHERE ${selection.where} AND tp.opened_day >= ${from} AND tp.opened_day <= ${to} AND tp.first_reply_ms IS NOT NULL`,
      p.values,
    );
  }
}
