import type { CompiledEntity, Model } from '../../../metadata/src/model';
import type { FilterCondition, FilterNode, ListQuery, SortTerm } from '../crud/types';
import type { Dialect, JsonValueKind } from './dialect';
import { resolveLeaf, resolvePath, type LeafRef } from './field-paths';

export interface CompiledSql {
  sql: string;
  params: unknown[];
}

export interface CompiledList {
  select: CompiledSql;
  count: CompiledSql;
  /** Aliases `_s0…` of the sort expressions in the select, in sort order (for keyset cursors). */
  sortAliases: string[];
  /** Rows fetched: pageSize + 1 when paging by cursor, to learn whether a next page exists. */
  limit: number;
}

/** Values of the last row's sort keys, which the next keyset page starts after. */
export type CursorValues = unknown[];

/** Alias of the queried entity's table in every compiled statement. */
export const ROOT = 't';

/** Builds SQL piece by piece with every value bound as a parameter. */
export class SqlBuilder {
  readonly params: unknown[] = [];
  /** The columns of the queried entity's table (alias `t`) the statement names so far. */
  readonly rootColumns = new Set<string>();
  private aliasCount = 0;

  constructor(
    readonly model: Model,
    readonly dialect: Dialect,
    readonly tenantId: string,
  ) {}

  bind(value: unknown): string {
    this.params.push(value);
    return '?';
  }

  nextAlias(): string {
    this.aliasCount += 1;
    return `r${this.aliasCount}`;
  }

  column(alias: string, column: string): string {
    if (alias === ROOT) this.rootColumns.add(column);
    return `${alias}.${this.dialect.quote(column)}`;
  }

  leaf(alias: string, leaf: LeafRef): string {
    if (leaf.storage === 'column') return this.column(alias, leaf.name);
    if (leaf.generatedColumn) return this.column(alias, leaf.generatedColumn);
    return this.dialect.jsonValue(this.column(alias, 'ext'), leaf.name, jsonKind(leaf));
  }

  table(entity: CompiledEntity): string {
    return this.dialect.quote(entity.table);
  }

  /** Tenant and soft-delete scope of one table reference. */
  scope(entity: CompiledEntity, alias: string, includeDeleted: boolean): string[] {
    const parts: string[] = [];
    if (entity.tenantScoped) parts.push(`${this.column(alias, 'tenant_id')} = ${this.bind(this.tenantId)}`);
    if (entity.softDelete && !includeDeleted) parts.push(`${this.column(alias, 'deleted_at')} IS NULL`);
    return parts;
  }
}

export function jsonKind(leaf: Pick<LeafRef, 'columnType'>): JsonValueKind {
  if (leaf.columnType === 'int' || leaf.columnType === 'decimal') return 'number';
  if (leaf.columnType === 'boolean') return 'boolean';
  return 'text';
}

function escapeLike(value: string): string {
  return value.replace(/[!%_]/g, (c) => `!${c}`);
}

export function compileNode(b: SqlBuilder, entity: CompiledEntity, alias: string, node: FilterNode): string {
  if ('kind' in node) {
    if (node.conditions.length === 0) return node.kind === 'and' ? '1=1' : '1=0';
    const parts = node.conditions.map((c) => compileNode(b, entity, alias, c));
    return `(${parts.join(node.kind === 'and' ? ' AND ' : ' OR ')})`;
  }
  return compileCondition(b, entity, alias, node);
}

function compileCondition(b: SqlBuilder, entity: CompiledEntity, alias: string, c: FilterCondition): string {
  const path = resolvePath(b.model, entity, c.field);
  if (!path) throw new Error(`Unresolved filter field '${c.field}' reached the compiler`);
  if (path.relations.length === 0) return comparison(b, b.leaf(alias, path.leaf), c);
  // Walk relations as nested `IN (subquery)`: no join fan-out, and each level is tenant-scoped.
  const [first, ...rest] = path.relations;
  const target = b.model.entities.get(first.relation?.target ?? '');
  if (!target || !first.column) throw new Error(`Relation '${first.name}' has no target`);
  const sub = b.nextAlias();
  const restPath = [...rest.map((r) => r.apiName), c.field.split('.').pop() ?? ''].join('.');
  const inner = [
    ...b.scope(target, sub, false),
    compileCondition(b, target, sub, { ...c, field: restPath }),
  ].join(' AND ');
  return `${b.column(alias, first.column)} IN (SELECT ${b.column(sub, 'id')} FROM ${b.table(target)} ${sub} WHERE ${inner})`;
}

