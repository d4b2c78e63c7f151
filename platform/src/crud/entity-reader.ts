import type { CompiledField } from '../../../metadata/src/model';
import { estimateCount } from '../data/count-estimate';
import type { EngineDatabase, SqlExecutor } from '../data/database';
import { compileFilter, compileList, type CompiledSql } from '../data/query-compiler';
import { LINKED, RowStore, type DbRow, type NestedRows } from '../data/row-store';
import { canonicalDbValue } from '../data/values';
import { runCompiled } from '../data/statements';
import { resolveLeaf } from '../data/field-paths';
import { runtimeOf, type EntityRuntime } from '../kernel/model-runtime';
import { decodeCursor, encodeCursor } from './cursor';
import { NotFoundError } from './errors';
import { pickFields, serializeRow } from './serializer';
import type { EntityRecord, FilterNode, ListQuery, ListResult, ReadOptions, RequestContext } from './types';

/**
 * Every read: list pages, single records and their expansions. A page is one SELECT (plus the count
 * the caller asked for) and one batched statement per expanded field, never one per row.
 */
export class EntityReader {
  constructor(private readonly db: EngineDatabase) {}

  async list(entityName: string, query: ListQuery, ctx: RequestContext): Promise<ListResult> {
    const rt = runtimeOf(ctx.model).entity(entityName);
    const exec = this.db.executor();
    const cursorValues = query.cursor === null ? null : decodeCursor(query.cursor, query.sort);
    const compiled = compileList(ctx.model, rt.entity, query, ctx.tenantId, exec.dialect, cursorValues);
    const [rows, total] = await Promise.all([
      runCompiled<DbRow>(exec, compiled.select),
      this.total(exec, rt, query, compiled.count),
    ]);
    let page = rows;
    let nextCursor: string | null = null;
    if (query.cursor !== null && rows.length > query.pageSize) {
      page = rows.slice(0, query.pageSize);
      const last = page[page.length - 1];
      nextCursor = encodeCursor(
        query.sort,
        compiled.sortAliases.map((alias, i) => {
          const leaf = resolveLeaf(rt.entity, query.sort[i].field);
          return canonicalDbValue(leaf?.storage === 'column' ? leaf.columnType : undefined, last[alias]);
        }),
      );
    }
    const items = await this.toRecords(exec, rt, page, query.expand, ctx, query.expandScopes);
    return {
      items: query.fields ? items.map((r) => pickFields(rt, r, query.fields ?? [])) : items,
      total,
      page: query.page,
      pageSize: query.pageSize,
      nextCursor,
    };
  }

  private async total(
    exec: SqlExecutor,
    rt: EntityRuntime,
    query: ListQuery,
    count: { sql: string; params: unknown[] },
  ): Promise<number | null> {
    if (query.count === 'none') return null;
    if (query.count === 'estimated') {
      const filtered = query.filter.conditions.length > 0 || query.search !== null;
      const estimate = await estimateCount(exec, rt.entity, count, filtered);
      if (estimate !== null) return estimate;
    }
    const rows = await runCompiled<{ n: number | string }>(exec, count);
    return Number(rows[0]?.n ?? 0);
  }

  /**
   * One record with its children and many-links (the full document a form edits), plus the
   * requested relation expansions. `exec` may be a transaction (reading back a write).
   */
  async get(
    exec: SqlExecutor | null,
    entityName: string,
    id: number,
    ctx: RequestContext,
    opts: ReadOptions = {},
  ): Promise<EntityRecord> {
    const rt = runtimeOf(ctx.model).entity(entityName);
    const record = await this.document(
      exec ?? this.db.executor(),
      rt,
      { column: 'id', value: id },
      ctx,
      opts,
    );
    if (!record) throw new NotFoundError(entityName, id);
    return record;
  }

  /**
   * A record before a write, in one statement: the stored row (version, ext) and the document hooks
   * and the audit see as `previous`, read with the caller's row scope for `action` compiled in, so a
   * row outside it is missing (404) exactly like an absent one. Live rows only unless `includeDeleted`.
   * `lock`: the row is read with a lock held until commit (MySQL; SQLite serialises writers anyway),
   * so it is the version committed now and no other writer can move it before this one updates it.
   */
  async current(
    exec: SqlExecutor,
    entityName: string,
    id: number,
    ctx: RequestContext,
    action: string,
    { includeDeleted = false, lock = false }: { includeDeleted?: boolean; lock?: boolean } = {},
  ): Promise<{ row: DbRow; record: EntityRecord; locked: boolean }> {
    const rt = runtimeOf(ctx.model).entity(entityName);
    const read = await this.readDocument(
      exec,
      rt,
      { column: 'id', value: id },
      ctx,
      { includeDeleted },
      this.scopeOf(exec, rt, ctx, action),
      lock,
    );
    if (!read) throw new NotFoundError(entityName, id);
    return { ...read, locked: lock };
  }

