/**
 * Which columns an entity has in a CSV/XLSX file, and how an imported cell becomes an API value.
 * Files speak API names: relations as `<field>Id`, extension fields as ordinary columns; children,
 * many-to-many and computed fields are not part of flat files.
 */
import type { CompiledEntity, CompiledField } from '../../../../metadata/src/model';
import type { FieldError } from '../types';

export interface TabularColumn {
  /** Header text and record key. */
  key: string;
  field: CompiledField | null;
}

const EXPORTED_SYSTEM_COLUMNS = ['id', 'version', 'createdAt', 'updatedAt'];
const IMPORTABLE_SYSTEM_COLUMNS = new Set(['id', 'version']);

export function exportColumns(entity: CompiledEntity): TabularColumn[] {
  return [
    ...EXPORTED_SYSTEM_COLUMNS.map((key) => ({ key, field: null })),
    ...flatFields(entity).map((field) => ({ key: recordKey(field), field })),
  ];
}

/** Header → column for import; unknown headers are reported, not ignored, so typos never lose data. */
export function importColumns(
  entity: CompiledEntity,
  headers: string[],
): { columns: (TabularColumn | null)[]; errors: FieldError[] } {
  const byKey = new Map(flatFields(entity).map((field) => [recordKey(field), field]));
  const errors: FieldError[] = [];
  const columns = headers.map((raw, index) => {
    const header = raw.trim();
    if (header === '') return null;
    if (IMPORTABLE_SYSTEM_COLUMNS.has(header)) return { key: header, field: null };
    const field = byKey.get(header);
    if (field) return { key: header, field };
    errors.push({
      field: header,
      path: `/header/${index}`,
      rule: 'unknown',
      message: `Unknown column '${header}'`,
    });
    return null;
  });
  return { columns, errors };
}

function flatFields(entity: CompiledEntity): CompiledField[] {
  return entity.fields.filter((f) => (f.storage === 'column' || f.storage === 'ext') && !f.hidden);
}

function recordKey(field: CompiledField): string {
  return field.type === 'relation' ? `${field.apiName}Id` : field.apiName;
}

export type CellValue = string | number | boolean | Date | null | undefined;

export type Coerced = { ok: true; value: unknown } | { ok: false; rule: string; message: string };

/** Turns one cell into the API value for its column; empty cells are `undefined` (not sent). */
export function coerceCell(column: TabularColumn, cell: CellValue): Coerced {
  if (cell === null || cell === undefined || cell === '') return { ok: true, value: undefined };
  const type = column.field?.type ?? 'integer';
  switch (type) {
    case 'integer':
    case 'relation':
      return integerValue(cell);
    case 'decimal':
      return numberValue(cell);
    case 'boolean':
      return booleanValue(cell);
    case 'date':
      return cell instanceof Date
        ? { ok: true, value: cell.toISOString().slice(0, 10) }
        : { ok: true, value: String(cell).trim() };
    case 'datetime':
      return cell instanceof Date
        ? { ok: true, value: cell.toISOString() }
        : { ok: true, value: String(cell).trim() };
    case 'json':
    case 'file':
      return jsonValue(cell);
    default:
      return { ok: true, value: cell instanceof Date ? cell.toISOString() : String(cell) };
  }
}

function integerValue(cell: CellValue): Coerced {
  const value = typeof cell === 'number' ? cell : Number(String(cell).trim());
  return Number.isSafeInteger(value)
    ? { ok: true, value }
    : { ok: false, rule: 'type', message: `'${String(cell)}' is not an integer` };
}

function numberValue(cell: CellValue): Coerced {
  const value = typeof cell === 'number' ? cell : Number(String(cell).trim());
  return Number.isFinite(value)
    ? { ok: true, value }
    : { ok: false, rule: 'type', message: `'${String(cell)}' is not a number` };
}

function booleanValue(cell: CellValue): Coerced {
  if (typeof cell === 'boolean') return { ok: true, value: cell };
  const text = String(cell).trim().toLowerCase();
  if (['true', '1', 'yes', 'y'].includes(text)) return { ok: true, value: true };
  if (['false', '0', 'no', 'n'].includes(text)) return { ok: true, value: false };
  return { ok: false, rule: 'type', message: `'${String(cell)}' is not a boolean (true/false)` };
}

function jsonValue(cell: CellValue): Coerced {
  try {
    return { ok: true, value: JSON.parse(String(cell)) as unknown };
  } catch {
    return { ok: false, rule: 'type', message: `'${String(cell)}' is not valid JSON` };
  }
}