function comparison(b: SqlBuilder, expr: string, c: FilterCondition): string {
  const values = Array.isArray(c.value) ? c.value : [c.value];
  switch (c.op) {
    case 'eq':
      return `${expr} = ${b.bind(c.value)}`;
    case 'ne':
      return `(${expr} <> ${b.bind(c.value)} OR ${expr} IS NULL)`;
    case 'gt':
      return `${expr} > ${b.bind(c.value)}`;
    case 'gte':
      return `${expr} >= ${b.bind(c.value)}`;
    case 'lt':
      return `${expr} < ${b.bind(c.value)}`;
    case 'lte':
      return `${expr} <= ${b.bind(c.value)}`;
    case 'in':
      return values.length === 0 ? '1=0' : `${expr} IN (${values.map((v) => b.bind(v)).join(', ')})`;
    case 'nin':
      return values.length === 0
        ? '1=1'
        : `(${expr} NOT IN (${values.map((v) => b.bind(v)).join(', ')}) OR ${expr} IS NULL)`;
    case 'contains':
      return `${expr} LIKE ${b.bind(`%${escapeLike(String(c.value))}%`)} ESCAPE '!'`;
    case 'startsWith':
      return `${expr} LIKE ${b.bind(`${escapeLike(String(c.value))}%`)} ESCAPE '!'`;
    case 'between':
      return `${expr} BETWEEN ${b.bind(values[0])} AND ${b.bind(values[1])}`;
    case 'null':
      return `${expr} IS NULL`;
    case 'notNull':
      return `${expr} IS NOT NULL`;
  }
}

/** Search: OR of `contains` over the list view's search fields. */
function compileSearch(b: SqlBuilder, entity: CompiledEntity, term: string): string {
  const exprs = (entity.list.search ?? [])
    .map((name) => entity.fieldsByName.get(name))
    .map((field) => (field ? resolveLeaf(entity, field.apiName) : null))
    .filter((leaf): leaf is LeafRef => leaf !== null)
    .map((leaf) => b.leaf(ROOT, leaf));
  if (exprs.length === 0) return '1=1';
  const pattern = `%${escapeLike(term)}%`;
  return `(${exprs.map((e) => `${e} LIKE ${b.bind(pattern)} ESCAPE '!'`).join(' OR ')})`;
}

/**
 * Keyset condition "after the cursor row" for sort keys k1..kn: (k1 after v1) OR (k1 = v1 AND k2
 * after v2) … Both dialects sort NULL first ascending and last descending, which the null cases follow.
 */
function compileKeyset(b: SqlBuilder, exprs: string[], sort: SortTerm[], values: CursorValues): string {
  const ors: string[] = [];
  for (let i = 0; i < sort.length; i++) {
    const ands: string[] = [];
    for (let j = 0; j < i; j++) {
      ands.push(values[j] === null ? `${exprs[j]} IS NULL` : `${exprs[j]} = ${b.bind(values[j])}`);
    }
    ands.push(after(b, exprs[i], sort[i].direction, values[i]));
    ors.push(`(${ands.join(' AND ')})`);
  }
  return `(${ors.join(' OR ')})`;
}

function after(b: SqlBuilder, expr: string, direction: 'asc' | 'desc', value: unknown): string {
  if (direction === 'asc') return value === null ? `${expr} IS NOT NULL` : `${expr} > ${b.bind(value)}`;
  return value === null ? '1=0' : `(${expr} < ${b.bind(value)} OR ${expr} IS NULL)`;
}

/** Per entity, the select list of all its columns per dialect and alias: the same text for every read. */
const everyColumnLists = new WeakMap<CompiledEntity, Map<string, string>>();

/** The select list of every column a page of `entity` reads when no fields are asked for. */
function everyColumn(b: SqlBuilder, entity: CompiledEntity, alias: string): string {
  const lists = everyColumnLists.get(entity) ?? new Map<string, string>();
  everyColumnLists.set(entity, lists);
  const key = `${b.dialect.name} ${alias}`;
  let list = lists.get(key);
  if (list === undefined) {
    list = [...selectedColumns(entity, null, [])].map((c) => b.column(alias, c)).join(', ');
    lists.set(key, list);
  }
  return list;
}

