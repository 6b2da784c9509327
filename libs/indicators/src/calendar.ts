import { DomainError } from '#ruche/domain-kit';

/*
 * Where indicators cut time: calendar days in Europe/Paris, weeks starting on Monday, months.
 * A day is a string `YYYY-MM-DD`; every function here is pure and depends only on its input
 * (the instant an event carries), so a projection that uses them replays identically.
 */

export const INDICATOR_TIME_ZONE = 'Europe/Paris';

export const GRANULARITIES = ['day', 'week', 'month'] as const;
export type Granularity = (typeof GRANULARITIES)[number];

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;

/**
 * Intl with the IANA zone (Node ships full ICU and its tz data): the only time-zone rule in
 * Ruche. formatToParts rather than format, so no locale's punctuation can change the result.
 */
const parisDateParts = new Intl.DateTimeFormat('en-US', {
  timeZone: INDICATOR_TIME_ZONE,
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
});

/**
 * Paris has changed its UTC offset only on whole UTC hours since 1911, so the Paris day of an
 * instant is the Paris day of its UTC hour: remembered per hour, since replays ask millions of
 * times about the same few thousand hours.
 */
const dayOfUtcHour = new Map<number, string>();
const CACHE_FROM_HOUR = Date.UTC(1912, 0, 1) / HOUR_MS;
const CACHE_MAX = 500_000;

function formatParisDay(ms: number): string {
  let year = '';
  let month = '';
  let day = '';
  for (const part of parisDateParts.formatToParts(ms)) {
    if (part.type === 'year') year = part.value;
    else if (part.type === 'month') month = part.value;
    else if (part.type === 'day') day = part.value;
  }
  return `${year.padStart(4, '0')}-${month}-${day}`;
}

/** The Paris calendar day (`YYYY-MM-DD`) of an ISO 8601 instant. */
export function parisDay(instant: string | Date): string {
  const ms = typeof instant === 'string' ? Date.parse(instant) : instant.getTime();
  if (!Number.isFinite(ms)) throw new RangeError(`Not an instant: ${String(instant)}`);
  const hour = Math.floor(ms / HOUR_MS);
  if (hour < CACHE_FROM_HOUR) return formatParisDay(ms);
  let day = dayOfUtcHour.get(hour);
  if (day === undefined) {
    day = formatParisDay(hour * HOUR_MS);
    if (dayOfUtcHour.size >= CACHE_MAX) dayOfUtcHour.clear();
    dayOfUtcHour.set(hour, day);
  }
  return day;
}

/** `YYYY-MM-DD` of the first day of the instant's Paris month. */
export function parisMonth(instant: string | Date): string {
  return startOfMonth(parisDay(instant));
}

const DAY_PATTERN = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Days since 1970-01-01 of a valid day string. */
function epochDay(day: string): number {
  const match = DAY_PATTERN.exec(day);
  if (!match) throw new RangeError(`Not a day: ${day}`);
  return Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3])) / DAY_MS;
}

function fromEpochDay(days: number): string {
  return new Date(days * DAY_MS).toISOString().slice(0, 10);
}

/** Is `value` a real calendar day written `YYYY-MM-DD` (no 2026-02-30)? */
export function isDay(value: unknown): value is string {
  if (typeof value !== 'string') return false;
  const match = DAY_PATTERN.exec(value);
  if (!match) return false;
  const year = Number(match[1]);
  if (year < 1000) return false;
  return fromEpochDay(epochDay(value)) === value;
}

export function addDays(day: string, days: number): string {
  return fromEpochDay(epochDay(day) + days);
}

/** Whole days from `from` to `to` (negative when `to` is earlier). */
export function daysBetween(from: string, to: string): number {
  return epochDay(to) - epochDay(from);
}

/** The Monday of the day's week (ISO 8601 weeks start on Monday). */
export function startOfWeek(day: string): string {
  const days = epochDay(day);
  // 1970-01-01 was a Thursday: (days + 3) mod 7 is 0 on Mondays.
  return fromEpochDay(days - (((days + 3) % 7) + 7) % 7);
}

export function startOfMonth(day: string): string {
  return `${day.slice(0, 7)}-01`;
}

/** The first day of the month `months` after the month of `day`. */
export function addMonths(day: string, months: number): string {
  const year = Number(day.slice(0, 4));
  const month = Number(day.slice(5, 7)) - 1 + months;
  const y = year + Math.floor(month / 12);
  const m = ((month % 12) + 12) % 12;
  return `${String(y).padStart(4, '0')}-${String(m + 1).padStart(2, '0')}-01`;
}

/** The first day of the period (day, week, month) holding `day`. */
export function periodStart(day: string, granularity: Granularity): string {
  switch (granularity) {
    case 'day':
      return day;
    case 'week':
      return startOfWeek(day);
    case 'month':
      return startOfMonth(day);
    default: {
      const _exhaustive: never = granularity;
      throw new Error(`Unknown granularity ${String(_exhaustive)}`);
    }
  }
}

/** The first day of the period after the one starting on `start`. */
export function nextPeriod(start: string, granularity: Granularity): string {
  switch (granularity) {
    case 'day':
      return addDays(start, 1);
    case 'week':
      return addDays(start, 7);
    case 'month':
      return addMonths(start, 1);
    default: {
      const _exhaustive: never = granularity;
      throw new Error(`Unknown granularity ${String(_exhaustive)}`);
    }
  }
}

