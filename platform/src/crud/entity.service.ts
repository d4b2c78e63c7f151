import type { CompiledEntity, CompiledField, Model } from '../../../metadata/src/model';
import { apiPropertyOf } from '../../../metadata/src/model/api-schema';
import type { EngineDatabase, SqlExecutor } from '../data/database';
import { RowStore, type DbRow } from '../data/row-store';
import { nowForDb } from '../data/values';
import { runtimeOf, type EntityRuntime } from '../kernel/model-runtime';
import { EntityReader } from './entity-reader';
import { EntityWriter, type RowErrors } from './entity-writer';
import {
  ApiError,
  BadRequestError,
  BulkValidationError,
  BusinessRuleError,
  ConflictError,
  DuplicateValueError,
  NotFoundError,
  ValidationError,
} from './errors';
import { HookRegistry, type WriteAction } from './hooks';
import { parseListQuery } from './query-parser';
import { serializeRow } from './serializer';
import type {
  BulkRequest,
  BulkResult,
  EntityOperations,
  EntityRecord,
  FieldError,
  ListQuery,
  ListResult,
  ReadOptions,
  RequestContext,
  RowError,
} from './types';
import { requiredWhenErrors } from './required-when';
import { assertValidBody, bodyErrors, throwFieldErrors } from './validation';

export const MAX_BULK_ROWS = 10_000;

/**
 * One service for every entity (ARCHITECTURE.md §5): parse → validate → hooks → one transaction
 * (row, children, links, in-transaction hooks) → after-commit hooks. Reads go to EntityReader.
 */
export class EntityService implements EntityOperations {
  private readonly reader: EntityReader;

  constructor(
    private readonly db: EngineDatabase,
    readonly hooks: HookRegistry = new HookRegistry(),
  ) {
    this.reader = new EntityReader(db);
  }

  parseListQuery(entity: string, rawQuery: Record<string, unknown>, model: Model): ListQuery {
    return parseListQuery(entity, rawQuery, model);
  }

  list(entity: string, query: ListQuery, ctx: RequestContext): Promise<ListResult> {
    return this.reader.list(entity, query, ctx);
  }

  get(entity: string, id: number, ctx: RequestContext, opts?: ReadOptions): Promise<EntityRecord> {
    return this.reader.get(null, entity, id, ctx, opts);
  }

  getByKey(entity: string, key: string, ctx: RequestContext, opts?: ReadOptions): Promise<EntityRecord> {
    return this.reader.getByKey(entity, key, ctx, opts);
  }

  async create(entity: string, body: EntityRecord, ctx: RequestContext): Promise<EntityRecord> {
    const rt = runtimeOf(ctx.model).entity(entity);
    assertValidBody(rt, body, 'create', ctx.tenantId);
    const input = { ...body };
    await this.hooks.run('before', { entity, action: 'create', ctx, body: input, current: null, id: null });
    throwFieldErrors(requiredWhenErrors(rt, input));
    const record = await this.write(
      rt,
      async (tx) => {
        const writer = new EntityWriter(tx, ctx);
        throwRowErrors(await writer.checkReferences(rt, [input], () => ''));
        const { id, stored } = await writer.insertOne(rt, input);
        if (!stored) return this.readBack(tx, rt, id, 'create', ctx, null);
        const inserted = (field: CompiledField) => nestedValue(input, field).length > 0;
        const record = await this.reader.afterWrite(tx, rt, stored, ctx, null, inserted);
        await this.runInTransaction(tx, entity, 'create', ctx, record, null);
        return record;
      },
      input,
    );
    await this.hooks.run('after', { entity, action: 'create', ctx, record, previous: null });
    return record;
  }

