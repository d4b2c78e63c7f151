/**
 * The list mapping: an entity's list declaration (and its named views) as the list screen uses it —
 * columns with their relation display, the default sort and filters in the API's syntax, filter
 * operators and enum options, search fields and page size. One mapping for everything that renders
 * lists: `mes generate` writes it to ui-runtime/src/generated/lists, and the server serves it for the
 * current Model (so a published change reaches the list without a rebuild). Pure: it reads the
 * compiled Model only.
 */
import type { I18nText, ListViewDef } from '../types';
import { camelCase, type CompiledEntity, type CompiledField, type Model } from '../model';
import { apiPropertyOf } from '../model/api-schema';
import { enumOptions } from '../forms/enum-options';

/** Filter operators the list screen offers; each is one the API's `filter[field][op]=` parses. */
export type ListFilterOperator = 'eq' | 'contains' | 'startsWith' | 'in' | 'gte' | 'lte' | 'between';

/** A relation column or filter expands its target and shows the target's display field. */
export interface ListRelationDisplay {
  expand?: string;
  display?: string;
  targetPath?: string;
}

export interface ListColumn extends ListRelationDisplay {
  /** The record property (`itemId` for a relation). */
  field: string;
  label: I18nText;
  type: string;
  sortable: boolean;
  align: 'left' | 'right';
  masked?: true;
}

export interface ListFilter extends ListRelationDisplay {
  field: string;
  label: I18nText;
  type: string;
  operators: ListFilterOperator[];
  options?: ReturnType<typeof enumOptions>;
}

/** One view of a list: the default one or a named one. */
export interface ListView {
  viewLabel?: I18nText;
  columns: ListColumn[];
  /** Sort terms in the API's `sort=` syntax (`-plannedStart`). */
  defaultSort: string[];
  filters: ListFilter[];
  /** Properties the list's search box matches. */
  search: string[];
  pageSize: number;
}

/** What a list definition holds: the entity, its API path, its plural label, the default view and the named ones. */
export interface ListDocument extends ListView {
  entity: string;
  path: string;
  label: I18nText;
  views: Record<string, ListView>;
}

const DEFAULT_PAGE_SIZE = 20;
const DEFAULT_SORT = '-id';

/** System columns a list may show, filter or sort by, in the shape of the fields they stand beside. */
const SYSTEM_FIELDS: Record<string, { property: string; type: string; label: I18nText }> = {
  id: { property: 'id', type: 'integer', label: { en: 'ID', zh: 'ID' } },
  created_at: { property: 'createdAt', type: 'datetime', label: { en: 'Created at', zh: '创建时间' } },
  created_by: { property: 'createdBy', type: 'string', label: { en: 'Created by', zh: '创建人' } },
  updated_at: { property: 'updatedAt', type: 'datetime', label: { en: 'Updated at', zh: '更新时间' } },
  updated_by: { property: 'updatedBy', type: 'string', label: { en: 'Updated by', zh: '更新人' } },
};

/** Filter operators per field type. */
const OPERATORS: Record<string, ListFilterOperator[]> = {
  string: ['eq', 'contains', 'startsWith', 'in'],
  text: ['contains'],
  integer: ['eq', 'gte', 'lte', 'between'],
  decimal: ['eq', 'gte', 'lte', 'between'],
  boolean: ['eq'],
  date: ['eq', 'gte', 'lte', 'between'],
  datetime: ['gte', 'lte', 'between'],
  enum: ['eq', 'in'],
  relation: ['eq', 'in'],
};

/** A field or system column as a list uses it. */
interface ListField {
  property: string;
  label: I18nText;
  type: string;
  sortable: boolean;
  field?: CompiledField;
}

/**
 * The list definition of an entity in a Model. A list names declared fields (the validator's rule),
 * so it is the same for every tenant: extension fields are no list columns.
 */
export function listDocument(model: Model, entity: CompiledEntity): ListDocument {
  const mapView = (def: ListViewDef) => listView(model, entity, def);
  return {
    entity: entity.name,
    path: entity.path,
    label: entity.pluralLabel,
    ...mapView(entity.list),
    views: Object.fromEntries(
      Object.keys(entity.views)
        .sort()
        .map((name) => [name, mapView(entity.views[name])]),
    ),
  };
}

function listView(model: Model, entity: CompiledEntity, def: ListViewDef): ListView {
  const fieldOf = (name: string) => listField(entity, name);
  const present = (f: ListField | undefined): f is ListField => f !== undefined;
  const sorts =
    def.defaultSort === undefined
      ? [DEFAULT_SORT]
      : Array.isArray(def.defaultSort)
        ? def.defaultSort
        : [def.defaultSort];
  return {
    ...(def.label ? { viewLabel: def.label } : {}),
    columns: def.columns
      .map(fieldOf)
      .filter(present)
      .map((f) => column(model, f)),
    defaultSort: sorts.flatMap((sort) => {
      const descending = sort.startsWith('-');
      const f = fieldOf(descending ? sort.slice(1) : sort);
      return f ? [`${descending ? '-' : ''}${f.property}`] : [];
    }),
    filters: (def.filters ?? [])
      .map(fieldOf)
      .filter(present)
      .map((f) => filter(model, f)),
    search: (def.search ?? [])
      .map(fieldOf)
      .filter(present)
      .map((f) => f.property),
    pageSize: def.pageSize ?? DEFAULT_PAGE_SIZE,
  };
}

/**
 * The field or system column a list names; undefined for a path through a relation
 * (`line.plant.name`), which the list screen does not show as a column, filter or sort of its own.
 */
function listField(entity: CompiledEntity, name: string): ListField | undefined {
  const found = entity.fieldsByName.get(name);
  if (found) {
    return {
      property: apiPropertyOf(found),
      label: found.label,
      type: found.type,
      sortable: found.storage === 'column',
      field: found,
    };
  }
  const system = SYSTEM_FIELDS[name];
  if (system) return { ...system, sortable: true };
  if (name.includes('.')) return undefined;
  throw new Error(`List of ${entity.name} names unknown field '${name}'`);
}

function column(model: Model, f: ListField): ListColumn {
  return {
    field: f.property,
    label: f.label,
    type: f.type,
    sortable: f.sortable,
    align: f.type === 'integer' || f.type === 'decimal' ? 'right' : 'left',
    ...relationDisplay(model, f.field),
    ...(f.field?.sensitive ? { masked: true as const } : {}),
  };
}

function relationDisplay(model: Model, f: CompiledField | undefined): ListRelationDisplay {
  if (!f?.relation) return {};
  const target = model.entities.get(f.relation.target);
  return {
    expand: f.apiName,
    display: camelCase(f.relation.display),
    targetPath: target?.path ?? f.relation.target,
  };
}

function filter(model: Model, f: ListField): ListFilter {
  const def = f.field?.def;
  return {
    field: f.property,
    label: f.label,
    type: f.type,
    operators: OPERATORS[f.type] ?? ['eq'],
    ...(def?.type === 'enum' ? { options: enumOptions(def) } : {}),
    ...relationDisplay(model, f.field),
  };
}
