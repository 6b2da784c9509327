import {
  addDays,
  addMonths,
  daysBetween,
  isDay,
  monthsAndEdges,
  parisDay,
  parseSpan,
  periodsOf,
  previousSpan,
  schoolYearStart,
  snapSpan,
  startOfWeek,
} from './calendar.js';

describe('Paris days', () => {
  it.each([
    // Winter (UTC+1): the day turns at 23:00 UTC.
    ['2026-01-15T22:59:59.999Z', '2026-01-15'],
    ['2026-01-15T23:00:00.000Z', '2026-01-16'],
    // Summer (UTC+2): at 22:00 UTC.
    ['2026-07-14T21:59:59.999Z', '2026-07-14'],
    ['2026-07-14T22:00:00.000Z', '2026-07-15'],
    // The spring change (29 March 2026, 02:00 → 03:00 local) and the autumn one (25 October 2026).
    ['2026-03-28T22:59:59.000Z', '2026-03-28'],
    ['2026-03-28T23:00:00.000Z', '2026-03-29'],
    ['2026-03-29T21:59:59.000Z', '2026-03-29'],
    ['2026-03-29T22:00:00.000Z', '2026-03-30'],
    ['2026-10-24T21:59:59.000Z', '2026-10-24'],
    ['2026-10-24T22:00:00.000Z', '2026-10-25'],
    ['2026-10-25T22:59:59.000Z', '2026-10-25'],
    ['2026-10-25T23:00:00.000Z', '2026-10-26'],
  ])('%s is %s in Paris', (instant, day) => {
    expect(parisDay(instant)).toBe(day);
    // Asked again (from the per-hour memory), the same answer.
    expect(parisDay(new Date(instant))).toBe(day);
  });

  it('refuses what is not an instant', () => {
    expect(() => parisDay('hier')).toThrow(RangeError);
  });
});

describe('calendar arithmetic', () => {
  it('knows real days only', () => {
    expect(isDay('2028-02-29')).toBe(true);
    expect(isDay('2026-02-29')).toBe(false);
    expect(isDay('2026-13-01')).toBe(false);
    expect(isDay('2026-1-01')).toBe(false);
    expect(isDay(20260101)).toBe(false);
  });

  it('adds days and months, and counts days between', () => {
    expect(addDays('2026-12-31', 1)).toBe('2027-01-01');
    expect(addDays('2026-03-01', -1)).toBe('2026-02-28');
    expect(addMonths('2026-11-15', 2)).toBe('2027-01-01');
    expect(addMonths('2026-01-31', -1)).toBe('2025-12-01');
    expect(daysBetween('2026-09-01', '2027-06-30')).toBe(302);
  });

  it('starts weeks on Monday', () => {
    expect(startOfWeek('2026-09-07')).toBe('2026-09-07'); // a Monday
    expect(startOfWeek('2026-09-13')).toBe('2026-09-07'); // Sunday
    expect(startOfWeek('2027-01-01')).toBe('2026-12-28');
  });

  it('snaps spans to whole periods and finds the same span before', () => {
    const weeks = snapSpan({ from: '2026-09-09', to: '2026-09-22' }, 'week');
    expect(weeks).toEqual({ from: '2026-09-07', to: '2026-09-27' });
    expect(periodsOf(weeks, 'week')).toEqual(['2026-09-07', '2026-09-14', '2026-09-21']);
    expect(previousSpan(weeks, 'week')).toEqual({ from: '2026-08-17', to: '2026-09-06' });

    const months = snapSpan({ from: '2026-09-15', to: '2026-11-02' }, 'month');
    expect(months).toEqual({ from: '2026-09-01', to: '2026-11-30' });
    expect(previousSpan(months, 'month')).toEqual({ from: '2026-06-01', to: '2026-08-31' });

    expect(previousSpan({ from: '2026-09-01', to: '2026-09-30' }, 'day')).toEqual({ from: '2026-08-02', to: '2026-08-31' });
  });

  it('cuts a span into whole months and the days at its edges', () => {
    expect(monthsAndEdges({ from: '2026-09-15', to: '2026-12-03' })).toEqual({
      months: ['2026-10-01', '2026-11-01'],
      edges: [
        { from: '2026-09-15', to: '2026-09-30' },
        { from: '2026-12-01', to: '2026-12-03' },
      ],
    });
    expect(monthsAndEdges({ from: '2026-09-01', to: '2026-09-30' })).toEqual({ months: ['2026-09-01'], edges: [] });
    expect(monthsAndEdges({ from: '2026-09-03', to: '2026-09-20' })).toEqual({ months: [], edges: [{ from: '2026-09-03', to: '2026-09-20' }] });
  });

  it('knows the school year', () => {
    expect(schoolYearStart('2026-09-01')).toBe('2026-09-01');
    expect(schoolYearStart('2027-06-30')).toBe('2026-09-01');
    expect(schoolYearStart('2026-08-31')).toBe('2025-09-01');
  });
});

describe('spans asked for', () => {
  const today = '2026-11-30';

  it('defaults to the 30 days up to today', () => {
    expect(parseSpan({}, today)).toEqual({ from: '2026-11-01', to: '2026-11-30', granularity: 'day' });
  });

  it('widens to whole periods', () => {
    expect(parseSpan({ from: '2026-09-15', to: '2026-10-10', granularity: 'month' }, today)).toEqual({
      from: '2026-09-01',
      to: '2026-10-31',
      granularity: 'month',
    });
  });

  it.each([
    [{ from: '2026-10-02', to: '2026-10-01' }, 'from'],
    [{ from: '2026-02-30' }, 'from'],
    [{ to: '30/11/2026' }, 'to'],
    [{ granularity: 'year' }, 'granularity'],
    [{ from: '2021-01-01', to: '2026-01-01' }, 'to'],
    [{ from: '1999-12-31' }, 'from'],
    [{ from: '9999-12-25', to: '9999-12-31', granularity: 'week' }, 'to'],
  ])('refuses %j, naming %s', (request, field) => {
    expect(() => parseSpan(request, today)).toThrow(expect.objectContaining({ code: 'VALIDATION', field }));
  });

  it('accepts a span just under five years, even from a 29 February', () => {
    expect(parseSpan({ from: '2021-01-01', to: '2025-12-31' }, today).to).toBe('2025-12-31');
    expect(parseSpan({ from: '2024-02-29', to: '2029-02-28' }, today).to).toBe('2029-02-28');
    expect(() => parseSpan({ from: '2024-02-29', to: '2029-03-01' }, today)).toThrow(expect.objectContaining({ field: 'to' }));
  });
});