  async update(entity: string, id: number, body: EntityRecord, ctx: RequestContext): Promise<EntityRecord> {
    const rt = runtimeOf(ctx.model).entity(entity);
    refuseAppendOnly(rt.entity, 'update');
    assertValidBody(rt, body, 'patch', ctx.tenantId);
    const input = { ...body };
    let previous: EntityRecord | null = null;
    // The record as it would be stored: names the values of a violated unique rule.
    const stored: EntityRecord = { ...input };
    const record = await this.write(
      rt,
      async (tx) => {
        // The before image is the whole document, so the audit diff shows child rows and links
        // changed with the record.
        const { row: current, record: before } = await this.reader.current(tx, entity, id, ctx);
        previous = before;
        Object.assign(stored, previous, input);
        const sent = input.version as number;
        if (Number(current.version) !== sent)
          throw new ConflictError(entity, id, Number(current.version), sent);
        await this.hooks.run('before', { entity, action: 'update', ctx, body: input, current: previous, id });
        throwFieldErrors(requiredWhenErrors(rt, { ...previous, ...input }));
        const writer = new EntityWriter(tx, ctx);
        throwRowErrors(await writer.checkReferences(rt, [input], () => ''));
        const { version: _version, ...patch } = input;
        const updated = await writer.update(rt, current, patch, sent);
        if (!updated) return this.conflict(tx, rt, id, sent, ctx);
        if (!updated.exact) return this.readBack(tx, rt, id, 'update', ctx, previous);
        const merged = (field: CompiledField) => apiPropertyOf(field) in patch;
        const record = await this.reader.afterWrite(tx, rt, updated.written, ctx, previous, merged);
        await this.runInTransaction(tx, entity, 'update', ctx, record, previous);
        return record;
      },
      stored,
    );
    await this.hooks.run('after', { entity, action: 'update', ctx, record, previous });
    return record;
  }

  async remove(entity: string, id: number, ctx: RequestContext): Promise<void> {
    const rt = runtimeOf(ctx.model).entity(entity);
    refuseAppendOnly(rt.entity, 'delete');
    let previous: EntityRecord | null = null;
    await this.write(rt, async (tx) => {
      const current = await this.reader.current(tx, entity, id, ctx);
      previous = current.record;
      await this.deleteRow(tx, rt, current, ctx);
    });
    if (previous)
      await this.hooks.run('after', { entity, action: 'delete', ctx, record: previous, previous });
  }

  /** Soft or hard delete of one live record read in this transaction, with its hooks. */
  private async deleteRow(
    tx: SqlExecutor,
    rt: EntityRuntime,
    current: { row: DbRow; record: EntityRecord },
    ctx: RequestContext,
  ): Promise<void> {
    const entity = rt.entity.name;
    const id = Number(current.row.id);
    const previous = current.record;
    await this.hooks.run('before', { entity, action: 'delete', ctx, body: {}, current: previous, id });
    const store = new RowStore(ctx.tenantId);
    if (rt.entity.softDelete) {
      const changes = { deleted_at: nowForDb(), updated_at: nowForDb(), updated_by: ctx.userId };
      await store.update(tx, rt.entity, id, changes, Number(current.row.version));
    } else {
      await this.deleteOwnedChildren(tx, rt, id, ctx);
      await store.deleteByIds(tx, rt.entity, [id]);
    }
    await this.runInTransaction(tx, entity, 'delete', ctx, previous, previous);
  }

  async restore(entity: string, id: number, ctx: RequestContext): Promise<EntityRecord> {
    const rt = runtimeOf(ctx.model).entity(entity);
    if (!rt.entity.softDelete)
      throw new BusinessRuleError(`${entity} is not soft-deleted, so it cannot be restored`);
    let previous: EntityRecord | null = null;
    const record = await this.write(rt, async (tx) => {
      const rows = await new RowStore(ctx.tenantId).byIds(tx, rt.entity, [id]);
      if (rows.length === 0) throw new NotFoundError(entity, id);
      previous = serializeRow(rt, rows[0], ctx.tenantId);
      if (rows[0].deleted_at === null) return this.reader.get(tx, entity, id, ctx);
      await this.hooks.run('before', { entity, action: 'restore', ctx, body: {}, current: previous, id });
      const changes = { deleted_at: null, updated_at: nowForDb(), updated_by: ctx.userId };
      await new RowStore(ctx.tenantId).update(tx, rt.entity, id, changes, Number(rows[0].version));
      return this.readBack(tx, rt, id, 'restore', ctx, previous);
    });
    await this.hooks.run('after', { entity, action: 'restore', ctx, record, previous });
    return record;
  }

