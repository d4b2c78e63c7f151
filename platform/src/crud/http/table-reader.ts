/**
 * Reads an uploaded CSV or XLSX file into rows of cells (first row = headers). XLSX cells keep
 * their native types (numbers, booleans, dates); formula cells yield their cached result. Text cells
 * lose the apostrophe export puts before formula-like text, so an exported file imports back as is.
 */
import type ExcelJS from 'exceljs';
import { BadRequestError } from '../errors';
import { CsvSyntaxError, parseCsvRecords, type NumberedRow } from './csv';
import { restoreFormulaText } from '../../../../metadata/src/formula-cells';
import type { CellValue } from './tabular-columns';

export type TableFormat = 'csv' | 'xlsx';

export const CSV_CONTENT_TYPE = 'text/csv';
export const XLSX_CONTENT_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

/** Rows with a value, each with its spreadsheet row number (the header is normally row 1). */
export async function readTable(body: Buffer, format: TableFormat): Promise<NumberedRow<CellValue>[]> {
  const rows = await readCells(body, format);
  return rows.map(({ number, cells }) => ({
    number,
    cells: cells.map((cell) => (typeof cell === 'string' ? restoreFormulaText(cell) : cell)),
  }));
}

async function readCells(body: Buffer, format: TableFormat): Promise<NumberedRow<CellValue>[]> {
  if (format === 'csv') {
    try {
      return parseCsvRecords(body.toString('utf8'));
    } catch (error) {
      if (error instanceof CsvSyntaxError) throw new BadRequestError(error.message, { line: error.line });
      throw error;
    }
  }
  return readXlsx(body);
}

async function readXlsx(body: Buffer): Promise<NumberedRow<CellValue>[]> {
  const workbook = new (excel().Workbook)();
  try {
    await workbook.xlsx.load(body as unknown as ArrayBuffer);
  } catch (error) {
    throw new BadRequestError(`Not a readable XLSX file: ${(error as Error).message}`);
  }
  const sheet = workbook.worksheets[0];
  if (!sheet) throw new BadRequestError('The XLSX file has no worksheet');
  const rows: NumberedRow<CellValue>[] = [];
  sheet.eachRow({ includeEmpty: false }, (row) => {
    const cells: CellValue[] = [];
    for (let column = 1; column <= row.cellCount; column++) cells.push(cellValue(row.getCell(column).value));
    if (cells.some((cell) => cell !== null && cell !== '')) rows.push({ number: row.number, cells });
  });
  return rows;
}

function cellValue(value: ExcelJS.CellValue): CellValue {
  if (value === null || value === undefined) return null;
  if (
    typeof value === 'string' ||
    typeof value === 'number' ||
    typeof value === 'boolean' ||
    value instanceof Date
  )
    return value;
  if ('result' in value) return cellValue(value.result as ExcelJS.CellValue);
  if ('richText' in value) return value.richText.map((part) => part.text).join('');
  if ('text' in value) return String(value.text);
  if ('error' in value) return null;
  return null;
}

/** exceljs (about 30 MB resident) is loaded with the first spreadsheet, not at startup. */
function excel(): typeof ExcelJS {
  return require('exceljs') as typeof ExcelJS;
}
