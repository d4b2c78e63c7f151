import type { CompiledEntity, CompiledField } from '../../../metadata/src/model';
import type { PendingRead, SqlExecutor } from './database';
import type { Dialect } from './dialect';
import type { CompiledSql } from './query-compiler';

/** A row as the database returns it: column name → driver value. */
export type DbRow = Record<string, unknown>;

/** A column's value computed by the database as the row is written (SQL with its own bound values). */
export class SqlExpression {
  constructor(
    readonly sql: string,
    readonly params: readonly unknown[],
  ) {}
}

function placeholder(value: unknown): string {
  return value instanceof SqlExpression ? value.sql : '?';
}

function boundValues(value: unknown): readonly unknown[] {
  return value instanceof SqlExpression ? value.params : [value];
}

/** Rows of a children or many field aggregated into a document read. */
export interface NestedRows {
  alias: string;
  field: CompiledField;
  target: CompiledEntity;
}

/** Rows per multi-row INSERT: stays far below SQLite's 32,766 bound parameters for wide tables. */
const INSERT_BATCH_PARAMS = 30000;
const IN_LIST_CHUNK = 1000;

/** The columns an entity's table stores: the system columns, then the column fields. */
function storedColumns(entity: CompiledEntity): readonly string[] {
  let columns = storedColumnsCache.get(entity);
  if (!columns) {
    columns = [
      ...entity.systemColumns.map((system) => system.column),
      ...entity.fields.flatMap((field) => (field.storage === 'column' && field.column ? [field.column] : [])),
    ];
    storedColumnsCache.set(entity, columns);
  }
  return columns;
}

/** A compiled entity never changes (a new Model compiles new ones), so its columns can be kept. */
const storedColumnsCache = new WeakMap<CompiledEntity, readonly string[]>();

/** The ids `referencedRows` checks, per entity name. */
export type ReferenceWants = ReadonlyMap<
  string,
  {
    entity: CompiledEntity;
    ids: readonly number[];
    columns: readonly string[];
    /** The rows the caller may refer to (a row scope over alias `t`); others read as absent. */
    condition?: CompiledSql | null;
  }
>;

/** A relation `rowWithRelated` follows: `column` of the row at `parent` (-1: the first row). */
export interface RelatedHop {
  entity: CompiledEntity;
  column: string;
  parent: number;
  /** The columns of its row to read (null: every stored column). */
  columns?: readonly string[] | null;
}

/** The statement of a `rowWithRelated` shape, and where each table's columns stand in its row. */
interface RelatedRead {
  /** The dialect it is written in (quoting, a table's placement). */
  dialect: Dialect;
  sql: string;
  /** How many tenant parameters the joins take, before the id. */
  tenantScopedHops: number;
  tables: { columns: readonly string[]; aliases: readonly string[]; idAlias: string }[];
}

/**
 * Rules read the same relations on every write they check, so the statement of each shape is built
 * once per compiled entity (a new Model compiles new ones), the relations it follows and dialect.
 */
const relatedReads = new WeakMap<CompiledEntity, Map<string, RelatedRead>>();

function relatedRead(
  tx: SqlExecutor,
  entity: CompiledEntity,
  hops: readonly RelatedHop[],
  rootColumns: readonly string[] | null,
): RelatedRead {
  const key = [
    rootColumns?.join(',') ?? '*',
    ...hops.map((hop) => `${hop.entity.name}.${hop.column}.${hop.parent}:${hop.columns?.join(',') ?? '*'}`),
  ].join('|');
  const byShape = relatedReads.get(entity) ?? new Map<string, RelatedRead>();
  relatedReads.set(entity, byShape);
  const known = byShape.get(key);
  if (known?.dialect === tx.dialect) return known;
  const q = tx.dialect.quote;
  const tables = [
    { table: entity, columns: rootColumns },
    ...hops.map((hop) => ({ table: hop.entity, columns: hop.columns ?? null })),
  ].map(({ table, columns: wanted }, t) => {
    const columns = wanted ?? storedColumns(table);
    const aliases = columns.map((_, c) => `h${t}_${c}`);
    return { columns, aliases, idAlias: aliases[columns.indexOf('id')]! };
  });
  const selected = tables.flatMap(({ columns, aliases }, t) =>
    columns.map((column, c) => `h${t}.${q(column)} AS ${aliases[c]}`),
  );
  const joins = hops.map((hop, i) => {
    const conditions = [`h${i + 1}.${q('id')} = h${hop.parent + 1}.${q(hop.column)}`];
    if (hop.entity.tenantScoped) conditions.push(`h${i + 1}.${q('tenant_id')} = ?`);
    if (hop.entity.softDelete) conditions.push(`h${i + 1}.${q('deleted_at')} IS NULL`);
    return ` LEFT JOIN ${q(hop.entity.table)} h${i + 1} ON ${conditions.join(' AND ')}`;
  });
  const scope = entity.tenantScoped ? ` AND h0.${q('tenant_id')} = ?` : '';
  const live = entity.softDelete ? ` AND h0.${q('deleted_at')} IS NULL` : '';
  const read: RelatedRead = {
    dialect: tx.dialect,
    sql: `SELECT ${selected.join(', ')} FROM ${q(entity.table)} h0${joins.join('')} WHERE h0.${q('id')} = ?${scope}${live}`,
    tenantScopedHops: hops.filter((hop) => hop.entity.tenantScoped).length,
    tables,
  };
  byShape.set(key, read);
  return read;
}

