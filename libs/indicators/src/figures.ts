import { DomainError } from '#ruche/domain-kit';

/**
 * API.md's `Figures`: what every indicator answers for one space (or group of spaces) and one
 * span of days. docs/indicators.md defines each field exactly.
 */
export interface Figures {
  topics: number;
  replies: number;
  contributors: number;
  newMembers: number;
  documents: number;
  revisions: number;
  faqPublished: number;
  views: number;
  uniqueVisitors: number;
  unansweredTopics: number;
  medianFirstReplyHours: number | null;
}

/** The fields in the order answers and CSV columns list them. */
export const FIGURE_FIELDS = [
  'topics',
  'replies',
  'contributors',
  'newMembers',
  'documents',
  'revisions',
  'faqPublished',
  'views',
  'uniqueVisitors',
  'unansweredTopics',
  'medianFirstReplyHours',
] as const satisfies readonly (keyof Figures)[];

export type FigureField = (typeof FIGURE_FIELDS)[number];

/** Fields that count people: the public page shows any of them under 5 as "< 5". */
export const PEOPLE_FIELDS = ['contributors', 'newMembers', 'uniqueVisitors'] as const satisfies readonly FigureField[];

/** Fields that add up across spaces and days (the distinct counts and the median do not). */
export const ADDITIVE_FIELDS = ['topics', 'replies', 'newMembers', 'documents', 'revisions', 'faqPublished', 'views', 'unansweredTopics'] as const;

export function parseFigureField(value: unknown, field = 'field'): FigureField {
  if (typeof value === 'string' && (FIGURE_FIELDS as readonly string[]).includes(value)) return value as FigureField;
  throw DomainError.validation(field, `${field} must be one of ${FIGURE_FIELDS.join(', ')}`);
}

export function emptyFigures(): Figures {
  return {
    topics: 0,
    replies: 0,
    contributors: 0,
    newMembers: 0,
    documents: 0,
    revisions: 0,
    faqPublished: 0,
    views: 0,
    uniqueVisitors: 0,
    unansweredTopics: 0,
    medianFirstReplyHours: null,
  };
}

/** A topic is unanswered when nobody else has replied within this time of its opening. */
export const ANSWER_WINDOW_SECONDS = 48 * 3600;

/** The median of `values` (mean of the two middle ones for an even count); null for none. */
export function median(values: readonly number[] | Float64Array): number | null {
  if (values.length === 0) return null;
  // Selection, not a sort: the académie's median reads tens of thousands of delays per answer.
  const a = Float64Array.from(values);
  const middle = Math.floor(a.length / 2);
  select(a, middle);
  if (a.length % 2 === 1) return a[middle]!;
  // Everything left of `middle` is at most a[middle]: the lower middle is the largest of them.
  let lower = a[0]!;
  for (let i = 1; i < middle; i++) if (a[i]! > lower) lower = a[i]!;
  return (lower + a[middle]!) / 2;
}

/** Moves the k-th smallest value to a[k], smaller ones before it, larger ones after (Hoare's quickselect). */
function select(a: Float64Array, k: number): void {
  let left = 0;
  let right = a.length - 1;
  while (right > left) {
    // Median of three as the pivot: sorted or reversed input stays linear.
    const mid = (left + right) >>> 1;
    const pivot = Math.max(Math.min(a[left]!, a[mid]!), Math.min(Math.max(a[left]!, a[mid]!), a[right]!));
    let i = left;
    let j = right;
    while (i <= j) {
      while (a[i]! < pivot) i++;
      while (a[j]! > pivot) j--;
      if (i <= j) {
        const t = a[i]!;
        a[i] = a[j]!;
        a[j] = t;
        i++;
        j--;
      }
    }
    if (k <= j) right = j;
    else if (k >= i) left = i;
    else return;
  }
}

/** Seconds as hours with one decimal, as `medianFirstReplyHours` answers them. */
export function hoursOf(seconds: number | null): number | null {
  return seconds === null ? null : Math.round(seconds / 360) / 10;
}

/** What the public page shows of a count of people: the count, or "< 5" under 5 (0 included). */
export type MaskedCount = number | '< 5';
export const SMALL_COUNT = '< 5' as const;
export const SMALL_COUNT_THRESHOLD = 5;

export type PublicFigures = Omit<Figures, (typeof PEOPLE_FIELDS)[number]> & Record<(typeof PEOPLE_FIELDS)[number], MaskedCount>;

export function maskCount(count: number): MaskedCount {
  return count < SMALL_COUNT_THRESHOLD ? SMALL_COUNT : count;
}

/** The figures with every count of people under 5 replaced by "< 5". */
export function maskPeople(figures: Figures): PublicFigures {
  return {
    ...figures,
    contributors: maskCount(figures.contributors),
    newMembers: maskCount(figures.newMembers),
    uniqueVisitors: maskCount(figures.uniqueVisitors),
  };
}
