/**
 * Aggregate SQL: `SELECT <groups>, <measures> FROM <entity> LEFT JOIN <relations grouped or measured
 * through> WHERE <the list's row conditions> GROUP BY … HAVING … ORDER BY … LIMIT ?`. The rows are
 * selected by `rowConditions`, the very conditions a list compiles, so an aggregate counts exactly the
 * rows the same list would return. Every value is bound; names were resolved against the Model.
 */
import type { CompiledEntity, Model } from '../../../metadata/src/model';
import type {
  AggregateQuery,
  BasicMeasure,
  FieldComparison,
  GroupTerm,
  HavingOperator,
  Measure,
  TimeBucket,
} from '../bi/aggregate-query';
import type { ShiftWindow } from '../bi/calendar-store';
import type { OffsetPeriod } from '../bi/time-zone';
import type { Dialect } from './dialect';
import { resolvePath, type LeafRef } from './field-paths';
import { compileNode, ROOT, rowConditions, SqlBuilder } from './query-compiler';
import { isoToDbDatetime } from './values';

export interface CompiledAggregate {
  sql: string;
  params: unknown[];
  /** Result column of each group term and measure, by key. */
  columns: Map<string, string>;
  /** The leaf each group term and measure field reads (for converting values back). */
  leaves: Map<string, LeafRef>;
}

const COMPARISON_SQL: Record<HavingOperator, string> = {
  eq: '=',
  ne: '<>',
  gt: '>',
  gte: '>=',
  lt: '<',
  lte: '<=',
};

/** LEFT JOINs along relation paths, one per distinct path prefix, each scoped to the tenant. */
class Joins {
  private readonly aliases = new Map<
    string,
    { alias: string; parent: string; column: string; target: CompiledEntity }
  >();

  constructor(
    private readonly b: SqlBuilder,
    private readonly entity: CompiledEntity,
  ) {}

  /** The SQL reading `path` (an API name or a dot path) on the joined rows. */
  leaf(path: string): { sql: string; leaf: LeafRef } {
    const resolved = resolvePath(this.b.model, this.entity, path);
    if (!resolved) throw new Error(`Unresolved aggregate field '${path}' reached the compiler`);
    let alias = ROOT;
    const segments = path.split('.');
    resolved.relations.forEach((relation, index) => {
      const prefix = segments.slice(0, index + 1).join('.');
      let join = this.aliases.get(prefix);
      if (!join) {
        const target = this.b.model.entities.get(relation.relation?.target ?? '');
        if (!target || !relation.column) throw new Error(`Relation '${relation.name}' has no target`);
        join = { alias: `j${this.aliases.size + 1}`, parent: alias, column: relation.column, target };
        this.aliases.set(prefix, join);
      }
      alias = join.alias;
    });
    return { sql: this.b.leaf(alias, resolved.leaf), leaf: resolved.leaf };
  }

  /** Columns of the root table the joins start from. */
  rootColumns(): string[] {
    return [...new Set([...this.aliases.values()].filter((j) => j.parent === ROOT).map((j) => j.column))];
  }

  get empty(): boolean {
    return this.aliases.size === 0;
  }

  /** Call after every leaf was read, where the JOIN clauses appear in the statement (binds in order). */
  sql(): string {
    return [...this.aliases.values()]
      .map(({ alias, parent, column, target }) => {
        const on = [
          `${this.b.column(alias, 'id')} = ${this.b.column(parent, column)}`,
          ...this.b.scope(target, alias, false),
        ];
        return ` LEFT JOIN ${this.b.table(target)} ${alias} ON ${on.join(' AND ')}`;
      })
      .join('');
  }
}

