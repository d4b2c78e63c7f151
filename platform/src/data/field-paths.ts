import type { ColumnType, CompiledEntity, CompiledField, Model } from '../../../metadata/src/model';
import { SYSTEM_COLUMNS } from '../../../metadata/src/model';

/** A readable value of an entity reachable by API name: a system column, a column or an ext key. */
export interface LeafRef {
  entity: CompiledEntity;
  storage: 'column' | 'ext';
  /** Column name (storage column) or JSON key inside `ext` (storage ext). */
  name: string;
  columnType: ColumnType | undefined;
  /** Undefined for system columns. */
  field?: CompiledField;
  /** Storage ext: the promoted generated column holding the same value, read by filters and sorts. */
  generatedColumn?: string;
}

/** `item.itemType.code`: the relations walked, then the value read on the last entity. */
export interface ResolvedPath {
  relations: CompiledField[];
  leaf: LeafRef;
}

/** System columns the API exposes (tenant and ext are internal). */
const EXPOSED_SYSTEM = SYSTEM_COLUMNS.filter((c) => c.column !== 'tenant_id' && c.column !== 'ext');

export const EXT_COLUMN_TYPES: Partial<Record<string, ColumnType>> = {
  integer: 'int',
  decimal: 'decimal',
  boolean: 'boolean',
  date: 'date',
  datetime: 'datetime',
};

/** The value of one API name on an entity, without walking relations. */
export function resolveLeaf(entity: CompiledEntity, apiName: string): LeafRef | null {
  const system = EXPOSED_SYSTEM.find((c) => c.apiName === apiName);
  if (system) return { entity, storage: 'column', name: system.column, columnType: system.columnType };
  const field =
    entity.fieldsByApiName.get(apiName) ??
    (apiName.endsWith('Id') ? relationByProperty(entity, apiName) : undefined);
  if (!field) return null;
  if (field.storage === 'column' && field.column) {
    return { entity, storage: 'column', name: field.column, columnType: field.columnType, field };
  }
  if (field.storage === 'ext') {
    const columnType = EXT_COLUMN_TYPES[field.type];
    const leaf: LeafRef = { entity, storage: 'ext', name: field.name, columnType, field };
    if (field.promotedColumn) leaf.generatedColumn = field.promotedColumn;
    return leaf;
  }
  return null;
}

function relationByProperty(entity: CompiledEntity, property: string): CompiledField | undefined {
  const field = entity.fieldsByApiName.get(property.slice(0, -2));
  return field?.type === 'relation' ? field : undefined;
}

/** Resolves an API name or a dot path through relations; null when any segment is unknown. */
export function resolvePath(model: Model, entity: CompiledEntity, path: string): ResolvedPath | null {
  const segments = path.split('.');
  const relations: CompiledField[] = [];
  let current = entity;
  for (const segment of segments.slice(0, -1)) {
    const field = current.fieldsByApiName.get(segment);
    const target = field?.relation ? model.entities.get(field.relation.target) : undefined;
    if (!field || field.storage !== 'column' || !target) return null;
    relations.push(field);
    current = target;
  }
  const leaf = resolveLeaf(current, segments[segments.length - 1]);
  return leaf ? { relations, leaf } : null;
}
