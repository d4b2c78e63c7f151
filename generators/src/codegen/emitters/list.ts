import type { FilterOperator } from '../../../../platform/src';
import type { ListViewDef } from '../../../../metadata/src/types';
import {
  camelCase,
  type CompiledEntity,
  type CompiledField,
  type Model,
} from '../../../../metadata/src/model';
import { apiPropertyOf } from '../../../../metadata/src/model/api-schema';
import { sourceOf, type EmitContext } from '../context';
import { enumOptions } from '../../../../metadata/src/forms/enum-options';
import { outputPaths } from '../paths';
import type { DraftFile } from '../types';

const DEFAULT_PAGE_SIZE = 20;
/** System columns a list may show, filter or sort by, in the shape of the fields they stand beside. */
const SYSTEM_FIELDS: Record<string, { apiName: string; type: string; label: { en: string; zh: string } }> = {
  id: { apiName: 'id', type: 'integer', label: { en: 'ID', zh: 'ID' } },
  created_at: { apiName: 'createdAt', type: 'datetime', label: { en: 'Created at', zh: '创建时间' } },
  created_by: { apiName: 'createdBy', type: 'string', label: { en: 'Created by', zh: '创建人' } },
  updated_at: { apiName: 'updatedAt', type: 'datetime', label: { en: 'Updated at', zh: '更新时间' } },
  updated_by: { apiName: 'updatedBy', type: 'string', label: { en: 'Updated by', zh: '更新人' } },
};

/** A field or system column as a list uses it. */
interface ListField {
  property: string;
  label: { en: string; zh: string };
  type: string;
  sortable: boolean;
  field?: CompiledField;
}

/** Filter operators the list screen offers per field type; all are operators the API parses. */
const OPERATORS: Record<string, FilterOperator[]> = {
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

/** `ui-runtime/src/generated/lists/<entity>.list.json`: the default list view and the named views. */
export function emitLists(ctx: EmitContext): DraftFile[] {
  return ctx.entities.map((entity) => {
    const views = Object.fromEntries(
      Object.keys(entity.views)
        .sort()
        .map((name) => [name, view(ctx.model, entity, entity.views[name])]),
    );
    const document = {
      entity: entity.name,
      path: entity.path,
      label: entity.pluralLabel,
      ...view(ctx.model, entity, entity.list),
      views,
    };
    return {
      path: outputPaths.list(entity),
      source: sourceOf(ctx, 'entity', entity.name),
      entity: entity.name,
      body: ctx.templates.render('ui/list.json', { document }),
    };
  });
}

function view(model: Model, entity: CompiledEntity, def: ListViewDef) {
  const sorts =
    def.defaultSort === undefined
      ? ['-id']
      : Array.isArray(def.defaultSort)
        ? def.defaultSort
        : [def.defaultSort];
  return {
    ...(def.label ? { viewLabel: def.label } : {}),
    columns: def.columns.map((name) => column(model, field(entity, name))),
    defaultSort: sorts.map((sort) => sortTerm(entity, sort)),
    filters: (def.filters ?? []).map((name) => filter(model, field(entity, name))),
    search: (def.search ?? []).map((name) => field(entity, name).property),
    pageSize: def.pageSize ?? DEFAULT_PAGE_SIZE,
  };
}

function field(entity: CompiledEntity, name: string): ListField {
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
  if (system) return { property: system.apiName, label: system.label, type: system.type, sortable: true };
  throw new Error(`List of ${entity.name} names unknown field '${name}'`);
}

/** `-planned_start` → `-plannedStart`: sort terms in the API's `sort=` syntax. */
function sortTerm(entity: CompiledEntity, sort: string): string {
  const descending = sort.startsWith('-');
  const name = descending ? sort.slice(1) : sort;
  return `${descending ? '-' : ''}${field(entity, name).property}`;
}

function column(model: Model, f: ListField) {
  return {
    field: f.property,
    label: f.label,
    type: f.type,
    sortable: f.sortable,
    align: f.type === 'integer' || f.type === 'decimal' ? 'right' : 'left',
    ...relationDisplay(model, f.field),
    ...(f.field?.sensitive ? { masked: true } : {}),
  };
}

/** A relation column expands its target and shows the target's display field. */
function relationDisplay(model: Model, f: CompiledField | undefined) {
  if (!f?.relation) return {};
  const target = model.entities.get(f.relation.target);
  return {
    expand: f.apiName,
    display: camelCase(f.relation.display),
    targetPath: target?.path ?? f.relation.target,
  };
}

function filter(model: Model, f: ListField) {
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
