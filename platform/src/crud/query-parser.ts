import type { CompiledEntity, Model } from '../../../metadata/src/model';
import { resolveLeaf, resolvePath, type LeafRef } from '../data/field-paths';
import { isoToDbDatetime } from '../data/values';
import { BadRequestError, NotFoundError, UnknownFieldError } from './errors';
import {
  COUNT_MODES,
  DEFAULT_PAGE_SIZE,
  FILTER_OPERATORS,
  LIST_QUERY_PARAMETER_NAMES,
  MAX_PAGE_SIZE,
} from './list-query-parameters';
import type {
  CountMode,
  FilterCondition,
  FilterGroup,
  FilterNode,
  FilterOperator,
  ListQuery,
  SortTerm,
} from './types';

const OPERATORS: ReadonlySet<string> = new Set(FILTER_OPERATORS);
const TEXT_OPERATORS: ReadonlySet<string> = new Set(['contains', 'startsWith']);
const KEYS: ReadonlySet<string> = new Set(LIST_QUERY_PARAMETER_NAMES);
const COUNT_MODE_SET: ReadonlySet<string> = new Set(COUNT_MODES);
const DATE = /^\d{4}-\d{2}-\d{2}$/;

/**
 * Querystring → checked ListQuery. The querystring arrives nested by a qs-style parser
 * (`filter[status][in]=A,B` → `{filter:{status:{in:'A,B'}}}`); `filter` may also be a JSON string
 * with and/or groups. Every name is checked against the Model here, so nothing undeclared can reach
 * the SQL compiler; every value is converted to what the column stores.
 */
export function parseListQuery(entityName: string, raw: Record<string, unknown>, model: Model): ListQuery {
  const entity = model.entities.get(entityName);
  if (!entity) throw new NotFoundError('entity', entityName);
  for (const key of Object.keys(raw)) {
    if (!KEYS.has(key)) throw new BadRequestError(`Unknown query parameter '${key}'`, { parameter: key });
  }
  const cursor = raw.cursor === undefined ? null : text(raw.cursor, 'cursor');
  if (cursor !== null && raw.page !== undefined) {
    throw new BadRequestError('Use either page or cursor, not both', { parameter: 'cursor' });
  }
  const fields = raw.fields === undefined ? null : parseFields(model, entity, list(raw.fields, 'fields'));
  const expand = parseExpand(entity, raw.expand === undefined ? [] : list(raw.expand, 'expand'), fields);
  const search = raw.search === undefined ? null : text(raw.search, 'search').trim() || null;
  const count = raw.count === undefined ? 'exact' : text(raw.count, 'count');
  if (!COUNT_MODE_SET.has(count)) {
    throw new BadRequestError(`count must be exact, estimated or none`, { parameter: 'count', value: count });
  }
  return {
    page: cursor === null ? positiveInt(raw.page, 'page', 1) : null,
    pageSize: pageSize(raw.pageSize, entity),
    cursor,
    filter: {
      kind: 'and',
      conditions: raw.filter === undefined ? [] : parseFilter(model, entity, raw.filter),
    },
    sort: parseSort(entity, raw.sort),
    fields,
    expand,
    search,
    count: count as CountMode,
    includeDeleted: raw.includeDeleted === undefined ? false : bool(raw.includeDeleted, 'includeDeleted'),
  };
}

function text(value: unknown, parameter: string): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  throw new BadRequestError(`${parameter} must be a single value`, { parameter });
}

function list(value: unknown, parameter: string): string[] {
  const parts = Array.isArray(value) ? value.map((v) => text(v, parameter)) : [text(value, parameter)];
  return parts
    .flatMap((p) => p.split(','))
    .map((p) => p.trim())
    .filter((p) => p !== '');
}

function bool(value: unknown, parameter: string): boolean {
  const v = text(value, parameter);
  if (v === 'true' || v === '1') return true;
  if (v === 'false' || v === '0') return false;
  throw new BadRequestError(`${parameter} must be true or false`, { parameter, value: v });
}

function positiveInt(value: unknown, parameter: string, fallback: number): number {
  if (value === undefined) return fallback;
  const v = text(value, parameter);
  if (!/^\d+$/.test(v) || Number(v) < 1) {
    throw new BadRequestError(`${parameter} must be a positive integer`, { parameter, value: v });
  }
  return Number(v);
}

