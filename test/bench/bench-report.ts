import type { Backend, BenchConfig, Impl } from './bench-config.js';

export type LineId = 'append1' | 'appendN' | 'batch' | 'readAll' | 'catchUp';
export const LINE_IDS: readonly LineId[] = ['append1', 'appendN', 'batch', 'readAll', 'catchUp'];

/** One implementation on one line: the median round, and what else was seen. */
export interface Measurement {
  backend: Backend;
  impl: Impl;
  line: LineId;
  /** Operations per second (appends/s on the single-event lines, events/s elsewhere). */
  rate?: number;
  /** Every round's rate; `rate` is their median. */
  rounds: number[];
  /** Appends (single-event lines) or events (others) done in the median round. */
  count?: number;
  ms?: number;
  /** Whole-machine CPU busy share during the median round, 0..1. */
  machineBusy?: number;
  loadAverage?: number;
  /** Commits the store reported for the timed appends (ours only). */
  commits?: number;
  /** Appends retried after SQLITE_BUSY (Emmett's SQLite store). */
  retries?: number;
  error?: string;
  /** Anything else the report should say about this figure. */
  notes?: string[];
  /** The read stopped at its time budget: the rate covers only part of the log. */
  partial?: boolean;
}

/** Absolute floors of the task, per backend and line (events or appends per second). */
const FLOORS: Record<Backend, Partial<Record<LineId, number>>> = {
  sqlite: { appendN: 5_000, batch: 150_000, catchUp: 100_000 },
  postgres: { appendN: 8_000, batch: 60_000, catchUp: 50_000 },
};
const EMMETT_FACTOR = 1.5;

export interface LineSummary {
  backend: Backend;
  line: LineId;
  title: string;
  unit: string;
  ours?: number;
  emmett?: number;
  raw?: number;
  oursToEmmett?: number;
  oursToRaw?: number;
  emmettVerdict: 'PASS' | 'MISS' | 'n/a';
  floor?: number;
  floorVerdict: 'PASS' | 'MISS' | 'n/a' | '-';
  /** Implementations whose figure covers only part of the work (marked * in the table). */
  partial: Impl[];
  notes: string[];
}

export function lineTitle(line: LineId, config: BenchConfig): { title: string; unit: string } {
  switch (line) {
    case 'append1':
      return { title: 'single-event appends, 1 caller', unit: 'appends/s' };
    case 'appendN':
      return { title: `single-event appends, ${config.callers} callers`, unit: 'appends/s' };
    case 'batch':
      return { title: `${config.batchSize}-event batch appends`, unit: 'events/s' };
    case 'readAll':
      return { title: `readAll, pages of ${config.pageSize.toLocaleString('en-US')}`, unit: 'events/s' };
    case 'catchUp':
      return { title: `catch-up subscription over ${config.events.toLocaleString('en-US')} events`, unit: 'events/s' };
  }
}

export function summarize(measurements: readonly Measurement[], config: BenchConfig): LineSummary[] {
  const summaries: LineSummary[] = [];
  for (const backend of config.backends) {
    for (const line of LINE_IDS) {
      const of = (impl: Impl) => measurements.find((m) => m.backend === backend && m.line === line && m.impl === impl);
      const ours = of('ours');
      const emmett = of('emmett');
      const raw = of('raw');
      const { title, unit } = lineTitle(line, config);
      const floor = FLOORS[backend][line];
      const oursToEmmett = ours?.rate !== undefined && emmett?.rate ? ours.rate / emmett.rate : undefined;
      const oursToRaw = ours?.rate !== undefined && raw?.rate ? ours.rate / raw.rate : undefined;
      const notes: string[] = [];
      for (const m of [ours, emmett, raw]) {
        if (m?.error) notes.push(`${m.impl} failed: ${m.error}`);
      }
      if (ours?.commits !== undefined && ours.count !== undefined && (line === 'append1' || line === 'appendN' || line === 'batch')) {
        const appends = line === 'batch' ? ours.count / config.batchSize : ours.count;
        notes.push(`ours: ${appends.toLocaleString('en-US')} appends in ${ours.commits.toLocaleString('en-US')} commits`);
      }
      for (const m of [ours, emmett, raw]) notes.push(...(m?.notes ?? []));
      if (emmett?.retries) notes.push(`emmett: ${emmett.retries.toLocaleString('en-US')} appends retried after SQLITE_BUSY`);
      summaries.push({
        backend,
        line,
        title,
        unit,
        ours: ours?.rate,
        emmett: emmett?.rate,
        raw: raw?.rate,
        oursToEmmett,
        oursToRaw,
        emmettVerdict: oursToEmmett === undefined ? 'n/a' : oursToEmmett >= EMMETT_FACTOR ? 'PASS' : 'MISS',
        floor,
        floorVerdict: floor === undefined ? '-' : ours?.rate === undefined ? 'n/a' : ours.rate >= floor ? 'PASS' : 'MISS',
        partial: [ours, emmett, raw].flatMap((m) => (m?.partial ? [m.impl] : [])),
        notes,
      });
    }
  }
  return summaries;
}

const fmtRate = (value: number | undefined): string => (value === undefined ? '-' : Math.round(value).toLocaleString('en-US'));
const fmtRatio = (value: number | undefined): string => (value === undefined ? '-' : `${value.toFixed(2)}×`);

/** The table, as Markdown so that it reads in a terminal and pastes into a document. */
export function renderTable(summaries: readonly LineSummary[]): string {
  const header = [
    'backend',
    'line',
    'unit',
    'ours',
    'Emmett',
    'raw limit',
    'ours/Emmett',
    'ours/raw',
    '≥1.5× Emmett',
    'target',
    'target met',
  ];
  const rows = summaries.map((s) => [
    s.backend === 'sqlite' ? 'SQLite' : 'PostgreSQL',
    s.title,
    s.unit,
    fmtRate(s.ours) + (s.partial.includes('ours') ? '*' : ''),
    fmtRate(s.emmett) + (s.partial.includes('emmett') ? '*' : ''),
    fmtRate(s.raw) + (s.partial.includes('raw') ? '*' : ''),
    fmtRatio(s.oursToEmmett),
    fmtRatio(s.oursToRaw),
    s.emmettVerdict,
    s.floor === undefined ? '-' : `≥ ${s.floor.toLocaleString('en-US')}`,
    s.floorVerdict,
  ]);
  const numeric = new Set([3, 4, 5, 6, 7]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const cell = (text: string, i: number) => (numeric.has(i) ? text.padStart(widths[i]) : text.padEnd(widths[i]));
  const line = (cells: string[]) => `| ${cells.map(cell).join(' | ')} |`;
  const rule = `|${widths.map((w, i) => (numeric.has(i) ? `${'-'.repeat(w + 1)}:` : '-'.repeat(w + 2))).join('|')}|`;
  return [line(header), rule, ...rows.map(line)].join('\n');
}

export function renderNotes(summaries: readonly LineSummary[]): string {
  const lines: string[] = [];
  for (const s of summaries) {
    for (const note of s.notes) lines.push(`- ${s.backend === 'sqlite' ? 'SQLite' : 'PostgreSQL'}, ${s.title}: ${note}`);
  }
  return lines.join('\n');
}
