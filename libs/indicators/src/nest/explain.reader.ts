import { Inject, Injectable } from '@nestjs/common';
import type { EventStore } from '#ruche/eventstore';
import type { SqlDatabase, SqlValue } from '#ruche/projections';
import { encodeCursor, EVENT_STORE, READ_DB, type Page } from '#ruche/platform';
import type { DaySpan } from '../calendar.js';
import { CONTRIBUTION_FIELDS, COUNTED_FIELDS, countedFactOf, type CountedField } from '../counted-events.js';
import { ANSWER_WINDOW_SECONDS, type FigureField } from '../figures.js';
import type { Selection } from './figures.reader.js';

/** One event behind a figure. `at` is the event's own time, the one that put it in its day. */
export interface ExplainedEvent {
  position: number;
  type: string;
  streamName: string;
  createdAt: string;
  at: string;
}

/**
 * The events behind one figure, in log order. Their positions come from the indicators' read
 * model (every counted event's position, space, day, field and person), the events themselves
 * from the log by position (EventStore.readEvents), so that listing them never scans the log
 * and the read model keeps no copy of what the log holds:
 * - a count (topics, replies, newMembers, documents, revisions, faqPublished, views): each
 *   event it counted;
 * - contributors, uniqueVisitors: each person's first event that made them one, so the list is
 *   as long as the count;
 * - unansweredTopics: the opening of each topic nobody else answered within 48 h;
 * - medianFirstReplyHours: each measured topic's opening and its first reply from someone else
 *   (the median of the differences of their `at` is the figure).
 */
@Injectable()
export class ExplainReader {
  constructor(
    @Inject(READ_DB) private readonly db: SqlDatabase,
    @Inject(EVENT_STORE) private readonly store: EventStore,
  ) {}

  async explain(selection: Selection, field: FigureField, span: DaySpan, now: Date, after: number, limit: number): Promise<Page<ExplainedEvent>> {
    const params: SqlValue[] = [...selection.params];
    const add = (value: SqlValue): string => {
      params.push(value);
      return `$${params.length}`;
    };
    const from = add(span.from);
    const to = add(span.to);
    const inSelection = `JOIN ind_spaces s ON s.space_id = {table}.space_id WHERE ${selection.where}`;
    const sel = (table: string): string => inSelection.replace('{table}', table);
    let positions: string;
    if ((COUNTED_FIELDS as readonly string[]).includes(field)) {
      positions = `SELECT f2.position AS position FROM ind_facts f2 ${sel('f2')} AND f2.field = ${add(field as CountedField)}
                     AND f2.day >= ${from} AND f2.day <= ${to}`;
    } else if (field === 'contributors' || field === 'uniqueVisitors') {
      const fields = field === 'contributors' ? CONTRIBUTION_FIELDS : (['views'] as const);
      positions = `SELECT MIN(f2.position) AS position FROM ind_facts f2 ${sel('f2')} AND f2.field IN (${fields.map((f) => add(f)).join(', ')})
                     AND f2.day >= ${from} AND f2.day <= ${to} GROUP BY f2.user_id`;
    } else if (field === 'unansweredTopics') {
      const cutoff = add(new Date(now.getTime() - ANSWER_WINDOW_SECONDS * 1000).toISOString());
      positions = `SELECT tp.opened_position AS position FROM ind_topics tp ${sel('tp')} AND tp.opened_day >= ${from} AND tp.opened_day <= ${to}
                     AND tp.answered_in_window = 0 AND tp.opened_at < ${cutoff}`;
    } else {
      const measured = `FROM ind_topics tp ${sel('tp')} AND tp.opened_day >= ${from} AND tp.opened_day <= ${to} AND tp.first_reply_ms IS NOT NULL`;
      positions = `SELECT tp.opened_position AS position ${measured} UNION SELECT tp.first_reply_position ${measured}`;
    }
    const rows = await this.db.query<{ position: number | string }>(
      `SELECT p.position FROM (${positions}) p WHERE p.position > ${add(after)} ORDER BY p.position LIMIT ${add(limit + 1)}`,
      params,
    );
    const events = await this.store.readEvents(rows.slice(0, limit).map((row) => Number(row.position)));
    const items = events.map((event) => {
      const createdAt = event.createdAt.toISOString();
      // The time that put it in its day: every event a figure counts has one.
      return { position: event.position, type: event.type, streamName: event.streamName, createdAt, at: countedFactOf(event)?.at ?? createdAt };
    });
    const last = items[items.length - 1];
    return { items, nextCursor: rows.length > limit && last ? encodeCursor([last.position]) : null };
  }
}
