/**
 * RFC 4180 CSV through csv-stringify and csv-parse. Written files use CRLF line ends and quote fields
 * containing a comma, quote, CR or LF; string cells that a spreadsheet would run as a formula are
 * neutralised. Read files may use CRLF, LF or CR line ends and a leading UTF-8 byte order mark (Excel
 * writes one); rows with no value (`,,,`) are skipped but keep their place in the row numbering.
 */
import { CsvError, parse } from 'csv-parse/sync';
import { stringify, type Options as StringifyOptions } from 'csv-stringify/sync';
import { neutralizeFormula } from '../../../../metadata/src/formula-cells';

const WRITE_OPTIONS: StringifyOptions = {
  record_delimiter: 'windows',
  quote_record_delimiter: true,
  cast: {
    string: neutralizeFormula,
    boolean: (value) => (value ? 'true' : 'false'),
    date: (value) => value.toISOString(),
    object: (value) => JSON.stringify(value),
  },
};

/** The CSV text of these rows, each ending in CRLF. */
export function csvRows(rows: readonly (readonly unknown[])[]): string {
  return rows.length === 0 ? '' : stringify(rows as unknown[][], WRITE_OPTIONS);
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
  let records: { record: string[]; info: { records: number } }[];
  try {
    records = parse(input, {
      bom: true,
      info: true,
      relax_column_count: true,
      record_delimiter: ['\r\n', '\n', '\r'],
    }) as unknown as typeof records;
  } catch (error) {
    if (error instanceof CsvError) throw new CsvSyntaxError(Number(error.lines), error.message);
    throw error;
  }
  return records
    .filter(({ record }) => record.some((value) => value !== ''))
    .map(({ record, info }) => ({ number: info.records, cells: record }));
}