function pageSize(value: unknown, entity: CompiledEntity): number {
  const size = positiveInt(value, 'pageSize', entity.list.pageSize ?? DEFAULT_PAGE_SIZE);
  if (size > MAX_PAGE_SIZE) {
    throw new BadRequestError(`pageSize must be at most ${MAX_PAGE_SIZE}`, {
      parameter: 'pageSize',
      limit: MAX_PAGE_SIZE,
    });
  }
  return size;
}

function parseFields(model: Model, entity: CompiledEntity, paths: string[]): string[] {
  for (const path of paths) {
    const [head, ...rest] = path.split('.');
    const field = entity.fieldsByApiName.get(head);
    if (rest.length === 0) {
      if (field || resolveLeaf(entity, head)) continue;
      throw new UnknownFieldError(path, 'fields');
    }
    const target = field?.relation ? model.entities.get(field.relation.target) : undefined;
    const childTarget = field?.children ?? field?.many;
    const nested = target ?? (childTarget ? model.entities.get(childTarget.target) : undefined);
    if (
      !nested ||
      rest.length > 1 ||
      !(nested.fieldsByApiName.has(rest[0]) || resolveLeaf(nested, rest[0]))
    ) {
      throw new UnknownFieldError(path, 'fields');
    }
  }
  return paths;
}

/**
 * Expansions asked for, plus those the fields imply: `item.name` expands `item`, and naming a
 * children or many field (`results`, `tags`) loads it.
 */
function parseExpand(entity: CompiledEntity, names: string[], fields: string[] | null): string[] {
  const implied = (fields ?? [])
    .map((path) => ({ path, head: path.split('.')[0] }))
    .filter(({ path, head }) => {
      const field = entity.fieldsByApiName.get(head);
      return path.includes('.') || field?.children !== undefined || field?.many !== undefined;
    })
    .map(({ head }) => head);
  const all = [...new Set([...names, ...implied])];
  for (const name of all) {
    const field = entity.fieldsByApiName.get(name);
    if (!field || !(field.relation || field.children || field.many))
      throw new UnknownFieldError(name, 'expand');
  }
  return all;
}

function parseSort(entity: CompiledEntity, raw: unknown): SortTerm[] {
  const specs =
    raw === undefined
      ? defaultSort(entity)
      : list(raw, 'sort').map(
          (s) =>
            ({ field: s.replace(/^[-+]/, ''), direction: s.startsWith('-') ? 'desc' : 'asc' }) as SortTerm,
        );
  for (const term of specs) {
    const leaf = resolveLeaf(entity, term.field);
    if (!leaf) throw new UnknownFieldError(term.field, 'sort');
    if (leaf.field?.sensitive) refuseSensitive(term.field, '/sort', 'sort');
  }
  const withoutDuplicates = specs.filter((t, i) => specs.findIndex((o) => o.field === t.field) === i);
  // The id tiebreaker follows the last key's direction, so one index scan (forward or backward over
  // the list index, whose rows end in the primary key) yields the order without a filesort.
  if (!withoutDuplicates.some((t) => t.field === 'id'))
    withoutDuplicates.push({ field: 'id', direction: withoutDuplicates.at(-1)?.direction ?? 'asc' });
  return withoutDuplicates;
}

/** The list view's default sort is in metadata names (`-planned_start`); the API speaks camelCase. */
function defaultSort(entity: CompiledEntity): SortTerm[] {
  const specs = entity.list.defaultSort ?? '-id';
  return (Array.isArray(specs) ? specs : [specs]).map((spec) => {
    const name = spec.replace(/^[-+]/, '');
    const apiName = entity.fieldsByName.get(name)?.apiName ?? (name === 'id' ? 'id' : name);
    return { field: apiName, direction: spec.startsWith('-') ? 'desc' : 'asc' };
  });
}

