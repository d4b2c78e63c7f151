/**
 * Hourly rollups declared in dashboard metadata (`rollups:`), and which aggregates they answer.
 *
 * A rollup table holds, per tenant, UTC hour of the time field and combination of dimension values,
 * the row count and the sums of some numeric fields. Its columns carry the source entity's own column
 * names, so the rollup is presented to the aggregate compiler as a narrowed copy of the source entity
 * (the `view`): group terms and filters through the dimensions' relations compile unchanged.
 *
 * An aggregate (already authorized against the source entity) is answered from a rollup when every
 * path it groups, filters or measures starts at a dimension or the time field, the time field is only
 * bucketed (hour, shift with whole-hour shift windows, day, week, month in a zone whose offsets are
 * whole hours) and bounded by whole hours (`gte`, `lt`), and every measure is a count or a sum of a
 * rolled-up field (or a ratio of those). Anything else reads the rows.
 *
 * The daily cells (`bi_rollup_<name>_daily`) hold the same sums by wall-clock day in UTC and in each
 * zone the rollup's `dayZones` field holds; a day starts at the UTC instant of that zone's midnight.
 * They answer an aggregate of the same shape whose time field is bucketed by day, week or month in
 * such a zone (or not at all) and bounded by that zone's midnights — a month by line reads 30 cells
 * per line instead of 720.
 */
import type { CompiledEntity, CompiledField, Model } from '../../../metadata/src/model';
import { apiPropertyOf } from '../../../metadata/src/model/api-schema';
import type { FilterCondition, FilterGroup, FilterNode } from '../crud/types';
import type { AggregateQuery, BasicMeasure, Measure } from './aggregate-query';
import type { ShiftWindow } from './calendar-store';
import { dayStart, type OffsetPeriod } from './time-zone';

export const ROW_COUNT_COLUMN = 'rollup_row_count';
export const ZONE_COLUMN = 'rollup_zone';
/** API name of the zone column of the daily cells. */
const ZONE = '_zone';
/** API name of the row count on the rollup's view (never a field name of an entity: no underscore-free clash). */
const ROW_COUNT = '_rowCount';

export interface CompiledRollup {
  name: string;
  table: string;
  source: CompiledEntity;
  time: CompiledField;
  dimensions: CompiledField[];
  sums: CompiledField[];
  /** The source entity narrowed to the rollup's columns, read from the rollup table. */
  view: CompiledEntity;
  /** The same, read from the daily cells (with their zone column). */
  daily: CompiledEntity;
  /** The entity and column whose values name the zones of the daily cells (besides UTC). */
  dayZones: { entity: CompiledEntity; column: string } | null;
}

const cache = new WeakMap<Model, CompiledRollup[]>();

/** Every rollup the Model declares whose entity and fields exist (plugins may be absent). */
export function rollupsOf(model: Model): CompiledRollup[] {
  let rollups = cache.get(model);
  if (!rollups) {
    rollups = [];
    for (const dashboard of model.dashboards.values())
      for (const [name, def] of Object.entries(dashboard.rollups ?? {})) {
        const source = model.entities.get(def.entity);
        const field = (fieldName: string) => source?.fieldsByName.get(fieldName);
        const time = field(def.time);
        const dimensions = def.dimensions.map(field);
        const sums = def.sums.map(field);
        if (!source || !time?.column) continue;
        if (![...dimensions, ...sums].every((f): f is CompiledField => f?.column !== undefined)) continue;
        const zoneEntity = def.dayZones ? model.entities.get(def.dayZones.entity) : undefined;
        const zoneColumn = zoneEntity?.fieldsByName.get(def.dayZones?.field ?? '')?.column;
        rollups.push({
          ...viewOf(name, source, time, dimensions as CompiledField[], sums as CompiledField[]),
          dayZones: zoneEntity && zoneColumn ? { entity: zoneEntity, column: zoneColumn } : null,
        });
      }
    cache.set(model, rollups);
  }
  return rollups;
}

function viewOf(
  name: string,
  source: CompiledEntity,
  time: CompiledField,
  dimensions: CompiledField[],
  sums: CompiledField[],
): Omit<CompiledRollup, 'dayZones'> {
  const table = `bi_rollup_${name}`;
  const rowCount: CompiledField = {
    ...sums[0],
    name: ROW_COUNT_COLUMN,
    apiName: ROW_COUNT,
    column: ROW_COUNT_COLUMN,
    type: 'integer',
    columnType: 'int',
  };
  const zone: CompiledField = {
    ...rowCount,
    name: ZONE_COLUMN,
    apiName: ZONE,
    column: ZONE_COLUMN,
    type: 'string',
    columnType: 'varchar',
  };
  const narrowed = (tableName: string, fields: CompiledField[]): CompiledEntity => ({
    ...source,
    table: tableName,
    softDelete: false,
    fields,
    fieldsByName: new Map(fields.map((f) => [f.name, f])),
    fieldsByApiName: new Map(fields.map((f) => [f.apiName, f])),
  });
  const fields = [time, ...dimensions, ...sums, rowCount];
  return {
    name,
    table,
    source,
    time,
    dimensions,
    sums,
    view: narrowed(table, fields),
    daily: narrowed(`${table}_daily`, [...fields, zone]),
  };
}

export interface RollupPlan {
  rollup: CompiledRollup;
  /** The hourly or the daily cells. */
  view: CompiledEntity;
  query: AggregateQuery;
}