export function compileAggregate(
  model: Model,
  entity: CompiledEntity,
  query: AggregateQuery,
  tenantId: string,
  dialect: Dialect,
  offsets: OffsetPeriod[],
  shifts: ShiftWindow[] = [],
): CompiledAggregate {
  const b = new SqlBuilder(model, dialect, tenantId);
  const joins = new Joins(b, entity);
  if (preAggregable(model, entity, query))
    return compilePreAggregated(b, joins, model, entity, query, dialect, offsets, shifts);
  const columns = new Map<string, string>();
  const leaves = new Map<string, LeafRef>();
  const select: string[] = [];
  query.groupBy.forEach((term, i) => {
    const alias = `g${i}`;
    const { sql, leaf } = joins.leaf(term.field);
    const expression =
      term.bucket === 'shift'
        ? shiftBucket(b, sql, offsetMinutes(sql, offsets), shifts)
        : groupExpression(dialect, sql, leaf, term, offsets);
    select.push(`${expression} AS ${alias}`);
    columns.set(term.key, alias);
    leaves.set(term.key, leaf);
  });
  query.measures.forEach((measure, i) => {
    const alias = `m${i}`;
    select.push(`${measureExpression(b, joins, entity, measure, leaves)} AS ${alias}`);
    columns.set(measure.key, alias);
  });
  const from = ` FROM ${b.table(entity)} ${ROOT}${joins.sql()}`;
  const where = rowConditions(b, entity, query.rows);
  const groupBy = query.groupBy.map((term) => columns.get(term.key)!);
  const having = query.having.map(
    (term) => `${columns.get(term.measure)!} ${COMPARISON_SQL[term.op]} ${b.bind(term.value)}`,
  );
  const sortKeys = new Set(query.sort.map((s) => s.key));
  const order = [
    ...query.sort.map((s) => `${columns.get(s.key)!} ${s.direction.toUpperCase()}`),
    ...query.groupBy.filter((g) => !sortKeys.has(g.key)).map((g) => `${columns.get(g.key)!} ASC`),
  ];
  const sql =
    `SELECT ${select.join(', ')}${from}` +
    (where.length > 0 ? ` WHERE ${where.join(' AND ')}` : '') +
    (groupBy.length > 0 ? ` GROUP BY ${groupBy.join(', ')}` : '') +
    (having.length > 0 ? ` HAVING ${having.join(' AND ')}` : '') +
    (order.length > 0 ? ` ORDER BY ${order.join(', ')}` : '') +
    ` LIMIT ${b.bind(query.limit)}`;
  return { sql, params: b.params, columns, leaves };
}

/**
 * Whether to sum the rows by the root's own group values and join columns before joining: when some
 * group term goes through a relation and every measure is a count or a plain sum of a root field
 * (or a ratio of those), so partial sums add up exactly. A month of hourly cells grouped by line then
 * joins one row per station and day instead of one per cell.
 */
function preAggregable(model: Model, entity: CompiledEntity, query: AggregateQuery): boolean {
  const through = (path: string) => (resolvePath(model, entity, path)?.relations.length ?? 0) > 0;
  if (!query.groupBy.some((term) => through(term.field))) return false;
  if (query.groupBy.some((term) => through(term.field) && term.bucket === 'shift')) return false;
  const basic = (m: BasicMeasure) =>
    (m.fn === 'count' || m.fn === 'sum') &&
    !m.compare &&
    !m.times &&
    !m.minus &&
    (m.field === null || !through(m.field));
  return query.measures.every((m) =>
    m.fn === 'ratio' ? basic(m.numerator) && basic(m.denominator) : basic(m),
  );
}

/**
 * `SELECT <groups>, SUM(partial sums) FROM (SELECT <root group values>, <join columns>, <partial
 * sums> FROM <entity> WHERE … GROUP BY …) t LEFT JOIN … GROUP BY …`. Binds follow the text: the outer
 * group terms bind nothing (no shift bucket through a relation), then the inner statement, the joins,
 * HAVING and LIMIT.
 */