function parseFilter(model: Model, entity: CompiledEntity, raw: unknown): FilterNode[] {
  let value = raw;
  if (typeof raw === 'string') {
    try {
      value = JSON.parse(raw);
    } catch {
      throw new BadRequestError('filter must be an object or a JSON document', { parameter: 'filter' });
    }
  }
  return parseConditions(model, entity, value, '/filter');
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `{field: {op: value}, or: [...], and: [...]}`: every key AND-ed. */
function parseConditions(model: Model, entity: CompiledEntity, value: unknown, path: string): FilterNode[] {
  if (!isObject(value)) throw new BadRequestError('filter must be an object', { parameter: 'filter', path });
  const nodes: FilterNode[] = [];
  for (const [key, spec] of Object.entries(value)) {
    if (key === 'and' || key === 'or') {
      if (!Array.isArray(spec))
        throw new BadRequestError(`filter ${key} must be an array`, { path: `${path}/${key}` });
      const group: FilterGroup = {
        kind: key,
        conditions: spec.map((member, i) => {
          const inner = parseConditions(model, entity, member, `${path}/${key}/${i}`);
          return inner.length === 1 ? inner[0] : { kind: 'and', conditions: inner };
        }),
      };
      nodes.push(group);
      continue;
    }
    nodes.push(...parseFieldConditions(model, entity, key, spec, `${path}/${key}`));
  }
  return nodes;
}

function parseFieldConditions(
  model: Model,
  entity: CompiledEntity,
  field: string,
  spec: unknown,
  path: string,
): FilterCondition[] {
  const resolved = resolvePath(model, entity, field);
  if (!resolved) throw new UnknownFieldError(field, 'filter');
  const ops = isObject(spec) ? Object.entries(spec) : [['eq', spec] as const];
  return ops.map(([op, raw]) => {
    if (!OPERATORS.has(op)) {
      throw new BadRequestError(`Unknown filter operator '${op}' on ${field}`, { field, path, operator: op });
    }
    if (resolved.leaf.field?.sensitive && op !== 'null' && op !== 'notNull')
      refuseSensitive(field, path, 'filter');
    if (TEXT_OPERATORS.has(op) && !isTextual(resolved.leaf)) {
      throw new BadRequestError(`Operator '${op}' needs a text field; ${field} is not`, {
        field,
        path,
        operator: op,
      });
    }
    return {
      field,
      op: op as FilterOperator,
      value: filterValue(resolved.leaf, op, raw, field, `${path}/${op}`),
    };
  });
}

/** Sensitive values are stored encrypted with a random IV: ciphertext neither compares nor orders. */
function refuseSensitive(field: string, path: string, where: 'filter' | 'sort'): never {
  const message = `${field} is a sensitive (encrypted) field and cannot be used in ${where}`;
  throw new BadRequestError(message, { errors: [{ field, path, rule: 'sensitive', message }] });
}

function isTextual(leaf: LeafRef): boolean {
  return leaf.columnType === undefined || leaf.columnType === 'varchar' || leaf.columnType === 'text';
}

function filterValue(leaf: LeafRef, op: string, raw: unknown, field: string, path: string): unknown {
  if (op === 'null' || op === 'notNull') return null;
  if (op === 'in' || op === 'nin' || op === 'between') {
    const values = Array.isArray(raw) ? raw : list(raw, 'filter');
    if (op === 'between' && values.length !== 2) {
      throw new BadRequestError(`between on ${field} needs two values`, { field, path, rule: 'between' });
    }
    return values.map((v) => scalar(leaf, v, field, path, op));
  }
  return scalar(leaf, raw, field, path, op);
}

/** One filter value converted to what the column (or ext JSON) holds; 400 when it cannot be. */
function scalar(leaf: LeafRef, raw: unknown, field: string, path: string, op: string): unknown {
  const fail = (expected: string): never => {
    throw new BadRequestError(`Filter value for ${field} must be ${expected}`, {
      errors: [{ field, path, rule: 'type', limit: expected, message: `${field} must be ${expected}` }],
    });
  };
  if (raw === null || isObject(raw) || Array.isArray(raw)) return fail('a single value');
  const value = String(raw);
  switch (leaf.columnType) {
    case 'int':
    case 'bigint':
      return /^-?\d+$/.test(value) ? Number(value) : fail('an integer');
    case 'decimal':
      return value.trim() !== '' && Number.isFinite(Number(value)) ? Number(value) : fail('a number');
    case 'boolean':
      if (value === 'true' || value === '1') return 1;
      if (value === 'false' || value === '0') return 0;
      return fail('true or false');
    case 'date':
      return DATE.test(value) ? value : fail('a date (YYYY-MM-DD)');
    case 'datetime': {
      const iso = DATE.test(value) ? `${value}T00:00:00Z` : value;
      if (Number.isNaN(Date.parse(iso))) return fail('a date-time (ISO 8601)');
      return leaf.storage === 'ext' ? new Date(iso).toISOString() : isoToDbDatetime(iso);
    }
    default: {
      const allowed = leaf.field?.enumValues;
      if (allowed && !TEXT_OPERATORS.has(op) && !allowed.includes(value))
        return fail(`one of ${allowed.join(', ')}`);
      return value;
    }
  }
}
