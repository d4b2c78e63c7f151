/**
 * The aggregate request: groups (fields, dot paths through relations, time buckets), measures, the
 * list's row selection (filter, search, includeDeleted), having, sort and top-N. Parsed from the
 * querystring of `GET /api/<entity>/aggregate`, or built by the KPI and dashboard engines.
 */
import type { Model } from '../../../metadata/src/model';
import { BadRequestError, UnknownFieldError } from '../crud/errors';
import { resolvePath } from '../data/field-paths';
import type { FilterGroup, ListQuery } from '../crud/types';
import { checkTimeZone } from './time-zone';

export const TIME_BUCKETS = ['hour', 'shift', 'day', 'week', 'month'] as const;
export type TimeBucket = (typeof TIME_BUCKETS)[number];

export const MEASURE_FUNCTIONS = ['count', 'countDistinct', 'sum', 'avg', 'min', 'max'] as const;
export type MeasureFunction = (typeof MEASURE_FUNCTIONS)[number];

export const HAVING_OPERATORS = ['eq', 'ne', 'gt', 'gte', 'lt', 'lte'] as const;
export type HavingOperator = (typeof HAVING_OPERATORS)[number];

/** `line.lineCode` or `startTime:day`; `key` is how the group appears in each result row. */
export interface GroupTerm {
  key: string;
  field: string;
  bucket: TimeBucket | null;
}

/** `actualEnd <= plannedEnd`: a comparison of two fields of the same row (KPI conditions). */
export interface FieldComparison {
  field: string;
  op: HavingOperator;
  otherField: string;
}

/**
 * One aggregate function. `where` and `compare` make it conditional (only rows matching them are
 * aggregated), which lets one statement compute a KPI's numerator and denominator.
 */
export interface BasicMeasure {
  key: string;
  fn: MeasureFunction;
  /** API name or dot path; null for `count`. */
  field: string | null;
  where: FilterGroup | null;
  compare: FieldComparison | null;
  /** The field's value is multiplied by this field's (KPI measures: quantity × ideal cycle time). */
  times?: string | null;
  /** This field's value is subtracted: hours between two datetimes, or the difference of two numbers. */
  minus?: string | null;
}

/** `sum:scrapQuantity/sum:goodQuantity`: numerator ÷ denominator, null when the denominator is 0. */
export interface RatioMeasure {
  key: string;
  fn: 'ratio';
  numerator: BasicMeasure;
  denominator: BasicMeasure;
}

export type Measure = BasicMeasure | RatioMeasure;

export interface HavingTerm {
  measure: string;
  op: HavingOperator;
  value: number;
}

export interface AggregateSortTerm {
  /** A group key or a measure key. */
  key: string;
  direction: 'asc' | 'desc';
}

export interface AggregateQuery {
  /** The rows aggregated, exactly as a list selects them (and as authorizeRead rewrites them). */
  rows: ListQuery;
  groupBy: GroupTerm[];
  measures: Measure[];
  having: HavingTerm[];
  sort: AggregateSortTerm[];
  limit: number;
  /** IANA zone time buckets are cut in. */
  timeZone: string;
}

export interface AggregateResult {
  groupBy: string[];
  measures: string[];
  timeZone: string;
  rows: Record<string, unknown>[];
}

export const DEFAULT_AGGREGATE_LIMIT = 1000;
export const MAX_AGGREGATE_LIMIT = 10_000;
const MAX_GROUPS = 4;
const MAX_MEASURES = 12;

/** The querystring keys the aggregate reads itself; filter, search and includeDeleted go to the list parser. */
const AGGREGATE_KEYS = new Set(['groupBy', 'measures', 'having', 'sort', 'limit', 'tz']);
const ROW_KEYS = new Set(['filter', 'search', 'includeDeleted']);

type ListParser = (entity: string, raw: Record<string, unknown>, model: Model) => ListQuery;

/**
 * Querystring → checked AggregateQuery. Every name is resolved against the Model here; permissions
 * are applied afterwards by authorizeAggregate. `parseList` is the list's parser, so `filter[...]`,
 * `search` and `includeDeleted` mean exactly what they mean on the list.
 */