/** Alias of a many field's target table in `linkedRows`, which a row condition is compiled over. */
export const LINKED = 'r';

/**
 * The row-level statements of the engine. Every statement scopes to the tenant (when the entity is
 * tenant-scoped) and binds every value; identifiers come only from the compiled Model.
 */
export class RowStore {
  constructor(private readonly tenantId: string) {}

  private scope(tx: SqlExecutor, entity: CompiledEntity, alias = ''): { sql: string; params: unknown[] } {
    if (!entity.tenantScoped) return { sql: '', params: [] };
    return { sql: ` AND ${alias}${tx.dialect.quote('tenant_id')} = ?`, params: [this.tenantId] };
  }

  /** Rows by id in one statement per 1,000 ids (deleted rows included: references keep resolving). */
  async byIds(
    tx: SqlExecutor,
    entity: CompiledEntity,
    ids: readonly number[],
    onlyLive = false,
    condition: CompiledSql | null = null,
  ): Promise<DbRow[]> {
    const unique = [...new Set(ids)];
    const rows: DbRow[] = [];
    const q = tx.dialect.quote;
    const scope = this.scope(tx, entity);
    const live = onlyLive && entity.softDelete ? ` AND ${q('deleted_at')} IS NULL` : '';
    const narrowed = condition ? ` AND ${condition.sql}` : '';
    for (let i = 0; i < unique.length; i += IN_LIST_CHUNK) {
      const chunk = unique.slice(i, i + IN_LIST_CHUNK);
      rows.push(
        ...(await tx.query<DbRow>(
          `SELECT t.* FROM ${q(entity.table)} t WHERE ${q('id')} IN (${chunk.map(() => '?').join(', ')})${scope.sql}${live}${narrowed}`,
          [...chunk, ...scope.params, ...(condition?.params ?? [])],
        )),
      );
    }
    return rows;
  }

  /**
   * A live row of the tenant and, in the same statement, the live rows its relations lead to: each
   * hop follows `column` of the row it hangs from (`parent`: index into `hops`, -1 for the first
   * row), LEFT JOINed, so a missing row reads as null and the hops below it too. Returns the first
   * row then one entry per hop, or null when the first row is missing. The columns of each row are
   * those asked for (`columns`, a hop's `columns`, which must hold `id`), by default those its
   * entity stores (system columns and column fields), as `byIds` returns them.
   */
  async rowWithRelated(
    tx: SqlExecutor,
    entity: CompiledEntity,
    id: number,
    hops: readonly RelatedHop[],
    columns: readonly string[] | null = null,
  ): Promise<(DbRow | null)[] | null> {
    const read = relatedRead(tx, entity, hops, columns);
    const params: unknown[] = [];
    for (let i = 0; i < read.tenantScopedHops; i++) params.push(this.tenantId);
    params.push(id);
    if (entity.tenantScoped) params.push(this.tenantId);
    const row = (await tx.query<DbRow>(read.sql, params))[0];
    if (!row) return null;
    return read.tables.map(({ columns, aliases, idAlias }) => {
      const related = row[idAlias];
      if (related === null || related === undefined) return null;
      const values: DbRow = {};
      columns.forEach((column, c) => (values[column] = row[aliases[c]!]));
      return values;
    });
  }