  /**
   * Whether the stored row lies in the caller's row scope for `action`: one statement, only when
   * the caller has a scope that depends on a field the write touched.
   */
  async inScope(
    exec: SqlExecutor,
    rt: EntityRuntime,
    id: number,
    ctx: RequestContext,
    action: string,
  ): Promise<boolean> {
    const scope = this.scopeOf(exec, rt, ctx, action);
    return !scope || new RowStore(ctx.tenantId).matches(exec, rt.entity, id, scope);
  }

  private scopeOf(
    exec: SqlExecutor,
    rt: EntityRuntime,
    ctx: RequestContext,
    action: string,
  ): CompiledSql | null {
    const scope = ctx.access?.rowScope(rt.entity.name, action);
    return scope ? compileFilter(ctx.model, rt.entity, scope, ctx.tenantId, exec.dialect) : null;
  }

  async getByKey(
    entityName: string,
    key: string,
    ctx: RequestContext,
    opts: ReadOptions = {},
  ): Promise<EntityRecord> {
    const rt = runtimeOf(ctx.model).entity(entityName);
    const keyField = rt.entity.businessKey ? rt.entity.fieldsByName.get(rt.entity.businessKey) : undefined;
    if (!keyField?.column) throw new NotFoundError(entityName, key);
    const record = await this.document(
      this.db.executor(),
      rt,
      { column: keyField.column, value: key },
      ctx,
      opts,
    );
    if (!record) throw new NotFoundError(entityName, key);
    return record;
  }

  /**
   * A record as a document: the row, then the rows of each children and many field that has any
   * (one statement each), then the requested relation expansions (one batched statement each).
   */
  private async document(
    exec: SqlExecutor,
    rt: EntityRuntime,
    where: { column: string; value: unknown },
    ctx: RequestContext,
    opts: ReadOptions,
  ): Promise<EntityRecord | null> {
    return (await this.readDocument(exec, rt, where, ctx, opts))?.record ?? null;
  }

  private async readDocument(
    exec: SqlExecutor,
    rt: EntityRuntime,
    where: { column: string; value: unknown },
    ctx: RequestContext,
    opts: ReadOptions,
    condition: CompiledSql | null = null,
    lock = false,
  ): Promise<{ row: DbRow; record: EntityRecord } | null> {
    const runtime = runtimeOf(ctx.model);
    const nested: NestedRows[] = [...rt.childrenFields, ...rt.manyFields].map((field, i) => ({
      alias: `_n${i}`,
      field,
      target: runtime.entity(field.children?.target ?? field.many?.target ?? '').entity,
    }));
    const store = new RowStore(ctx.tenantId);
    const row = await store.document(exec, rt.entity, where, !opts.includeDeleted, nested, condition, lock);
    if (!row) return null;
    const present = nested.map(({ alias }) => {
      const flag = Number(row[alias]) === 1;
      delete row[alias];
      return flag;
    });
    const record = serializeRow(rt, row, ctx.tenantId);
    await this.completeNested(exec, rt, record, ctx, (_field, i) => present[i]);
    const expand = new Set(opts.expand ?? []);
    for (const path of opts.fields ?? []) if (path.includes('.')) expand.add(path.split('.')[0]);
    for (const name of expand) {
      const field = rt.entity.fieldsByApiName.get(name);
      if (field?.relation) await this.expandField(exec, field, [record], ctx);
    }
    return { row, record: opts.fields ? pickFields(rt, record, opts.fields) : record };
  }

  /**
   * The document after a write without reading it again: from the row as stored (returned by the
   * insert), or, after an update, from the document before it (`unchanged`) with the columns the
   * update wrote (`row`). Nested fields the write did not touch are copied from `unchanged`;
   * touched ones are read, one statement each.
   */
  async afterWrite(
    exec: SqlExecutor,
    rt: EntityRuntime,
    row: DbRow,
    ctx: RequestContext,
    unchanged: EntityRecord | null,
    touched: (field: CompiledField) => boolean,
  ): Promise<EntityRecord> {
    // serializeRow skips the columns a row lacks: the written ones replace their old values.
    const written = serializeRow(rt, row, ctx.tenantId);
    const record = unchanged ? Object.assign({ ...unchanged }, written) : written;
    await this.completeNested(exec, rt, record, ctx, touched, unchanged);
    return record;
  }