/** The root columns a page needs: all, or those behind the requested fields (plus id and version). */
function selectedColumns(entity: CompiledEntity, fields: string[] | null, expand: string[]): Set<string> {
  const all = new Set<string>(['id', 'created_at', 'created_by', 'updated_at', 'updated_by', 'version']);
  if (entity.softDelete) all.add('deleted_at');
  if (fields === null) {
    for (const field of entity.fields) if (field.column) all.add(field.column);
    // The JSON of extension values only when the entity has extension fields to read from it.
    if (entity.fields.some((field) => field.storage === 'ext')) all.add('ext');
    return all;
  }
  const columns = new Set<string>(['id', 'version']);
  for (const path of [...fields, ...expand]) {
    const leaf = resolveLeaf(entity, path.split('.')[0]);
    if (leaf) columns.add(leaf.storage === 'ext' ? 'ext' : leaf.name);
  }
  return columns;
}

/**
 * A filter as a WHERE fragment over the table aliased `alias` (relations walked as tenant-scoped
 * subqueries), for statements built elsewhere that must carry a caller's row scope.
 */
export function compileFilter(
  model: Model,
  entity: CompiledEntity,
  filter: FilterNode,
  tenantId: string,
  dialect: Dialect,
  alias: string = ROOT,
): CompiledSql {
  const b = new SqlBuilder(model, dialect, tenantId);
  const sql = compileNode(b, entity, alias, filter);
  return { sql, params: b.params };
}

/**
 * The WHERE conditions selecting a query's rows: tenant, soft delete, filter and search. Lists and
 * aggregates share them, so both reach exactly the same rows.
 */
export function rowConditions(
  b: SqlBuilder,
  entity: CompiledEntity,
  query: Pick<ListQuery, 'filter' | 'search' | 'includeDeleted'>,
): string[] {
  const where = [...b.scope(entity, ROOT, query.includeDeleted)];
  if (query.filter.conditions.length > 0) where.push(compileNode(b, entity, ROOT, query.filter));
  if (query.search) where.push(compileSearch(b, entity, query.search));
  return where;
}

/** Alias of the entity's table in the outer statement of a page, which reads the rows the inner one picked. */
const PAGE = 'p';
/** Alias of the inner statement (the ids of the page) in the outer one. */
const IDS = 'k';

/**
 * A page is one statement, or two nested ones when it is filtered (a filter, a row scope or a search),
 * no index serves its equalities and order as they stand (`indexOrders`), and an index of the entity
 * holds every column its conditions and order name: the inner statement then picks the ids of the
 * page (conditions, keyset, order, limit and offset) from that index alone, and the outer one reads
 * the page's columns of those ids by primary key, in the same order. The database reads rows only for
 * the page, and picks that index to read in order — over one statement, MariaDB prefers the shortest
 * index that gives the order (the list's sort index), however many of its rows fail the other
 * conditions, such as a row scope's `line_id IN (…)`. Otherwise (unfiltered, an index that serves the
 * page as it stands, no index that holds its columns, a get by id) the nested form would only add a
 * derived table: one statement then.
 */