  /**
   * The version of a row as committed now (null: no such row): a locking read, which sees past the
   * transaction's snapshot (REPEATABLE READ) on MySQL; SQLite writers are serialised anyway.
   */
  async committedVersion(tx: SqlExecutor, entity: CompiledEntity, id: number): Promise<number | null> {
    const q = tx.dialect.quote;
    const scope = this.scope(tx, entity);
    const lock = tx.dialect.name === 'mysql' ? ' LOCK IN SHARE MODE' : '';
    const rows = await tx.query<{ version: number | string }>(
      `SELECT ${q('version')} FROM ${q(entity.table)} WHERE ${q('id')} = ?${scope.sql}${lock}`,
      [id, ...scope.params],
    );
    return rows[0] ? Number(rows[0].version) : null;
  }

  /** Ids among `values` of `column` that exist (live) — for existence checks and upsert keys. */
  async existing(
    tx: SqlExecutor,
    entity: CompiledEntity,
    column: string,
    values: readonly unknown[],
  ): Promise<Map<unknown, { id: number; version: number }>> {
    const found = new Map<unknown, { id: number; version: number }>();
    const q = tx.dialect.quote;
    const scope = this.scope(tx, entity);
    const live = entity.softDelete ? ` AND ${q('deleted_at')} IS NULL` : '';
    const unique = [...new Set(values)];
    for (let i = 0; i < unique.length; i += IN_LIST_CHUNK) {
      const chunk = unique.slice(i, i + IN_LIST_CHUNK);
      const rows = await tx.query<{ k: unknown; id: number; version: number }>(
        `SELECT ${q(column)} AS k, ${q('id')} AS id, ${q('version')} AS version FROM ${q(entity.table)} ` +
          `WHERE ${q(column)} IN (${chunk.map(() => '?').join(', ')})${scope.sql}${live}`,
        [...chunk, ...scope.params],
      );
      for (const row of rows)
        found.set(typeof row.k === 'bigint' ? Number(row.k) : row.k, {
          id: Number(row.id),
          version: Number(row.version),
        });
    }
    return found;
  }

  /**
   * Which of the given ids exist (live, in the tenant) in each table, in one UNION ALL statement,
   * with the listed columns of each (what identifier tokens such as `{line.line_code}` need, so they
   * are not read again): entity name → id → those columns. `ahead`: the same statement already sent
   * with `referencedRowsAhead` for these `wanted`, whose answer is used.
   */
  async referencedRows(
    tx: SqlExecutor,
    wanted: ReferenceWants,
    ahead?: PendingRead<DbRow> | null,
  ): Promise<Map<string, Map<number, DbRow>>> {
    const found = new Map<string, Map<number, DbRow>>();
    let rows: DbRow[];
    if (ahead) rows = await ahead.rows();
    else {
      const statement = this.referencedRowsStatement(tx, wanted);
      if (!statement) return found;
      rows = await tx.query<DbRow>(statement.sql, statement.params);
    }
    for (const row of rows as (DbRow & { e: string; id: number })[]) {
      const columns = wanted.get(row.e)?.columns ?? [];
      const byId = found.get(row.e) ?? new Map<number, DbRow>();
      byId.set(Number(row.id), Object.fromEntries(columns.map((column, i) => [column, row[`c${i}`]])));
      found.set(row.e, byId);
    }
    return found;
  }

  /** `referencedRows`' statement sent ahead with `queryLater`; null when no id is wanted. */
  referencedRowsAhead(tx: SqlExecutor, wanted: ReferenceWants): PendingRead<DbRow> | null {
    const statement = this.referencedRowsStatement(tx, wanted);
    return statement && tx.queryLater<DbRow>(statement.sql, statement.params);
  }