  /**
   * Up to 10,000 rows in one transaction. Every row is validated and its references checked before
   * anything is written; any failing row → 422 listing each row's errors, and nothing is written.
   */
  async bulk(entity: string, request: BulkRequest, ctx: RequestContext): Promise<BulkResult> {
    const rt = runtimeOf(ctx.model).entity(entity);
    const { mode, rows } = request;
    if (mode !== 'create' && mode !== 'update' && mode !== 'upsert' && mode !== 'delete') {
      throw new BadRequestError('mode must be create, update, upsert or delete', { parameter: 'mode' });
    }
    if (!Array.isArray(rows)) throw new BadRequestError('rows must be an array', { parameter: 'rows' });
    if (rows.length > MAX_BULK_ROWS) {
      throw new BadRequestError(`At most ${MAX_BULK_ROWS} rows per bulk request`, { limit: MAX_BULK_ROWS });
    }
    if (mode === 'delete') return this.bulkDelete(rt, rows, ctx);
    if (mode !== 'create') refuseAppendOnly(rt.entity, 'update');
    return this.write(rt, async (tx) => {
      const plan = await this.planBulk(tx, rt, mode, rows, ctx);
      const writer = new EntityWriter(tx, ctx);
      const planned = [...plan.creates, ...plan.updates];
      const references = await writer.checkReferences(
        rt,
        planned.map((p) => p.body),
        (k) => `/rows/${planned[k].row}`,
      );
      for (const [k, errors] of references) addErrors(plan.errors, planned[k].row, errors);
      if (plan.errors.size > 0) throw new BulkValidationError(toRowErrors(plan.errors));
      for (const create of plan.creates) {
        await this.hooks.run('before', {
          entity,
          action: 'create',
          ctx,
          body: create.body,
          current: null,
          id: null,
        });
      }
      const ids = new Array<number>(rows.length);
      const created = await writer.insert(
        rt,
        plan.creates.map((c) => c.body),
      );
      plan.creates.forEach((c, k) => (ids[c.row] = created[k]));
      for (const u of plan.updates) {
        const id = Number(u.current.id);
        ids[u.row] = id;
        const { version, ...patch } = u.body;
        if (!(await writer.update(rt, u.current, patch, version as number))) {
          addErrors(plan.errors, u.row, [
            {
              field: 'version',
              path: `/rows/${u.row}/version`,
              rule: 'version',
              limit: Number(u.current.version),
              message: `Stale version: ${rt.entity.name} ${id} was modified`,
            },
          ]);
        }
      }
      if (plan.errors.size > 0) throw new BulkValidationError(toRowErrors(plan.errors));
      await this.bulkHooks(tx, rt, ids, new Set(plan.creates.map((c) => c.row)), ctx);
      return { created: plan.creates.length, updated: plan.updates.length, deleted: 0, errors: [], ids };
    });
  }

