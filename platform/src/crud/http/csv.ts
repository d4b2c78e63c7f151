/**
 * RFC 4180 CSV: a line writer for streamed export and a parser for import. Fields containing a
 * comma, quote, CR or LF are quoted with quotes doubled; the parser accepts CRLF or LF line ends and
 * a leading UTF-8 byte order mark (Excel writes one); rows with no value (`,,,`) are skipped.
 */

export function csvLine(values: readonly unknown[]): string {
  return `${values.map(csvField).join(',')}\r\n`;
}

function csvField(value: unknown): string {
  if (value === null || value === undefined) return '';
  const text =
    value instanceof Date
      ? value.toISOString()
      : typeof value === 'object'
        ? JSON.stringify(value)
        : String(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export class CsvSyntaxError extends Error {
  constructor(
    readonly line: number,
    message: string,
  ) {
    super(`CSV line ${line}: ${message}`);
  }
}

/** One record of a table file with its 1-based record number (as a spreadsheet numbers rows). */
export interface NumberedRow<T> {
  number: number;
  cells: T[];
}

/** Parses the whole text into rows of cells; rows without any value are skipped. */
export function parseCsv(input: string): string[][] {
  return parseCsvRecords(input).map((row) => row.cells);
}

/** Like parseCsv, keeping each row's record number so errors can point at the right row. */
export function parseCsvRecords(input: string): NumberedRow<string>[] {
  const text = input.charCodeAt(0) === 0xfeff ? input.slice(1) : input;
  const rows: NumberedRow<string>[] = [];
  let record = 1;
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  let line = 1;
  let cellStarted = false;
  const endRow = () => {
    row.push(cell);
    if (row.some((value) => value !== '')) rows.push({ number: record, cells: row });
    record++;
    row = [];
    cell = '';
    cellStarted = false;
  };
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (ch === '"') {
        quoted = false;
        const next = text[i + 1];
        if (next !== undefined && next !== ',' && next !== '\r' && next !== '\n') {
          throw new CsvSyntaxError(line, 'unexpected character after a closing quote');
        }
      } else {
        if (ch === '\n') line++;
        cell += ch;
      }
      continue;
    }
    if (ch === '"' && !cellStarted) {
      quoted = true;
      cellStarted = true;
    } else if (ch === ',') {
      row.push(cell);
      cell = '';
      cellStarted = false;
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      endRow();
      line++;
    } else {
      cell += ch;
      cellStarted = true;
    }
  }
  if (quoted) throw new CsvSyntaxError(line, 'unterminated quoted field');
  if (cell !== '' || row.length > 0) endRow();
  return rows;
}