  private referencedRowsStatement(tx: SqlExecutor, wanted: ReferenceWants): CompiledSql | null {
    const q = tx.dialect.quote;
    const width = Math.max(0, ...[...wanted.values()].map((w) => w.columns.length));
    const parts: string[] = [];
    const params: unknown[] = [];
    for (const [name, { entity, ids, columns, condition }] of wanted) {
      const unique = [...new Set(ids)];
      if (unique.length === 0) continue;
      const scope = this.scope(tx, entity);
      const live = entity.softDelete ? ` AND ${q('deleted_at')} IS NULL` : '';
      const selected = Array.from(
        { length: width },
        (_, i) => `${i < columns.length ? q(columns[i]) : 'NULL'} AS ${q(`c${i}`)}`,
      );
      parts.push(
        `SELECT ? AS e, ${[`${q('id')} AS id`, ...selected].join(', ')} FROM ${q(entity.table)} t ` +
          `WHERE ${q('id')} IN (${unique.map(() => '?').join(', ')})${scope.sql}${live}` +
          (condition ? ` AND ${condition.sql}` : ''),
      );
      params.push(name, ...unique, ...scope.params, ...(condition?.params ?? []));
    }
    return parts.length === 0 ? null : { sql: parts.join(' UNION ALL '), params };
  }

  /** Whether the row `id` (in the tenant) satisfies `condition` (over alias `t`). */
  async matches(
    tx: SqlExecutor,
    entity: CompiledEntity,
    id: number,
    condition: CompiledSql,
  ): Promise<boolean> {
    const q = tx.dialect.quote;
    const scope = this.scope(tx, entity, 't.');
    const rows = await tx.query(
      `SELECT t.${q('id')} FROM ${q(entity.table)} t WHERE t.${q('id')} = ?${scope.sql} AND ${condition.sql}`,
      [id, ...scope.params, ...condition.params],
    );
    return rows.length > 0;
  }

  /**
   * One row, with a flag per children or many field (column `nested[i].alias`, 1 or 0) telling
   * whether it has rows, so the caller reads nested rows only for the fields that have some. Not the
   * nested rows themselves as JSON aggregates: MariaDB resolves every aggregated column on each
   * execution, which cost 0.4 ms of server CPU per work order read (21 operation columns) whether
   * or not it had operations — twice a plain row read. `condition` (over alias `t`) narrows the
   * read further: a caller's row scope. `lock` reads it FOR UPDATE on MySQL.
   */
  async document(
    tx: SqlExecutor,
    entity: CompiledEntity,
    where: { column: string; value: unknown },
    onlyLive: boolean,
    nested: readonly NestedRows[],
    condition: CompiledSql | null = null,
    lock = false,
  ): Promise<DbRow | null> {
    const q = tx.dialect.quote;
    const params: unknown[] = [];
    const selects = nested.map(({ alias, field, target }, i) => {
      const c = `c${i}`;
      const targetScope = target.tenantScoped ? ` AND ${c}.${q('tenant_id')} = ?` : '';
      const targetLive = target.softDelete ? ` AND ${c}.${q('deleted_at')} IS NULL` : '';
      if (field.children) {
        params.push(...(target.tenantScoped ? [this.tenantId] : []));
        return (
          `EXISTS(SELECT 1 FROM ${q(target.table)} ${c} ` +
          `WHERE ${c}.${q(field.children.foreignColumn)} = t.${q('id')}${targetScope}${targetLive}) AS ${alias}`
        );
      }
      const many = field.many;
      if (!many) throw new Error(`${entity.name}.${field.name} has no rows to read`);
      params.push(this.tenantId, ...(target.tenantScoped ? [this.tenantId] : []));
      return (
        `EXISTS(SELECT 1 FROM ${q(many.through)} l${i} JOIN ${q(target.table)} ${c} ON ${c}.${q('id')} = l${i}.${q(many.targetColumn)} ` +
        `WHERE l${i}.${q(many.sourceColumn)} = t.${q('id')} AND l${i}.${q('tenant_id')} = ?${targetScope}) AS ${alias}`
      );
    });
    const scope = this.scope(tx, entity, 't.');
    const live = onlyLive && entity.softDelete ? ` AND t.${q('deleted_at')} IS NULL` : '';
    const rows = await tx.query<DbRow>(
      `SELECT ${['t.*', ...selects].join(', ')} FROM ${q(entity.table)} t WHERE t.${q(where.column)} = ?${scope.sql}${live}` +
        `${condition ? ` AND ${condition.sql}` : ''} LIMIT 1${lock && tx.dialect.name === 'mysql' ? ' FOR UPDATE' : ''}`,
      [...params, where.value, ...scope.params, ...(condition?.params ?? [])],
    );
    return rows[0] ?? null;
  }

