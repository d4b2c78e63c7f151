/**
 * Streamed export: rows are fetched in keyset pages through the EntityService (so tenancy and
 * every read rule apply) and written as they arrive; a whole table is never held in memory. Text
 * cells that a spreadsheet would run as a formula are neutralised in both formats.
 */
import { PassThrough, Readable } from 'node:stream';
import { once } from 'node:events';
import type ExcelJS from 'exceljs';
import type { CompiledEntity } from '../../../../metadata/src/model';
import type { EntityOperations, EntityRecord, ListQuery, RequestContext } from '../types';
import { csvRows } from './csv';
import { neutralizeFormula } from '../../../../metadata/src/formula-cells';
import { exportColumns, type TabularColumn } from './tabular-columns';

export const EXPORT_PAGE_SIZE = 500;

/** Pages of the query in keyset order until the service reports no next cursor. */
export async function* exportPages(
  operations: EntityOperations,
  entity: CompiledEntity,
  query: ListQuery,
  ctx: RequestContext,
): AsyncGenerator<EntityRecord[]> {
  let cursor: string | null = '';
  while (cursor !== null) {
    const page = await operations.list(
      entity.name,
      { ...query, page: null, cursor, pageSize: EXPORT_PAGE_SIZE, count: 'none' },
      ctx,
    );
    if (page.items.length > 0) yield page.items;
    cursor = page.nextCursor;
  }
}

export function csvExport(entity: CompiledEntity, pages: AsyncIterable<EntityRecord[]>): Readable {
  const columns = exportColumns(entity);
  return Readable.from(
    (async function* () {
      yield csvRows([columns.map((c) => c.key)]);
      for await (const page of pages) yield csvRows(page.map((record) => rowValues(columns, record)));
    })(),
  );
}

export function xlsxExport(entity: CompiledEntity, pages: AsyncIterable<EntityRecord[]>): Readable {
  const columns = exportColumns(entity);
  const output = new PassThrough();
  const workbook = new (excel().stream.xlsx.WorkbookWriter)({
    stream: output,
    useStyles: false,
    useSharedStrings: false,
  });
  const sheet = workbook.addWorksheet(entity.name);
  const write = async () => {
    sheet.addRow(columns.map((c) => c.key)).commit();
    for await (const page of pages) {
      for (const record of page) sheet.addRow(rowValues(columns, record).map(xlsxCell)).commit();
      if (output.writableNeedDrain) await once(output, 'drain');
    }
    sheet.commit();
    await workbook.commit();
  };
  write().catch((error: unknown) =>
    output.destroy(error instanceof Error ? error : new Error(String(error))),
  );
  return output;
}

function rowValues(columns: TabularColumn[], record: EntityRecord): unknown[] {
  return columns.map((column) => record[column.key]);
}

function xlsxCell(value: unknown): ExcelJS.CellValue {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') return neutralizeFormula(value);
  if (typeof value === 'number' || typeof value === 'boolean') return value;
  if (value instanceof Date) return value.toISOString();
  return neutralizeFormula(JSON.stringify(value));
}

/** exceljs (about 30 MB resident) is loaded with the first spreadsheet, not at startup. */
function excel(): typeof ExcelJS {
  return require('exceljs') as typeof ExcelJS;
}