/** The last day of the period starting on `start`. */
export function periodEnd(start: string, granularity: Granularity): string {
  return addDays(nextPeriod(start, granularity), -1);
}

/** A span of whole days, both ends included. */
export interface DaySpan {
  from: string;
  to: string;
}

/** The first day of every period of a span already snapped to `granularity`, in order. */
export function periodsOf(span: DaySpan, granularity: Granularity): string[] {
  const periods: string[] = [];
  for (let start = periodStart(span.from, granularity); start <= span.to; start = nextPeriod(start, granularity)) periods.push(start);
  return periods;
}

/** The span widened to whole periods: `from` back to its period's start, `to` on to its period's end. */
export function snapSpan(span: DaySpan, granularity: Granularity): DaySpan {
  return { from: periodStart(span.from, granularity), to: periodEnd(periodStart(span.to, granularity), granularity) };
}

/** The same number of periods just before a snapped span, for comparison. */
export function previousSpan(span: DaySpan, granularity: Granularity): DaySpan {
  const count = periodsOf(span, granularity).length;
  let from = span.from;
  for (let i = 0; i < count; i++) {
    from = granularity === 'month' ? addMonths(from, -1) : addDays(from, granularity === 'week' ? -7 : -1);
  }
  return { from, to: addDays(span.from, -1) };
}

/**
 * A span cut into whole months and the days left at its edges, so that a distinct count over
 * it reads the monthly rows where it can and the daily ones only at the edges.
 */
export function monthsAndEdges(span: DaySpan): { months: string[]; edges: DaySpan[] } {
  const firstFull = span.from === startOfMonth(span.from) ? span.from : addMonths(span.from, 1);
  const months: string[] = [];
  for (let month = firstFull; periodEnd(month, 'month') <= span.to; month = addMonths(month, 1)) months.push(month);
  if (months.length === 0) return { months, edges: [span] };
  const edges: DaySpan[] = [];
  if (span.from < months[0]!) edges.push({ from: span.from, to: addDays(months[0]!, -1) });
  const afterLast = addMonths(months[months.length - 1]!, 1);
  if (afterLast <= span.to) edges.push({ from: afterLast, to: span.to });
  return { months, edges };
}

/** Longest span an indicator answers: five years. */
export const MAX_SPAN_YEARS = 5;

export interface SpanRequest {
  from?: unknown;
  to?: unknown;
  granularity?: unknown;
}

export interface ResolvedSpan extends DaySpan {
  granularity: Granularity;
}

export function parseGranularity(value: unknown, field = 'granularity'): Granularity {
  if (value === undefined || value === null || value === '') return 'day';
  if (typeof value === 'string' && (GRANULARITIES as readonly string[]).includes(value)) return value as Granularity;
  throw DomainError.validation(field, `${field} must be one of ${GRANULARITIES.join(', ')}`);
}

/** Days a query may name: enough for any school year, and far from where date arithmetic breaks. */
export const FIRST_QUERY_DAY = '2000-01-01';
export const LAST_QUERY_DAY = '2199-12-31';

/** A day from a query string (`from`, `to`, `period`): VALIDATION on `field` unless a real day in range. */
export function parseQueryDay(value: unknown, field: string): string {
  if (!isDay(value)) throw DomainError.validation(field, `${field} must be a day written YYYY-MM-DD`);
  if (value < FIRST_QUERY_DAY || value > LAST_QUERY_DAY) {
    throw DomainError.validation(field, `${field} must be between ${FIRST_QUERY_DAY} and ${LAST_QUERY_DAY}`);
  }
  return value;
}

function parseDayParam(value: unknown, field: string): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  return parseQueryDay(value, field);
}

/**
 * `?from&to&granularity` as the indicators read them: days in Paris, both included. `to`
 * defaults to `today`, `from` to `defaultDays` days before `to` (both then widened to whole
 * periods). `from` after `to` and spans over five years are refused, naming the field.
 */
export function parseSpan(request: SpanRequest, today: string, defaultDays = 30): ResolvedSpan {
  const granularity = parseGranularity(request.granularity);
  const to = parseDayParam(request.to, 'to') ?? today;
  const from = parseDayParam(request.from, 'from') ?? addDays(to, -(defaultDays - 1));
  if (from > to) throw DomainError.validation('from', 'from must not be after to');
  // The same calendar day five years on, compared as text: valid even from a 29 February.
  const limit = `${String(Number(from.slice(0, 4)) + MAX_SPAN_YEARS).padStart(4, '0')}${from.slice(4)}`;
  if (to >= limit) {
    throw DomainError.validation('to', `The span from from to to must be shorter than ${MAX_SPAN_YEARS} years`);
  }
  return { ...snapSpan({ from, to }, granularity), granularity };
}

/** The Paris day of `now` — for queries only: projections never read a clock. */
export function today(now: Date): string {
  return parisDay(now);
}

/** The first day of the school year (1 September) holding `day`. */
export function schoolYearStart(day: string): string {
  const year = Number(day.slice(0, 4));
  const month = Number(day.slice(5, 7));
  return `${month >= 9 ? year : year - 1}-09-01`;
}