export function parseAggregateQuery(
  entityName: string,
  raw: Record<string, unknown>,
  model: Model,
  parseList: ListParser,
): AggregateQuery {
  const rowParams: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(raw)) {
    if (ROW_KEYS.has(key)) rowParams[key] = value;
    else if (!AGGREGATE_KEYS.has(key))
      throw new BadRequestError(
        `Unknown query parameter '${key}' for aggregate`,
        paramError(key, key, 'unknown'),
      );
  }
  const rows = parseList(entityName, { ...rowParams, count: 'none' }, model);
  const groupBy = list(raw.groupBy, 'groupBy').map((term) => parseGroupTerm(model, entityName, term));
  if (groupBy.length > MAX_GROUPS)
    throw new BadRequestError(
      `groupBy takes at most ${MAX_GROUPS} terms`,
      paramError('groupBy', 'groupBy', 'maxItems', MAX_GROUPS),
    );
  const measureTerms = raw.measures === undefined ? ['count'] : list(raw.measures, 'measures');
  if (measureTerms.length === 0 || measureTerms.length > MAX_MEASURES)
    throw new BadRequestError(
      `measures takes 1 to ${MAX_MEASURES} terms`,
      paramError('measures', 'measures', 'maxItems', MAX_MEASURES),
    );
  const measures = measureTerms.map((term) => parseMeasure(model, entityName, term));
  const keys = new Set([...groupBy.map((g) => g.key), ...measures.map((m) => m.key)]);
  if (keys.size !== groupBy.length + measures.length)
    throw new BadRequestError(
      'groupBy and measures name a term twice',
      paramError('measures', 'measures', 'unique'),
    );
  const measureKeys = new Set(measures.map((m) => m.key));
  return {
    rows,
    groupBy,
    measures,
    having: parseHaving(raw.having, measureKeys),
    sort: list(raw.sort, 'sort').map((term) => parseSortTerm(term, keys)),
    limit: parseLimit(raw.limit),
    timeZone: raw.tz === undefined ? 'UTC' : checkTimeZone(text(raw.tz, 'tz'), 'tz'),
  };
}

/** `line.lineCode` or `startTime:day`. */
export function parseGroupTerm(model: Model, entityName: string, term: string): GroupTerm {
  const [field, bucket, ...extra] = term.split(':');
  const path = requirePath(model, entityName, field, 'groupBy');
  if (extra.length > 0 || (bucket !== undefined && !isTimeBucket(bucket)))
    throw new BadRequestError(
      `groupBy '${term}': the time bucket must be one of ${TIME_BUCKETS.join(', ')}`,
      paramError('groupBy', field, 'bucket', TIME_BUCKETS),
    );
  if (bucket !== undefined) {
    const type = path.leaf.columnType;
    if (type !== 'datetime' && type !== 'date')
      throw new BadRequestError(
        `groupBy '${term}': a time bucket needs a date or datetime field`,
        paramError('groupBy', field, 'type'),
      );
    if (bucket === 'shift' && type !== 'datetime')
      throw new BadRequestError(
        `groupBy '${term}': a shift bucket needs a datetime field`,
        paramError('groupBy', field, 'type'),
      );
  }
  return { key: term, field, bucket: bucket ?? null };
}

/** `count`, `countDistinct:<field>`, `sum|avg|min|max:<field>`, or `<measure>/<measure>`. */
export function parseMeasure(model: Model, entityName: string, term: string): Measure {
  const parts = term.split('/');
  if (parts.length === 2) {
    return {
      key: term,
      fn: 'ratio',
      numerator: parseBasicMeasure(model, entityName, parts[0]),
      denominator: parseBasicMeasure(model, entityName, parts[1]),
    };
  }
  if (parts.length > 2)
    throw new BadRequestError(
      `measure '${term}': a ratio divides one measure by one other`,
      paramError('measures', term, 'ratio'),
    );
  return parseBasicMeasure(model, entityName, term);
}

function parseBasicMeasure(model: Model, entityName: string, term: string): BasicMeasure {
  const [fn, field, ...extra] = term.split(':');
  if (!isMeasureFunction(fn) || extra.length > 0)
    throw new BadRequestError(
      `measure '${term}': expected count, countDistinct:<field>, sum|avg|min|max:<field> or <measure>/<measure>`,
      paramError('measures', term, 'enum', MEASURE_FUNCTIONS),
    );
  if (fn === 'count') {
    if (field !== undefined)
      throw new BadRequestError(
        `measure '${term}': count takes no field (countDistinct:<field> counts values)`,
        paramError('measures', term, 'field'),
      );
    return { key: term, fn, field: null, where: null, compare: null };
  }
  if (field === undefined || field === '')
    throw new BadRequestError(
      `measure '${term}': ${fn} needs a field`,
      paramError('measures', term, 'field'),
    );
  const path = requirePath(model, entityName, field, 'measures');
  const numeric = path.leaf.columnType === 'int' || path.leaf.columnType === 'decimal';
  if ((fn === 'sum' || fn === 'avg') && !numeric)
    throw new BadRequestError(
      `measure '${term}': ${fn} needs a numeric field`,
      paramError('measures', field, 'type'),
    );
  return { key: term, fn, field, where: null, compare: null };
}

