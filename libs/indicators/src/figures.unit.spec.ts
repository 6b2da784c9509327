import { emptyFigures, FIGURE_FIELDS, hoursOf, maskPeople, median, parseFigureField } from './figures.js';
import { CSV_BOM, csvField, toCsv } from './csv.js';

describe('figures', () => {
  it('lists the fields of API.md, in order', () => {
    expect(FIGURE_FIELDS).toEqual([
      'topics', 'replies', 'contributors', 'newMembers', 'documents', 'revisions',
      'faqPublished', 'views', 'uniqueVisitors', 'unansweredTopics', 'medianFirstReplyHours',
    ]);
    expect(Object.keys(emptyFigures()).sort()).toEqual([...FIGURE_FIELDS].sort());
    expect(() => parseFigureField('likes')).toThrow(expect.objectContaining({ code: 'VALIDATION', field: 'field' }));
  });

  it('takes the median (mean of the middle two for an even count) and rounds hours to a tenth', () => {
    expect(median([])).toBeNull();
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 10])).toBe(3.5);
    // Selection agrees with a sort on random, sorted, reversed and repetitive lists of every parity.
    let seed = 7;
    const random = (): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const sorted = (values: number[]): number => {
      const s = [...values].sort((a, b) => a - b);
      const m = Math.floor(s.length / 2);
      return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
    };
    for (let n = 1; n <= 60; n++) {
      const values = Array.from({ length: n }, () => Math.floor(random() * (n % 3 === 0 ? 4 : 1e6)));
      for (const list of [values, [...values].sort((a, b) => a - b), [...values].sort((a, b) => b - a)]) expect(median(list)).toBe(sorted(list));
    }
    const big = Array.from({ length: 50_001 }, () => Math.floor(random() * 86_400_000));
    expect(median(big)).toBe(sorted(big));
    expect(median(big.slice(1))).toBe(sorted(big.slice(1)));
    expect(hoursOf(5400)).toBe(1.5);
    expect(hoursOf(3600 * 26 + 100)).toBe(26);
    expect(hoursOf(null)).toBeNull();
  });

  it('masks every count of people under 5, zero included, and nothing else', () => {
    const masked = maskPeople({ ...emptyFigures(), contributors: 4, newMembers: 0, uniqueVisitors: 5, topics: 2, views: 1 });
    expect(masked).toMatchObject({ contributors: '< 5', newMembers: '< 5', uniqueVisitors: 5, topics: 2, views: 1 });
  });
});

describe('CSV for French spreadsheets', () => {
  it('writes a BOM, semicolons, decimal commas and CRLF, quoting what needs it', () => {
    const csv = toCsv({ header: ['key', 'label', 'hours'], rows: [['06', 'Alpes; Maritimes', 3.5], ['83', 'Var "sud"', null]] });
    expect(csv.startsWith(CSV_BOM)).toBe(true);
    expect(csv.slice(1)).toBe('key;label;hours\r\n06;"Alpes; Maritimes";3,5\r\n83;"Var ""sud""";\r\n');
  });

  it('defuses formulas and keeps "< 5" as text', () => {
    expect(csvField('=HYPERLINK("x")')).toBe(`"'=HYPERLINK(""x"")"`);
    expect(csvField('< 5')).toBe('< 5');
    expect(csvField(-2)).toBe('-2');
  });

  it('puts several tables one after the other, each with its title', () => {
    const csv = toCsv([
      { title: 'A', header: ['x'], rows: [[1]] },
      { title: 'B', header: ['y'], rows: [[2.25]] },
    ]);
    expect(csv.slice(1)).toBe('A\r\nx\r\n1\r\n\r\nB\r\ny\r\n2,25\r\n');
  });

  it('refuses a row that does not fit its header', () => {
    expect(() => toCsv({ header: ['a', 'b'], rows: [[1]] })).toThrow(/header/);
  });
});