  /**
   * Deletes every row (`{id, version?}`) in one transaction: a row naming no live record, a stale
   * version, a repeated id or a refusing hook fails the request with each row's errors, and nothing
   * is deleted. The after hooks run once all committed.
   */
  private async bulkDelete(rt: EntityRuntime, rows: unknown[], ctx: RequestContext): Promise<BulkResult> {
    refuseAppendOnly(rt.entity, 'delete');
    const entity = rt.entity.name;
    const deleted = await this.write(rt, async (tx) => {
      const errors: RowErrors = new Map();
      const seen = new Set<number>();
      const targets: { row: DbRow; record: EntityRecord }[] = [];
      for (const [row, body] of rows.entries()) {
        const rowErrors = deleteRowErrors(body, row, seen);
        if (rowErrors.length > 0) {
          errors.set(row, rowErrors);
          continue;
        }
        const { id, version } = body as { id: number; version?: number };
        seen.add(id);
        try {
          const current = await this.reader.current(tx, entity, id, ctx);
          if (version !== undefined && Number(current.row.version) !== version)
            addErrors(errors, row, [
              {
                field: 'version',
                path: `/rows/${row}/version`,
                rule: 'version',
                limit: Number(current.row.version),
                message: `Stale version: ${entity} ${id} was modified`,
              },
            ]);
          else targets.push(current);
        } catch (error) {
          if (!(error instanceof NotFoundError)) throw error;
          addErrors(errors, row, [
            {
              field: 'id',
              path: `/rows/${row}/id`,
              rule: 'exists',
              message: `${entity} ${id} does not exist`,
            },
          ]);
        }
      }
      if (errors.size > 0) throw new BulkValidationError(toRowErrors(errors));
      for (const target of targets) await this.deleteRow(tx, rt, target, ctx);
      return targets.map((target) => target.record);
    });
    for (const previous of deleted)
      await this.hooks.run('after', { entity, action: 'delete', ctx, record: previous, previous });
    return {
      created: 0,
      updated: 0,
      deleted: deleted.length,
      errors: [],
      ids: deleted.map((r) => Number(r.id)),
    };
  }

  /**
   * Sorts bulk rows into creates and updates and validates each. Update targets: `id` (with
   * `version`), or for upsert the business key (version optional: the stored one is assumed).
   */
  private async planBulk(
    tx: SqlExecutor,
    rt: EntityRuntime,
    mode: BulkRequest['mode'],
    rows: unknown[],
    ctx: RequestContext,
  ): Promise<BulkPlan> {
    const plan: BulkPlan = { creates: [], updates: [], errors: new Map() };
    const store = new RowStore(ctx.tenantId);
    const keyField = rt.entity.businessKey ? rt.entity.fieldsByName.get(rt.entity.businessKey) : undefined;
    const records = rows.map((row) => (isRecord(row) ? row : null));
    const keyOf = (r: EntityRecord | null) => (keyField && r ? r[keyField.apiName] : undefined);
    const keyed =
      mode === 'upsert' && keyField?.column
        ? await store.existing(
            tx,
            rt.entity,
            keyField.column,
            records.map(keyOf).filter((k) => k !== undefined && k !== null),
          )
        : new Map<unknown, { id: number; version: number }>();
    const targetOf = (r: EntityRecord | null): number | undefined =>
      typeof r?.id === 'number' ? r.id : keyed.get(keyOf(r))?.id;
    const targets = records.map(targetOf).filter((id): id is number => id !== undefined);
    const stored = new Map((await store.byIds(tx, rt.entity, targets, true)).map((r) => [Number(r.id), r]));

    records.forEach((record, row) => {
      const prefix = (e: FieldError): FieldError => ({ ...e, path: `/rows/${row}${e.path}` });
      const target = targetOf(record);
      if (mode === 'create' || (mode === 'upsert' && target === undefined)) {
        const errors = bodyErrors(rt, record ?? rows[row], 'create', ctx.tenantId);
        if (errors.length === 0) errors.push(...requiredWhenErrors(rt, record as EntityRecord));
        if (errors.length > 0) plan.errors.set(row, errors.map(prefix));
        else plan.creates.push({ row, body: { ...(record as EntityRecord) } });
        return;
      }
      const { id: _id, ...rest } = record ?? {};
      const body = { ...rest, version: rest.version ?? keyed.get(keyOf(record))?.version };
      const errors = bodyErrors(rt, body, 'patch', ctx.tenantId).map(prefix);
      const current = target === undefined ? undefined : stored.get(target);
      if (target === undefined) {
        errors.push({
          field: 'id',
          path: `/rows/${row}/id`,
          rule: 'required',
          message: 'id is required to update',
        });
      } else if (!current) {
        errors.push({
          field: 'id',
          path: `/rows/${row}/id`,
          rule: 'exists',
          message: `${rt.entity.name} ${target} does not exist`,
        });
      }
      if (current && errors.length === 0)
        errors.push(
          ...requiredWhenErrors(rt, { ...serializeRow(rt, current, ctx.tenantId), ...body }, `/rows/${row}`),
        );
      if (errors.length > 0 || !current) plan.errors.set(row, errors);
      else plan.updates.push({ row, body, current });
    });
    return plan;
  }

