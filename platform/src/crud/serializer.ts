import type { CompiledField } from '../../../metadata/src/model';
import type { DbRow } from '../data/row-store';
import { fromDbValue } from '../data/values';
import type { EntityRuntime } from '../kernel/model-runtime';
import { openSensitive } from '../security/crypto/sensitive-fields';
import type { EntityRecord } from './types';

/** Whether an extension field applies to a tenant (extension fields may be registered per tenant). */
export function extAppliesTo(field: CompiledField, tenantId: string): boolean {
  return !field.tenants || field.tenants.includes(tenantId);
}

export function parseExt(value: unknown): Record<string, unknown> {
  if (value === null || value === undefined) return {};
  const parsed = typeof value === 'string' ? (JSON.parse(value) as unknown) : value;
  return parsed && typeof parsed === 'object' && !Array.isArray(parsed)
    ? (parsed as Record<string, unknown>)
    : {};
}

/** Stored row → API record (relations as `<name>Id`, extension fields as ordinary properties). */
export function serializeRow(rt: EntityRuntime, row: DbRow, tenantId: string): EntityRecord {
  const record: EntityRecord = {};
  for (const system of rt.entity.systemColumns) {
    if (system.column === 'tenant_id' || system.column === 'ext' || !(system.column in row)) continue;
    record[system.apiName] = fromDbValue(system.columnType, row[system.column]);
  }
  for (const field of rt.columnFields) {
    if (!field.column || !(field.column in row)) continue;
    const property = field.type === 'relation' ? `${field.apiName}Id` : field.apiName;
    record[property] = openSensitive(field, fromDbValue(field.columnType, row[field.column]));
  }
  if ('ext' in row) {
    const ext = parseExt(row.ext);
    for (const field of rt.extFields) {
      if (extAppliesTo(field, tenantId)) record[field.apiName] = ext[field.name] ?? null;
    }
  }
  return record;
}

/**
 * Keeps `id`, `version` and the requested fields. `item` or `item.name` keeps `itemId` and the
 * expanded `item` (trimmed to the requested nested fields).
 */
export function pickFields(rt: EntityRuntime, record: EntityRecord, fields: string[]): EntityRecord {
  const picked: EntityRecord = { id: record.id, version: record.version };
  const nested = new Map<string, string[]>();
  for (const path of fields) {
    const [head, ...rest] = path.split('.');
    const field = rt.entity.fieldsByApiName.get(head);
    if (rest.length > 0) nested.set(head, [...(nested.get(head) ?? []), rest[0]]);
    if (field?.type === 'relation') picked[`${head}Id`] = record[`${head}Id`];
    if (field?.storage === 'many') picked[`${head}Ids`] = record[`${head}Ids`];
    if (head in record) picked[head] = record[head];
  }
  for (const [head, names] of nested) {
    picked[head] = trimNested(picked[head], names);
  }
  return picked;
}

function trimNested(value: unknown, names: string[]): unknown {
  const trim = (item: unknown): unknown => {
    if (!item || typeof item !== 'object') return item;
    const source = item as EntityRecord;
    return Object.fromEntries([['id', source.id], ...names.map((n) => [n, source[n]])]);
  };
  return Array.isArray(value) ? value.map(trim) : trim(value);
}