export function compileList(
  model: Model,
  entity: CompiledEntity,
  query: ListQuery,
  tenantId: string,
  dialect: Dialect,
  cursorValues: CursorValues | null,
): CompiledList {
  const b = new SqlBuilder(model, dialect, tenantId);
  const leaves = query.sort.map((term) => {
    const leaf = resolveLeaf(entity, term.field);
    if (!leaf) throw new Error(`Unresolved sort field '${term.field}' reached the compiler`);
    return leaf;
  });
  const sortExprs = leaves.map((leaf) => b.leaf(ROOT, leaf));
  const where = rowConditions(b, entity, query);
  const from = `FROM ${b.table(entity)} ${ROOT}`;
  const whereSql = where.length > 0 ? ` WHERE ${where.join(' AND ')}` : '';
  const count: CompiledSql = { sql: `SELECT COUNT(*) AS n ${from}${whereSql}`, params: [...b.params] };

  let pageWhere = whereSql;
  if (cursorValues) {
    const keyset = compileKeyset(b, sortExprs, query.sort, cursorValues);
    pageWhere = whereSql ? `${whereSql} AND ${keyset}` : ` WHERE ${keyset}`;
  }
  const order = (exprs: string[]) =>
    exprs.map((e, i) => `${e} ${query.sort[i].direction.toUpperCase()}`).join(', ');
  const byCursor = query.cursor !== null;
  const limit = byCursor ? query.pageSize + 1 : query.pageSize;
  const offset = byCursor ? 0 : ((query.page ?? 1) - 1) * query.pageSize;
  const paging = `ORDER BY ${order(sortExprs)} LIMIT ${b.bind(limit)} OFFSET ${b.bind(offset)}`;
  const filtered = query.filter.conditions.length > 0 || query.search !== null;
  const nested =
    filtered &&
    !pinsId(query.filter) &&
    !indexOrders(entity, query, leaves) &&
    indexHolds(entity, b.rootColumns);

  // The select list binds nothing: the parameters stay in the order of the conditions.
  const alias = nested ? PAGE : ROOT;
  const selectSort = nested ? leaves.map((leaf) => b.leaf(PAGE, leaf)) : sortExprs;
  const columns =
    query.fields === null
      ? everyColumn(b, entity, alias)
      : [...selectedColumns(entity, query.fields, query.expand)].map((c) => b.column(alias, c)).join(', ');
  const sortAliases = selectSort.map((_, i) => `_s${i}`);
  const selectList = [columns, ...selectSort.map((e, i) => `${e} AS ${sortAliases[i]}`)].join(', ');
  const sql = nested
    ? `SELECT ${selectList} FROM (SELECT ${b.column(ROOT, 'id')} ${from}${pageWhere} ${paging}) ${IDS}` +
      ` JOIN ${b.table(entity)} ${PAGE} ON ${b.column(PAGE, 'id')} = ${b.column(IDS, 'id')} ORDER BY ${order(selectSort)}`
    : `SELECT ${selectList} ${from}${pageWhere} ${paging}`;
  return { select: { sql, params: b.params }, count, sortAliases, limit };
}

/**
 * Whether one index of the entity holds all these columns of its table besides the primary key (which
 * every index holds), and there are any: ordered by the primary key alone, one statement reads it.
 */
function indexHolds(entity: CompiledEntity, columns: ReadonlySet<string>): boolean {
  const others = [...columns].filter((column) => column !== 'id');
  return (
    others.length > 0 &&
    entity.indexes.some((index) => others.every((column) => index.columns.includes(column)))
  );
}

/**
 * Whether the page's conditions are all equalities on columns and an index starts with exactly those
 * columns, then the order's (the id that ends every order is in every index): read along that index,
 * every entry is a row of the page, in order, and one statement reads it so.
 */
function indexOrders(entity: CompiledEntity, query: ListQuery, sort: LeafRef[]): boolean {
  if (query.search !== null) return false;
  const equal = new Set<string>();
  if (entity.tenantScoped) equal.add('tenant_id');
  if (entity.softDelete && !query.includeDeleted) equal.add('deleted_at');
  if (!equalityColumns(entity, query.filter, equal)) return false;
  const order = sort.map((leaf) => (leaf.storage === 'column' ? leaf.name : null));
  if (order.includes(null)) return false;
  if (order.at(-1) === 'id') order.pop();
  return entity.indexes.some(
    (index) =>
      index.columns.length >= equal.size + order.length &&
      index.columns.slice(0, equal.size).every((column) => equal.has(column)) &&
      order.every((column, i) => index.columns[equal.size + i] === column),
  );
}

/** Adds the columns of a filter made only of `eq` conditions on the entity's own columns; false for any other. */
function equalityColumns(entity: CompiledEntity, node: FilterNode, into: Set<string>): boolean {
  if ('kind' in node)
    return node.kind === 'and' && node.conditions.every((child) => equalityColumns(entity, child, into));
  const leaf = node.op === 'eq' && !node.field.includes('.') ? resolveLeaf(entity, node.field) : null;
  if (leaf?.storage !== 'column') return false;
  into.add(leaf.name);
  return true;
}

/** Whether the filter requires one id (a get by id): the primary key picks that page. */
function pinsId(node: FilterNode): boolean {
  if ('kind' in node) return node.kind === 'and' && node.conditions.some(pinsId);
  return node.field === 'id' && node.op === 'eq';
}