  private async bulkHooks(
    tx: SqlExecutor,
    rt: EntityRuntime,
    ids: number[],
    created: ReadonlySet<number>,
    ctx: RequestContext,
  ): Promise<void> {
    const entity = rt.entity.name;
    if (
      !this.hooks.has('inTransaction', entity, 'create') &&
      !this.hooks.has('inTransaction', entity, 'update')
    )
      return;
    const records = await this.reader.getMany(tx, entity, ids, ctx);
    for (const [i, record] of records.entries()) {
      await this.runInTransaction(tx, entity, created.has(i) ? 'create' : 'update', ctx, record, null);
    }
  }

  /**
   * Runs a write transaction, turning unique-constraint failures into 409 DUPLICATE_VALUE naming the
   * rule's fields, with the values of `record` (the body written) where it has them.
   */
  private async write<T>(
    rt: EntityRuntime,
    work: (tx: SqlExecutor) => Promise<T>,
    record?: EntityRecord,
  ): Promise<T> {
    try {
      return await this.db.transaction(work);
    } catch (error) {
      if (error instanceof ApiError) throw error;
      const duplicate = this.duplicateError(rt, error, record);
      if (duplicate) throw duplicate;
      throw error;
    }
  }

  private duplicateError(rt: EntityRuntime, error: unknown, record?: EntityRecord): ApiError | null {
    const violation = this.db.dialect.uniqueViolation(error);
    if (!violation) return null;
    const index = violation.index ? rt.entity.indexes.find((i) => i.name === violation.index) : undefined;
    const columns = (index ? index.columns : violation.columns).filter((column) => column !== 'tenant_id');
    const fields = columns.map((column) => rt.entity.fields.find((f) => f.column === column));
    // MySQL reports the duplicate key as `<tenant>-<value>`: usable as the value of a one-field rule.
    const raw = violation.value ?? undefined;
    const reported =
      raw !== undefined && index?.columns[0] === 'tenant_id' && raw.includes('-')
        ? raw.slice(raw.indexOf('-') + 1)
        : raw;
    return new DuplicateValueError(
      fields.map((field, i) => {
        const name = field ? apiPropertyOf(field) : columns[i]!;
        const sent = record?.[name];
        const value = sent !== undefined ? sent : columns.length === 1 ? reported : undefined;
        return value === undefined || value === null ? { field: name } : { field: name, value };
      }),
    );
  }

  private async conflict(
    tx: SqlExecutor,
    rt: EntityRuntime,
    id: number,
    sent: number,
    ctx: RequestContext,
  ): Promise<never> {
    const rows = await new RowStore(ctx.tenantId).byIds(tx, rt.entity, [id], true);
    if (rows.length === 0) throw new NotFoundError(rt.entity.name, id);
    throw new ConflictError(rt.entity.name, id, Number(rows[0].version), sent);
  }