/** Which daily zones a tenant's rollup holds (read once per aggregate, only when a daily plan is possible). */
export type DayZonesReader = (rollup: CompiledRollup) => Promise<string[]>;

/** The rollup answering an authorized aggregate over `entity`, with the query rewritten for it; else null. */
export async function planRollup(
  model: Model,
  entity: CompiledEntity,
  query: AggregateQuery,
  offsets: OffsetPeriod[],
  shifts: ShiftWindow[],
  dayZones: DayZonesReader,
): Promise<RollupPlan | null> {
  if (query.rows.search || query.rows.includeDeleted) return null;
  for (const rollup of rollupsOf(model)) {
    if (rollup.source.name !== entity.name) continue;
    const daily = dailyZone(rollup, query, offsets);
    if (daily !== null && (await dayZones(rollup)).includes(daily)) {
      const plan = rewrite(rollup, query, shifts, (value) => wholeDay(value, daily === 'UTC' ? [] : offsets));
      if (plan) {
        const zone: FilterCondition = { field: ZONE, op: 'eq', value: daily };
        const filter: FilterGroup = { kind: 'and', conditions: [zone, query.rows.filter] };
        return { rollup, view: rollup.daily, query: { ...plan, rows: { ...plan.rows, filter } } };
      }
    }
    if (offsets.some((period) => period.offsetMinutes % 60 !== 0)) continue;
    const plan = rewrite(rollup, query, shifts, wholeHour);
    if (plan) return { rollup, view: rollup.view, query: plan };
  }
  return null;
}

/**
 * The zone whose daily cells could answer the query: the query's zone when it buckets the time field
 * by day, week or month or bounds it; UTC when it does neither (any day cells sum to the same). Null
 * when it needs hours (hour or shift buckets).
 */
function dailyZone(rollup: CompiledRollup, query: AggregateQuery, offsets: OffsetPeriod[]): string | null {
  const timeName = rollup.time.apiName;
  const terms = query.groupBy.filter((term) => term.field === timeName);
  if (terms.some((term) => term.bucket !== 'day' && term.bucket !== 'week' && term.bucket !== 'month'))
    return null;
  const bounded = (node: FilterNode): boolean =>
    'kind' in node ? node.conditions.some(bounded) : node.field === timeName;
  const inZone =
    terms.length > 0 ||
    bounded(query.rows.filter) ||
    query.measures.some((m) => m.fn !== 'ratio' && m.where !== null && bounded(m.where));
  if (!inZone) return 'UTC';
  return offsets.length === 1 && offsets[0].offsetMinutes === 0 ? 'UTC' : query.timeZone;
}

function rewrite(
  rollup: CompiledRollup,
  query: AggregateQuery,
  shifts: ShiftWindow[],
  bound: (value: unknown) => boolean,
): AggregateQuery | null {
  const timeName = rollup.time.apiName;
  const dimensionNames = new Set(rollup.dimensions.flatMap((f) => [f.apiName, apiPropertyOf(f)]));
  const onDimension = (path: string) => dimensionNames.has(path.split('.')[0]);
  for (const term of query.groupBy) {
    if (term.field === timeName) {
      if (term.bucket === null) return null;
      if (term.bucket === 'shift' && shifts.some((s) => s.startMinute % 60 !== 0 || s.endMinute % 60 !== 0))
        return null;
    } else if (!onDimension(term.field)) return null;
  }
  const filterOk = (node: FilterNode): boolean => {
    if ('kind' in node) return node.conditions.every(filterOk);
    if (node.field === timeName) return (node.op === 'gte' || node.op === 'lt') && bound(node.value);
    return onDimension(node.field);
  };
  if (!filterOk(query.rows.filter)) return null;
  const measures: Measure[] = [];
  for (const measure of query.measures) {
    const rewritten = rewriteMeasure(rollup, measure, filterOk);
    if (!rewritten) return null;
    measures.push(rewritten);
  }
  return { ...query, measures };
}

function rewriteMeasure(
  rollup: CompiledRollup,
  measure: Measure,
  filterOk: (node: FilterGroup) => boolean,
): Measure | null {
  if (measure.fn === 'ratio') {
    const numerator = rewriteMeasure(rollup, measure.numerator, filterOk);
    const denominator = rewriteMeasure(rollup, measure.denominator, filterOk);
    return numerator && denominator
      ? { ...measure, numerator: numerator as BasicMeasure, denominator: denominator as BasicMeasure }
      : null;
  }
  if (measure.compare || measure.times || measure.minus) return null;
  if (measure.where && !filterOk(measure.where)) return null;
  if (measure.fn === 'count') return { ...measure, fn: 'sum', field: ROW_COUNT };
  if (measure.fn === 'sum' && rollup.sums.some((f) => f.apiName === measure.field)) return measure;
  return null;
}

/** A bound datetime on a whole UTC hour (as parsed for the column: `YYYY-MM-DD HH:00:00[.000]`). */
function wholeHour(value: unknown): boolean {
  return typeof value === 'string' && /[T ]\d{2}:00:00(\.0+)?Z?$/.test(value);
}

/** A bound datetime on a midnight of the zone whose offsets are given (none: UTC). */
function wholeDay(value: unknown, offsets: OffsetPeriod[]): boolean {
  if (!wholeHour(value)) return false;
  const instant = Date.parse(`${String(value).replace(' ', 'T').replace(/Z?$/, '')}Z`);
  return offsets.length === 0 ? instant % 86_400_000 === 0 : dayStart(offsets, instant) === instant;
}