function compilePreAggregated(
  b: SqlBuilder,
  joins: Joins,
  model: Model,
  entity: CompiledEntity,
  query: AggregateQuery,
  dialect: Dialect,
  offsets: OffsetPeriod[],
  shifts: ShiftWindow[],
): CompiledAggregate {
  const columns = new Map<string, string>();
  const leaves = new Map<string, LeafRef>();
  const outer: string[] = [];
  const inner: string[] = [];
  const innerGroups: string[] = [];
  const q = (name: string) => dialect.quote(name);
  query.groupBy.forEach((term, i) => {
    const alias = `g${i}`;
    const relations = resolvePath(model, entity, term.field)?.relations.length ?? 0;
    const { sql, leaf } = joins.leaf(term.field);
    leaves.set(term.key, leaf);
    columns.set(term.key, alias);
    const expression = (): string =>
      term.bucket === 'shift'
        ? shiftBucket(b, sql, offsetMinutes(sql, offsets), shifts)
        : groupExpression(dialect, sql, leaf, term, offsets);
    if (relations > 0) outer.push(`${expression()} AS ${alias}`);
    else {
      outer.push(`${ROOT}.${alias} AS ${alias}`);
      inner.push(`${expression()} AS ${alias}`);
      innerGroups.push(alias);
    }
  });
  for (const column of joins.rootColumns()) {
    inner.push(`${b.column(ROOT, column)} AS ${q(column)}`);
    innerGroups.push(q(column));
  }
  const partial = (measure: BasicMeasure, alias: string): string => {
    inner.push(`${measureExpression(b, joins, entity, measure, leaves)} AS ${alias}`);
    return `COALESCE(SUM(${ROOT}.${alias}), 0)`;
  };
  query.measures.forEach((measure, i) => {
    const alias = `m${i}`;
    columns.set(measure.key, alias);
    if (measure.fn === 'ratio') {
      const numerator = partial(measure.numerator, `${alias}n`);
      const denominator = partial(measure.denominator, `${alias}d`);
      outer.push(`(1.0 * ${numerator}) / NULLIF(${denominator}, 0) AS ${alias}`);
    } else outer.push(`${partial(measure, alias)} AS ${alias}`);
  });
  const where = rowConditions(b, entity, query.rows);
  const rows =
    `SELECT ${inner.join(', ')} FROM ${b.table(entity)} ${ROOT}` +
    (where.length > 0 ? ` WHERE ${where.join(' AND ')}` : '') +
    ` GROUP BY ${innerGroups.join(', ')}`;
  const from = ` FROM (${rows}) ${ROOT}${joins.sql()}`;
  const groupBy = query.groupBy.map((term) => columns.get(term.key)!);
  const having = query.having.map(
    (term) => `${columns.get(term.measure)!} ${COMPARISON_SQL[term.op]} ${b.bind(term.value)}`,
  );
  const sortKeys = new Set(query.sort.map((s) => s.key));
  const order = [
    ...query.sort.map((s) => `${columns.get(s.key)!} ${s.direction.toUpperCase()}`),
    ...query.groupBy.filter((g) => !sortKeys.has(g.key)).map((g) => `${columns.get(g.key)!} ASC`),
  ];
  const sql =
    `SELECT ${outer.join(', ')}${from}` +
    ` GROUP BY ${groupBy.join(', ')}` +
    (having.length > 0 ? ` HAVING ${having.join(' AND ')}` : '') +
    (order.length > 0 ? ` ORDER BY ${order.join(', ')}` : '') +
    ` LIMIT ${b.bind(query.limit)}`;
  return { sql, params: b.params, columns, leaves };
}

function measureExpression(
  b: SqlBuilder,
  joins: Joins,
  entity: CompiledEntity,
  measure: Measure,
  leaves: Map<string, LeafRef>,
): string {
  if (measure.fn === 'ratio') {
    const numerator = measureExpression(b, joins, entity, measure.numerator, leaves);
    const denominator = measureExpression(b, joins, entity, measure.denominator, leaves);
    return `(1.0 * ${numerator}) / NULLIF(${denominator}, 0)`;
  }
  const condition = measureCondition(b, joins, entity, measure);
  if (measure.field === null)
    return condition === null ? 'COUNT(*)' : `COUNT(CASE WHEN ${condition} THEN 1 END)`;
  const { sql: fieldSql, leaf } = joins.leaf(measure.field);
  leaves.set(measure.key, leaf);
  let sql = fieldSql;
  if (measure.minus) {
    const other = joins.leaf(measure.minus).sql;
    sql =
      leaf.columnType === 'datetime' ? hoursBetween(b.dialect, other, fieldSql) : `(${fieldSql} - ${other})`;
  }
  if (measure.times) sql = `(${sql} * ${joins.leaf(measure.times).sql})`;
  const value = condition === null ? sql : `CASE WHEN ${condition} THEN ${sql} END`;
  switch (measure.fn) {
    case 'countDistinct':
      return `COUNT(DISTINCT ${value})`;
    case 'sum':
      return `COALESCE(SUM(${value}), 0)`;
    case 'avg':
      return `AVG(${value})`;
    case 'min':
      return `MIN(${value})`;
    case 'max':
      return `MAX(${value})`;
    case 'count':
      return `COUNT(${value})`;
  }
}

/** Hours from `from` to `to` (two stored UTC datetimes), fractional; SQLite's Julian days are rounded to the millisecond. */
function hoursBetween(dialect: Dialect, from: string, to: string): string {
  return dialect.name === 'sqlite'
    ? `(ROUND((julianday(${to}) - julianday(${from})) * 86400000.0) / 3600000.0)`
    : `(TIMESTAMPDIFF(SECOND, ${from}, ${to}) / 3600.0)`;
}

function measureCondition(
  b: SqlBuilder,
  joins: Joins,
  entity: CompiledEntity,
  measure: BasicMeasure,
): string | null {
  const parts: string[] = [];
  if (measure.where && measure.where.conditions.length > 0)
    parts.push(compileNode(b, entity, ROOT, measure.where));
  if (measure.compare) parts.push(fieldComparison(joins, measure.compare));
  return parts.length === 0 ? null : parts.join(' AND ');
}

function fieldComparison(joins: Joins, compare: FieldComparison): string {
  const left = joins.leaf(compare.field).sql;
  const right = joins.leaf(compare.otherField).sql;
  return `(${left} IS NOT NULL AND ${right} IS NOT NULL AND ${left} ${COMPARISON_SQL[compare.op]} ${right})`;
}