  private async readBack(
    tx: SqlExecutor,
    rt: EntityRuntime,
    id: number,
    action: WriteAction,
    ctx: RequestContext,
    previous: EntityRecord | null,
  ): Promise<EntityRecord> {
    const record = await this.reader.get(tx, rt.entity.name, id, ctx);
    await this.runInTransaction(tx, rt.entity.name, action, ctx, record, previous);
    return record;
  }

  private async runInTransaction(
    tx: SqlExecutor,
    entity: string,
    action: WriteAction,
    ctx: RequestContext,
    record: EntityRecord,
    previous: EntityRecord | null,
  ): Promise<void> {
    if (this.hooks.has('inTransaction', entity, action)) {
      await this.hooks.run('inTransaction', { entity, action, ctx, tx, record, previous });
    }
  }

  /** Hard delete of a parent removes its owned children first. */
  private async deleteOwnedChildren(
    tx: SqlExecutor,
    rt: EntityRuntime,
    id: number,
    ctx: RequestContext,
  ): Promise<void> {
    const store = new RowStore(ctx.tenantId);
    for (const field of rt.childrenFields) {
      if (!field.children) continue;
      const child = runtimeOf(ctx.model).entity(field.children.target);
      const rows = await store.childrenOf(tx, child.entity, field, [id]);
      await store.deleteByIds(
        tx,
        child.entity,
        rows.map((r) => Number(r.id)),
      );
    }
  }
}

function refuseAppendOnly(entity: CompiledEntity, action: 'update' | 'delete'): void {
  if (entity.appendOnly) {
    throw new BusinessRuleError(`${entity.name} is append-only: its rows cannot be ${action}d`, {
      entity: entity.name,
    });
  }
}

function throwRowErrors(errors: RowErrors): void {
  const all = [...errors.values()].flat();
  if (all.length > 0) throw new ValidationError(all);
}

function addErrors(into: RowErrors, row: number, errors: FieldError[]): void {
  into.set(row, [...(into.get(row) ?? []), ...errors]);
}

function isRecord(value: unknown): value is EntityRecord {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function toRowErrors(errors: RowErrors): RowError[] {
  return [...errors.entries()]
    .sort(([a], [b]) => a - b)
    .map(([row, list]) => ({
      row,
      code: list.every((e) => e.rule === 'unknown') ? 'UNKNOWN_FIELD' : 'VALIDATION_FAILED',
      message: list.map((e) => e.message).join('; '),
      errors: list,
    }));
}

function nestedValue(body: EntityRecord, field: CompiledField): unknown[] {
  const value = body[apiPropertyOf(field)];
  return Array.isArray(value) ? value : [];
}

interface BulkPlan {
  creates: { row: number; body: EntityRecord }[];
  updates: { row: number; body: EntityRecord; current: DbRow }[];
  errors: RowErrors;
}

/** Shape errors of one bulk delete row: `{id, version?}`, ids once each. */
function deleteRowErrors(body: unknown, row: number, seen: ReadonlySet<number>): FieldError[] {
  const at = (field: string) => `/rows/${row}/${field}`;
  if (!isRecord(body))
    return [{ field: 'row', path: `/rows/${row}`, rule: 'type', message: 'A row must be an object' }];
  const errors: FieldError[] = [];
  const { id, version, ...rest } = body;
  for (const field of Object.keys(rest))
    errors.push({
      field,
      path: at(field),
      rule: 'unknown',
      message: `Unknown field '${field}' in a delete row`,
    });
  if (!Number.isInteger(id) || (id as number) < 1)
    errors.push({ field: 'id', path: at('id'), rule: 'required', message: 'id must be a positive integer' });
  else if (seen.has(id as number))
    errors.push({ field: 'id', path: at('id'), rule: 'unique', message: `id ${String(id)} is listed twice` });
  if (version !== undefined && (!Number.isInteger(version) || (version as number) < 1))
    errors.push({
      field: 'version',
      path: at('version'),
      rule: 'type',
      message: 'version must be a positive integer',
    });
  return errors;
}