  /**
   * Children of many parents in one statement, ordered by the children field's orderBy then id;
   * `removed`: the soft-deleted ones instead of the live ones.
   */
  async childrenOf(
    tx: SqlExecutor,
    child: CompiledEntity,
    field: CompiledField,
    parentIds: readonly number[],
    removed = false,
  ): Promise<DbRow[]> {
    const children = field.children;
    if (!children || parentIds.length === 0 || (removed && !child.softDelete)) return [];
    const q = tx.dialect.quote;
    const scope = this.scope(tx, child);
    const live = child.softDelete ? ` AND ${q('deleted_at')} IS ${removed ? 'NOT ' : ''}NULL` : '';
    const orderColumn = children.orderBy ? child.fieldsByName.get(children.orderBy)?.column : undefined;
    const order = orderColumn ? `${q(orderColumn)}, ${q('id')}` : q('id');
    const unique = [...new Set(parentIds)];
    return tx.query<DbRow>(
      `SELECT * FROM ${q(child.table)} WHERE ${q(children.foreignColumn)} IN (${unique.map(() => '?').join(', ')})` +
        `${scope.sql}${live} ORDER BY ${order}`,
      [...unique, ...scope.params],
    );
  }

  /**
   * Targets of a many field for many sources in one joined statement; `_source` names the source.
   * With `visible` (a condition over alias `r`), `_visible` tells whether each target satisfies it.
   */
  async linkedRows(
    tx: SqlExecutor,
    field: CompiledField,
    target: CompiledEntity,
    sourceIds: readonly number[],
    visible: CompiledSql | null = null,
  ): Promise<DbRow[]> {
    const many = field.many;
    if (!many || sourceIds.length === 0) return [];
    const q = tx.dialect.quote;
    const unique = [...new Set(sourceIds)];
    const scope = this.scope(tx, target, `${LINKED}.`);
    const flag = visible ? `, CASE WHEN ${visible.sql} THEN 1 ELSE 0 END AS _visible` : '';
    return tx.query<DbRow>(
      `SELECT l.${q(many.sourceColumn)} AS _source, ${LINKED}.*${flag} FROM ${q(many.through)} l ` +
        `JOIN ${q(target.table)} ${LINKED} ON ${LINKED}.${q('id')} = l.${q(many.targetColumn)} ` +
        `WHERE l.${q('tenant_id')} = ? AND l.${q(many.sourceColumn)} IN (${unique.map(() => '?').join(', ')})` +
        `${scope.sql} ORDER BY ${LINKED}.${q('id')}`,
      [...(visible?.params ?? []), this.tenantId, ...unique, ...scope.params],
    );
  }

  async replaceLinks(
    tx: SqlExecutor,
    field: CompiledField,
    sourceId: number,
    targetIds: readonly number[],
  ): Promise<void> {
    const many = field.many;
    if (!many) return;
    const q = tx.dialect.quote;
    await tx.execute(
      `DELETE FROM ${q(many.through)} WHERE ${q('tenant_id')} = ? AND ${q(many.sourceColumn)} = ?`,
      [this.tenantId, sourceId],
    );
    if (targetIds.length === 0) return;
    await tx.execute(
      `INSERT INTO ${q(many.through)} (${q('tenant_id')}, ${q(many.sourceColumn)}, ${q(many.targetColumn)}) VALUES ` +
        targetIds.map(() => '(?, ?, ?)').join(', '),
      targetIds.flatMap((t) => [this.tenantId, sourceId, t]),
    );
  }