  /**
   * Fills a record's children and many fields: read where `read` says so, else copied from
   * `unchanged` when given, else empty.
   */
  private async completeNested(
    exec: SqlExecutor,
    rt: EntityRuntime,
    record: EntityRecord,
    ctx: RequestContext,
    read: (field: CompiledField, index: number) => boolean,
    unchanged: EntityRecord | null = null,
  ): Promise<void> {
    for (const [i, field] of [...rt.childrenFields, ...rt.manyFields].entries()) {
      if (read(field, i)) await this.expandField(exec, field, [record], ctx);
      else if (unchanged) {
        record[field.apiName] = (unchanged[field.apiName] as EntityRecord[]).map((item) => ({ ...item }));
        if (field.many) record[`${field.apiName}Ids`] = [...(unchanged[`${field.apiName}Ids`] as number[])];
      } else {
        record[field.apiName] = [];
        if (field.many) record[`${field.apiName}Ids`] = [];
      }
    }
  }

  /** Records of many ids in request order (reading back bulk writes for hooks). */
  async getMany(
    exec: SqlExecutor,
    entityName: string,
    ids: number[],
    ctx: RequestContext,
  ): Promise<EntityRecord[]> {
    const rt = runtimeOf(ctx.model).entity(entityName);
    const rows = await new RowStore(ctx.tenantId).byIds(exec, rt.entity, ids);
    const expand = [...rt.childrenFields, ...rt.manyFields].map((f) => f.apiName);
    const records = await this.toRecords(exec, rt, rows, expand, ctx);
    const byId = new Map(records.map((r) => [r.id, r]));
    return ids.map((id) => byId.get(id) ?? { id });
  }

  private async toRecords(
    exec: SqlExecutor,
    rt: EntityRuntime,
    rows: DbRow[],
    expand: readonly string[],
    ctx: RequestContext,
    scopes: ListQuery['expandScopes'] = {},
  ): Promise<EntityRecord[]> {
    const records = rows.map((row) => serializeRow(rt, row, ctx.tenantId));
    if (records.length === 0) return records;
    for (const name of expand) {
      const field = rt.entity.fieldsByApiName.get(name);
      if (field) await this.expandField(exec, field, records, ctx, scopes[name] ?? null);
    }
    return records;
  }

  /**
   * Reads one expanded field for many records in one statement. `scope` (a relation or many
   * field's) narrows the related rows in that statement: the expansion as the caller may see it.
   */
  private async expandField(
    exec: SqlExecutor,
    field: CompiledField,
    records: EntityRecord[],
    ctx: RequestContext,
    scope: FilterNode | null = null,
  ): Promise<void> {
    const store = new RowStore(ctx.tenantId);
    const runtime = runtimeOf(ctx.model);
    const ids = records.map((r) => r.id as number);
    const target = runtime.entity(
      field.relation?.target ?? field.many?.target ?? field.children?.target ?? '',
    );
    const visible = (alias: string) =>
      scope ? compileFilter(ctx.model, target.entity, scope, ctx.tenantId, exec.dialect, alias) : null;
    if (field.relation) {
      const refs = records
        .map((r) => r[`${field.apiName}Id`])
        .filter((v): v is number => typeof v === 'number');
      const related =
        refs.length > 0 ? await store.byIds(exec, target.entity, refs, false, visible('t')) : [];
      const byId = new Map(related.map((row) => [Number(row.id), serializeRow(target, row, ctx.tenantId)]));
      for (const record of records) {
        const ref = record[`${field.apiName}Id`];
        record[field.apiName] = typeof ref === 'number' ? (byId.get(ref) ?? null) : null;
      }
      return;
    }
    if (field.children) {
      const rows = await store.childrenOf(exec, target.entity, field, ids);
      const byParent = groupBy(rows, (row) => Number(row[field.children?.foreignColumn ?? '']));
      for (const record of records) {
        record[field.apiName] = (byParent.get(record.id as number) ?? []).map((row) =>
          serializeRow(target, row, ctx.tenantId),
        );
      }
      return;
    }
    if (field.many) {
      const rows = await store.linkedRows(exec, field, target.entity, ids, visible(LINKED));
      const bySource = groupBy(rows, (row) => Number(row._source));
      for (const record of records) {
        const linked = bySource.get(record.id as number) ?? [];
        record[`${field.apiName}Ids`] = linked.map((row) => Number(row.id));
        record[field.apiName] = linked
          .filter((row) => row._visible === undefined || Number(row._visible) === 1)
          .map(({ _visible, ...row }) => serializeRow(target, row, ctx.tenantId));
      }
    }
  }
}

function groupBy<T>(items: T[], key: (item: T) => number): Map<number, T[]> {
  const groups = new Map<number, T[]>();
  for (const item of items) {
    const k = key(item);
    const group = groups.get(k);
    if (group) group.push(item);
    else groups.set(k, [item]);
  }
  return groups;
}
