/**
 * Turns a read table into bulk rows for the EntityService, collecting every header and cell error
 * with its spreadsheet row number, so a dry run reports all problems at once.
 */
import type { CompiledEntity, Model } from '../../../../metadata/src/model';
import { runtimeOf } from '../../kernel/model-runtime';
import type { BulkRequest, EntityRecord, FieldError, RowError } from '../types';
import type { NumberedRow } from './csv';
import { coerceCell, importColumns, type CellValue } from './tabular-columns';

export interface ImportRows {
  rows: EntityRecord[];
  /** File row number of each entry in `rows`. */
  fileRows: number[];
  errors: RowError[];
}

const FIRST_ROW = 1;

/** The first row with a value is the header; rows keep their spreadsheet numbers for error reports. */
export function toImportRows(entity: CompiledEntity, table: NumberedRow<CellValue>[]): ImportRows {
  const [header = { number: FIRST_ROW, cells: [] }, ...data] = table;
  const headerRow = header.number;
  const headers = header.cells.map((cell) => (cell === null || cell === undefined ? '' : String(cell)));
  const { columns, errors: headerErrors } = importColumns(entity, headers);
  const errors: RowError[] = [];
  if (headers.every((h) => h.trim() === '')) {
    errors.push(
      rowError(headerRow, [
        { field: '', path: '/header', rule: 'required', message: 'The file has no header row' },
      ]),
    );
  } else if (headerErrors.length > 0) {
    errors.push(rowError(headerRow, headerErrors));
  }
  const rows: EntityRecord[] = [];
  const fileRows: number[] = [];
  data.forEach(({ number: fileRow, cells }) => {
    const record: EntityRecord = {};
    const cellErrors: FieldError[] = [];
    columns.forEach((column, position) => {
      if (!column) return;
      const coerced = coerceCell(column, cells[position]);
      if (!coerced.ok) {
        cellErrors.push({
          field: column.key,
          path: `/${fileRow}/${column.key}`,
          rule: coerced.rule,
          message: coerced.message,
        });
      } else if (coerced.value !== undefined) {
        record[column.key] = coerced.value;
      }
    });
    if (cellErrors.length > 0) errors.push(rowError(fileRow, cellErrors));
    rows.push(record);
    fileRows.push(fileRow);
  });
  return { rows, fileRows, errors };
}

/**
 * Every problem of an import before anything is written: the cell errors, plus the engine validators
 * run on each row whose cells converted. Row numbers are file row numbers.
 */
export function checkImportRows(
  model: Model,
  entity: string,
  mode: BulkRequest['mode'],
  imported: ImportRows,
): RowError[] {
  const badCells = new Set(imported.errors.map((e) => e.row));
  const candidates = imported.rows
    .map((row, index) => ({ row, fileRow: imported.fileRows[index] }))
    .filter(({ fileRow }) => !badCells.has(fileRow));
  const invalid = validateImportRows(
    model,
    entity,
    mode,
    candidates.map((c) => c.row),
  ).map((error) => ({
    ...error,
    row: candidates[error.row].fileRow,
  }));
  return [...imported.errors, ...invalid].sort((a, b) => a.row - b.row);
}

/**
 * Checks every row with the engine's precompiled create/patch validators (types, required,
 * limits, enums, unknown and readonly properties) without touching the database. Uniqueness and
 * relation targets are checked only by the real write. Row numbers are 0-based indexes into `rows`.
 */
function validateImportRows(
  model: Model,
  entity: string,
  mode: BulkRequest['mode'],
  rows: EntityRecord[],
): RowError[] {
  const runtime = runtimeOf(model).entity(entity);
  const errors: RowError[] = [];
  rows.forEach((row, index) => {
    const asUpdate = mode === 'update' || (mode === 'upsert' && row.id !== undefined);
    const fieldErrors = asUpdate ? runtime.validatePatch(withoutId(row)) : runtime.validateCreate(row);
    if (fieldErrors.length > 0) errors.push(rowError(index, fieldErrors));
  });
  return errors;
}

function withoutId(row: EntityRecord): EntityRecord {
  const { id: _id, ...rest } = row;
  return rest;
}

/** Renumbers the service's per-row errors (0-based index into `rows`) to file row numbers. */
export function toFileRowErrors(serviceErrors: RowError[], fileRows: number[]): RowError[] {
  return serviceErrors.map((error) => ({ ...error, row: fileRows[error.row] ?? error.row }));
}

function rowError(row: number, errors: FieldError[]): RowError {
  return { row, code: 'VALIDATION_FAILED', message: errors.map((e) => e.message).join('; '), errors };
}