function parseHaving(raw: unknown, measures: ReadonlySet<string>): HavingTerm[] {
  if (raw === undefined) return [];
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw new BadRequestError(
      'having must be having[<measure>][<op>]=<number>',
      paramError('having', 'having', 'type'),
    );
  const terms: HavingTerm[] = [];
  for (const [measure, ops] of Object.entries(raw as Record<string, unknown>)) {
    if (!measures.has(measure))
      throw new BadRequestError(
        `having names '${measure}', which is not one of the requested measures`,
        paramError('having', measure, 'measure'),
      );
    if (typeof ops !== 'object' || ops === null || Array.isArray(ops))
      throw new BadRequestError(
        `having[${measure}] needs an operator: having[${measure}][gte]=10`,
        paramError('having', measure, 'operator', HAVING_OPERATORS),
      );
    for (const [op, value] of Object.entries(ops as Record<string, unknown>)) {
      if (!(HAVING_OPERATORS as readonly string[]).includes(op))
        throw new BadRequestError(
          `having[${measure}][${op}]: the operator must be one of ${HAVING_OPERATORS.join(', ')}`,
          paramError('having', measure, 'operator', HAVING_OPERATORS),
        );
      const number = Number(text(value, 'having'));
      if (!Number.isFinite(number) || text(value, 'having').trim() === '')
        throw new BadRequestError(
          `having[${measure}][${op}] must be a number`,
          paramError('having', measure, 'type'),
        );
      terms.push({ measure, op: op as HavingOperator, value: number });
    }
  }
  return terms;
}

function parseSortTerm(term: string, keys: ReadonlySet<string>): AggregateSortTerm {
  const descending = term.startsWith('-');
  const key = descending ? term.slice(1) : term;
  if (!keys.has(key))
    throw new BadRequestError(
      `sort '${key}' must be one of the groupBy terms or measures`,
      paramError('sort', key, 'enum', [...keys]),
    );
  return { key, direction: descending ? 'desc' : 'asc' };
}

function parseLimit(raw: unknown): number {
  if (raw === undefined) return DEFAULT_AGGREGATE_LIMIT;
  const value = text(raw, 'limit');
  if (!/^\d+$/.test(value) || Number(value) < 1 || Number(value) > MAX_AGGREGATE_LIMIT)
    throw new BadRequestError(
      `limit must be an integer from 1 to ${MAX_AGGREGATE_LIMIT}`,
      paramError('limit', 'limit', 'range', MAX_AGGREGATE_LIMIT),
    );
  return Number(value);
}

function requirePath(model: Model, entityName: string, field: string, parameter: string) {
  const entity = model.entities.get(entityName);
  const path = entity && field !== '' ? resolvePath(model, entity, field) : null;
  if (!path) throw new UnknownFieldError(field, parameter);
  return path;
}

function isTimeBucket(value: string): value is TimeBucket {
  return (TIME_BUCKETS as readonly string[]).includes(value);
}

function isMeasureFunction(value: string): value is MeasureFunction {
  return (MEASURE_FUNCTIONS as readonly string[]).includes(value);
}

function text(value: unknown, parameter: string): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return String(value);
  throw new BadRequestError(`${parameter} must be a single value`, paramError(parameter, parameter, 'type'));
}

function list(value: unknown, parameter: string): string[] {
  if (value === undefined) return [];
  const parts = Array.isArray(value) ? value.map((v) => text(v, parameter)) : [text(value, parameter)];
  return parts
    .flatMap((p) => p.split(','))
    .map((p) => p.trim())
    .filter((p) => p !== '');
}

function paramError(parameter: string, field: string, rule: string, limit?: unknown) {
  return {
    parameter,
    errors: [
      { field, path: `/${parameter}`, rule, ...(limit === undefined ? {} : { limit }), message: rule },
    ],
  };
}