  /**
   * Inserts rows (column → bound value or `SqlExpression`; every row has the same columns) in
   * multi-row batches and returns their ids in order. MySQL reserves one block of consecutive
   * auto-increment ids for a multi-row INSERT … VALUES (a "simple insert": its row count is known
   * up front), so the ids are insertId…insertId+n-1; SQLite returns them. With `returnRows`, where
   * the dialect supports `INSERT … RETURNING`, `stored` holds the rows as stored (else null: read
   * them back).
   */
  async insert(
    tx: SqlExecutor,
    entity: CompiledEntity,
    rows: readonly DbRow[],
    returnRows = false,
  ): Promise<{ ids: number[]; stored: DbRow[] | null }> {
    if (rows.length === 0) return { ids: [], stored: returnRows && tx.dialect.insertReturning ? [] : null };
    const q = tx.dialect.quote;
    const columns = Object.keys(rows[0]);
    const perBatch = Math.max(1, Math.floor(INSERT_BATCH_PARAMS / columns.length));
    const head = `INSERT INTO ${q(entity.table)} (${columns.map(q).join(', ')}) VALUES `;
    const tuple = (row: DbRow) => `(${columns.map((c) => placeholder(row[c])).join(', ')})`;
    const values = (row: DbRow) => columns.flatMap((c) => boundValues(row[c]));
    const ids: number[] = [];
    const returning =
      returnRows && tx.dialect.insertReturning ? '*' : tx.dialect.name === 'sqlite' ? q('id') : null;
    const stored: DbRow[] | null = returning === '*' ? [] : null;
    for (let i = 0; i < rows.length; i += perBatch) {
      const batch = rows.slice(i, i + perBatch);
      const sql = head + batch.map(tuple).join(', ');
      const params = batch.flatMap(values);
      if (returning) {
        const returned = await tx.query<DbRow>(`${sql} RETURNING ${returning}`, params);
        ids.push(...returned.map((r) => Number(r.id)));
        stored?.push(...returned);
      } else {
        const result = await tx.execute(sql, params);
        for (let k = 0; k < batch.length; k++) ids.push(result.insertId + k);
      }
    }
    return { ids, stored };
  }

  /** `UPDATE … WHERE id = ? [AND version = ?]`; returns affected rows (0 = missing or stale). */
  async update(
    tx: SqlExecutor,
    entity: CompiledEntity,
    id: number,
    values: DbRow,
    expectedVersion: number | null,
    extraCondition = '',
  ): Promise<number> {
    const versionCondition = expectedVersion === null ? '' : ` AND ${tx.dialect.quote('version')} = ?`;
    const { sql, params } = this.updateStatement(tx, entity, id, values);
    const result = await tx.execute(`${sql}${versionCondition}${extraCondition}`, [
      ...params,
      ...(expectedVersion === null ? [] : [expectedVersion]),
    ]);
    return result.affected;
  }

  /**
   * Writes a row this transaction read with a lock (`document` with `lock`): no other writer can
   * have moved its version since, so nothing is checked and the statement waits to travel with the
   * transaction's next one (`executeLater`).
   */
  async updateLocked(tx: SqlExecutor, entity: CompiledEntity, id: number, values: DbRow): Promise<void> {
    const { sql, params } = this.updateStatement(tx, entity, id, values);
    await tx.executeLater(sql, params);
  }

  /** UPDATE of one row of the tenant by id, its version moved on; conditions may be appended. */
  private updateStatement(
    tx: SqlExecutor,
    entity: CompiledEntity,
    id: number,
    values: DbRow,
  ): { sql: string; params: unknown[] } {
    const q = tx.dialect.quote;
    const columns = Object.keys(values);
    const scope = this.scope(tx, entity);
    const sets = [...columns.map((c) => `${q(c)} = ?`), `${q('version')} = ${q('version')} + 1`];
    return {
      sql: `UPDATE ${q(entity.table)} SET ${sets.join(', ')} WHERE ${q('id')} = ?${scope.sql}`,
      params: [...columns.map((c) => values[c]), id, ...scope.params],
    };
  }

  /** Ids of the tenant's live rows whose columns equal `where`, in id order. */
  async idsWhere(tx: SqlExecutor, entity: CompiledEntity, where: DbRow): Promise<number[]> {
    const q = tx.dialect.quote;
    const scope = this.scope(tx, entity);
    const conditions = Object.keys(where).map((column) => ` AND ${q(column)} = ?`);
    const live = entity.softDelete ? ` AND ${q('deleted_at')} IS NULL` : '';
    const rows = await tx.query<{ id: number }>(
      `SELECT ${q('id')} AS id FROM ${q(entity.table)} WHERE 1 = 1${conditions.join('')}${scope.sql}${live} ORDER BY ${q('id')}`,
      [...Object.values(where), ...scope.params],
    );
    return rows.map((row) => Number(row.id));
  }

  async deleteByIds(tx: SqlExecutor, entity: CompiledEntity, ids: readonly number[]): Promise<void> {
    if (ids.length === 0) return;
    const q = tx.dialect.quote;
    const scope = this.scope(tx, entity);
    await tx.execute(
      `DELETE FROM ${q(entity.table)} WHERE ${q('id')} IN (${ids.map(() => '?').join(', ')})${scope.sql}`,
      [...ids, ...scope.params],
    );
  }
}