function groupExpression(
  dialect: Dialect,
  sql: string,
  leaf: LeafRef,
  term: GroupTerm,
  offsets: OffsetPeriod[],
): string {
  if (term.bucket === null) return sql;
  // A date is already a plant calendar day; a datetime is UTC and moves to the plant's wall clock.
  const shift = leaf.columnType === 'datetime' ? offsetMinutes(sql, offsets) : null;
  return dialect.name === 'sqlite'
    ? sqliteBucket(sql, term.bucket, shift)
    : mysqlBucket(sql, term.bucket, shift);
}

/** SQL giving the zone's offset in minutes at the stored instant `sql` (literal periods, no binds). */
function offsetMinutes(sql: string, offsets: OffsetPeriod[]): string | null {
  if (offsets.length === 1) return offsets[0].offsetMinutes === 0 ? null : String(offsets[0].offsetMinutes);
  const branches = offsets
    .slice(1)
    .map((period, i) => `WHEN ${sql} < '${isoToDbDatetime(period.from!)}' THEN ${offsets[i].offsetMinutes}`);
  return `(CASE ${branches.join(' ')} ELSE ${offsets[offsets.length - 1].offsetMinutes} END)`;
}

/**
 * `2026-12-01/N`: the production day and code of the shift whose clock window holds the local time.
 * The hours after midnight of a shift that crosses midnight belong to the day the shift started.
 * Null outside every shift.
 */
function shiftBucket(b: SqlBuilder, sql: string, shift: string | null, shifts: ShiftWindow[]): string {
  if (shifts.length === 0) return 'NULL';
  const sqlite = b.dialect.name === 'sqlite';
  const local =
    shift === null
      ? sql
      : sqlite
        ? `datetime(${sql}, printf('%+d minutes', ${shift}))`
        : `DATE_ADD(${sql}, INTERVAL ${shift} MINUTE)`;
  const minute = sqlite
    ? `(CAST(strftime('%H', ${local}) AS INTEGER) * 60 + CAST(strftime('%M', ${local}) AS INTEGER))`
    : `(HOUR(${local}) * 60 + MINUTE(${local}))`;
  const day = sqlite ? `strftime('%Y-%m-%d', ${local})` : `DATE_FORMAT(${local}, '%Y-%m-%d')`;
  const dayBefore = sqlite
    ? `strftime('%Y-%m-%d', ${local}, '-1 day')`
    : `DATE_FORMAT(DATE_SUB(${local}, INTERVAL 1 DAY), '%Y-%m-%d')`;
  const label = (dayExpression: string, code: string) =>
    sqlite ? `${dayExpression} || ${b.bind(`/${code}`)}` : `CONCAT(${dayExpression}, ${b.bind(`/${code}`)})`;
  const branches = shifts.flatMap((window) =>
    window.crossesMidnight
      ? [
          `WHEN ${minute} >= ${window.startMinute} THEN ${label(day, window.code)}`,
          `WHEN ${minute} < ${window.endMinute} THEN ${label(dayBefore, window.code)}`,
        ]
      : [
          `WHEN ${minute} >= ${window.startMinute} AND ${minute} < ${window.endMinute} THEN ${label(day, window.code)}`,
        ],
  );
  return `(CASE ${branches.join(' ')} ELSE NULL END)`;
}

const FORMATS: Record<Exclude<TimeBucket, 'week' | 'shift'>, string> = {
  hour: '%Y-%m-%dT%H:00',
  day: '%Y-%m-%d',
  month: '%Y-%m',
};

function sqliteBucket(sql: string, bucket: TimeBucket, shift: string | null): string {
  const modifiers = shift === null ? [] : [`printf('%+d minutes', ${shift})`];
  // Weeks start on Monday (ISO 8601) and are labelled by that day.
  if (bucket === 'week') modifiers.push(`'weekday 0'`, `'-6 days'`);
  const format = bucket === 'week' || bucket === 'shift' ? FORMATS.day : FORMATS[bucket];
  return `strftime('${format}', ${[sql, ...modifiers].join(', ')})`;
}

function mysqlBucket(sql: string, bucket: TimeBucket, shift: string | null): string {
  const local = shift === null ? sql : `DATE_ADD(${sql}, INTERVAL ${shift} MINUTE)`;
  if (bucket === 'week')
    return `DATE_FORMAT(DATE_SUB(${local}, INTERVAL WEEKDAY(${local}) DAY), '${FORMATS.day}')`;
  return `DATE_FORMAT(${local}, '${FORMATS[bucket === 'shift' ? 'day' : bucket]}')`;
}
