/*
 * CSV as a French spreadsheet opens it without an import dialog: UTF-8 with a byte-order mark
 * (so accents survive), `;` between fields, a decimal comma, CRLF line ends (RFC 4180).
 */

export type CsvValue = string | number | null | undefined;

/** A table: its header and its rows, each as long as the header. */
export interface CsvTable {
  /** Written on a line of its own before the header when a document holds several tables. */
  title?: string;
  header: readonly string[];
  rows: readonly (readonly CsvValue[])[];
}

export const CSV_BOM = '\uFEFF';
export const CSV_SEPARATOR = ';';
export const CSV_CONTENT_TYPE = 'text/csv; charset=utf-8';

/** A number with a decimal comma and no thousands separator (spreadsheets read `1234,5`). */
function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return '';
  return String(value).replace('.', ',');
}

/** A field, quoted when it holds the separator, a quote, a line break or leading/trailing blanks. */
export function csvField(value: CsvValue): string {
  if (value === null || value === undefined) return '';
  const text = typeof value === 'number' ? formatNumber(value) : value;
  // A leading =, +, - or @ makes spreadsheets evaluate a formula: prefix it with a quote mark (OWASP).
  const safe = typeof value === 'string' && /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
  return /[;"\r\n]|^\s|\s$/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

function tableLines(table: CsvTable): string[] {
  const lines: string[] = [];
  if (table.title !== undefined) lines.push(csvField(table.title));
  lines.push(table.header.map(csvField).join(CSV_SEPARATOR));
  for (const row of table.rows) {
    if (row.length !== table.header.length) throw new Error(`CSV row of ${row.length} fields under a header of ${table.header.length}`);
    lines.push(row.map(csvField).join(CSV_SEPARATOR));
  }
  return lines;
}

/** The document: BOM, then each table (separated by an empty line), CRLF line ends. */
export function toCsv(tables: CsvTable | readonly CsvTable[]): string {
  const list = Array.isArray(tables) ? (tables as readonly CsvTable[]) : [tables as CsvTable];
  return CSV_BOM + list.map((table) => tableLines(table).join('\r\n')).join('\r\n\r\n') + '\r\n';
}
