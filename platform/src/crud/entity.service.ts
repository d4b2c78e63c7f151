import type { CompiledEntity, CompiledField, Model } from '../../../metadata/src/model';
import { apiPropertyOf } from '../../../metadata/src/model/api-schema';
import type { EngineDatabase, SqlExecutor } from '../data/database';
import { compileFilter } from '../data/query-compiler';
import { RowStore, type DbRow } from '../data/row-store';
import { nowForDb } from '../data/values';
import { runtimeOf, type EntityRuntime } from '../kernel/model-runtime';
import { EntityReader } from './entity-reader';
import { EntityWriter, type ChildChange, type ChildWrite, type RowErrors } from './entity-writer';
import {
  ApiError,
  BadRequestError,
  BulkValidationError,
  BusinessRuleError,
  ConflictError,
  DuplicateValueError,
  ForbiddenError,
  labelFieldsOf,
  NotFoundError,
  ValidationError,
} from './errors';
import {
  HookRegistry,
  type AfterHookArgs,
  type Announcement,
  type NestedChange,
  type RecordChanges,
  type TransitionChange,
  type WriteAction,
} from './hooks';
import { parseListQuery } from './query-parser';
import { serializeRow } from './serializer';
import type {
  BulkRequest,
  BulkResult,
  EntityOperations,
  EntityRecord,
  FieldError,
  FilterNode,
  ListQuery,
  ListResult,
  ReadOptions,
  RequestContext,
  RowError,
} from './types';
import { readonlyWhenErrors } from './readonly-when';
import { requiredWhenErrors } from './required-when';
import { assertStateAllowsDelete, assertStateAllowsEdit } from './state-lock';
import { assertValidBody, bodyErrors, throwFieldErrors } from './validation';

export const MAX_BULK_ROWS = 10_000;

/**
 * One service for every entity (docs/architecture.md §5): parse → validate → hooks → one transaction
 * (row, children, links, in-transaction hooks) → after-commit hooks. Reads go to EntityReader.
 */
export class EntityService implements EntityOperations, RecordChanges {
  private readonly reader: EntityReader;
  /** The after hooks each open transaction of `transaction` owes once it commits. */
  private readonly committed = new WeakMap<SqlExecutor, AfterHookArgs[]>();

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
    return labelled(rt.entity, () => {
      assertValidBody(rt, body, 'create', ctx.tenantId);
      throwFieldErrors(readonlyWhenErrors(ctx.model, rt, null, body));
      const input = { ...body };
      return this.write(rt, (tx) => this.insertRecord(tx, rt, input, ctx), input);
    });
  }

  async update(entity: string, id: number, body: EntityRecord, ctx: RequestContext): Promise<EntityRecord> {
    const rt = runtimeOf(ctx.model).entity(entity);
    return labelled(rt.entity, () => this.updateLabelled(rt, id, body, ctx));
  }

  private updateLabelled(
    rt: EntityRuntime,
    id: number,
    body: EntityRecord,
    ctx: RequestContext,
  ): Promise<EntityRecord> {
    const entity = rt.entity.name;
    assertValidBody(rt, body, 'patch', ctx.tenantId);
    const input = { ...body };
    // The record as it would be stored: names the values of a violated unique rule.
    const stored: EntityRecord = { ...input };
    return this.write(
      rt,
      async (tx) => {
        // The before image is the whole document, so the audit diff shows child rows and links
        // changed with the record.
        const current = await this.reader.current(tx, entity, id, ctx, 'update', { lock: true });
        refuseAppendOnly(rt.entity, 'update');
        assertStateAllowsEdit(ctx.model, rt.entity, current.record, input);
        throwFieldErrors(readonlyWhenErrors(ctx.model, rt, current.record, input));
        Object.assign(stored, current.record, input);
        const sent = input.version as number;
        if (Number(current.row.version) !== sent) throw await this.conflict(tx, rt, id, sent, ctx);
        return this.updateRecord(tx, rt, current, input, ctx);
      },
      stored,
    );
  }

  async remove(entity: string, id: number, ctx: RequestContext): Promise<void> {
    const rt = runtimeOf(ctx.model).entity(entity);
    await this.write(rt, async (tx) => {
      const current = await this.reader.current(tx, entity, id, ctx, 'delete');
      // After the read: a row the caller cannot see is 404 whatever the entity allows.
      refuseAppendOnly(rt.entity, 'delete');
      await this.deleteRow(tx, rt, current, ctx);
    });
  }

  /**
   * Creates a record inside the caller's transaction through the same path as `create` (references,
   * requiredWhen, hooks, outbox, audit): for domain rules and workflow behaviour that create records
   * as part of another change. The body is the engine's own, not a client's: the client schema
   * (readonly flags) does not apply. The `after` hooks run once that transaction commits.
   */
  async createIn(
    tx: SqlExecutor,
    entity: string,
    body: EntityRecord,
    ctx: RequestContext,
    options: { announce?: Announcement } = {},
  ): Promise<EntityRecord> {
    const rt = runtimeOf(ctx.model).entity(entity);
    refuseArchived(rt.entity);
    return this.insertRecord(tx, rt, { ...body }, ctx, options.announce);
  }

  /**
   * Creates many records inside the caller's transaction through the same path as `createIn`, with
   * one multi-row insert and one read back: for domain behaviour that makes records in numbers (the
   * serials of a lot). Every record still runs its hooks, outbox event and audit record.
   */
  async createManyIn(
    tx: SqlExecutor,
    entity: string,
    bodies: readonly EntityRecord[],
    ctx: RequestContext,
    options: { announce?: Announcement } = {},
  ): Promise<EntityRecord[]> {
    const rt = runtimeOf(ctx.model).entity(entity);
    refuseArchived(rt.entity);
    const inputs = bodies.map((body) => ({ ...body }));
    for (const body of inputs) {
      await this.hooks.run('before', { entity, action: 'create', ctx, tx, body, current: null, id: null });
      throwFieldErrors(requiredWhenErrors(rt, body));
    }
    const writer = this.writer(tx, ctx);
    throwRowErrors(await writer.checkReferences(rt, inputs, (row) => `/${row}`));
    const ids = await writer.insert(
      rt,
      inputs,
      inputs.map((_, row) => `/${row}`),
    );
    const records = await this.reader.getMany(tx, entity, ids, ctx);
    for (const [i, record] of records.entries()) {
      await this.keepInScope(tx, rt, ids[i]!, ctx, 'create', inputs[i]!);
      await this.changed(tx, {
        entity,
        action: 'create',
        ctx,
        record,
        previous: null,
        announce: options.announce,
      });
    }
    await this.childrenChanged(tx, rt, writer.childChanges, records, ctx);
    return records;
  }

  /**
   * Changes a record inside the caller's transaction through the same path as `update`: `fields`
   * are written by the engine on the caller's behalf (system-set values need not be writable by a
   * client, so they are not validated against the client schema), with the record's current
   * version. `transition` marks a workflow transition: hooks see action `transition`, and the
   * outbox and audit writers record the transition instead of a plain update. `current` is the
   * record read in this transaction when the caller already has it.
   */
  async updateIn(
    tx: SqlExecutor,
    entity: string,
    id: number,
    fields: EntityRecord,
    ctx: RequestContext,
    options: UpdateOptions = {},
  ): Promise<EntityRecord> {
    const rt = runtimeOf(ctx.model).entity(entity);
    refuseArchived(rt.entity);
    const scopeAction = options.scopeAction ?? 'update';
    // Not locked: an engine caller may have computed `fields` from what it read earlier in this
    // transaction's snapshot, which the versioned UPDATE (409 when stale) protects.
    const current = options.current ?? (await this.reader.current(tx, entity, id, ctx, scopeAction));
    return this.updateRecord(tx, rt, current, { ...fields }, ctx, { ...options, scopeAction });
  }

  /**
   * Changes a record from its current values inside the caller's transaction through the same path
   * as `updateIn`: the record is read with a lock held until commit (with `ctx`'s row scope, 404
   * outside it), `compute` checks it (throwing the change's refusal: a state, a limit) and returns
   * the fields to write, computed from it (a counter plus a delta). Concurrent changes of one record
   * wait for each other instead of failing on a stale version.
   */
  async changeIn(
    tx: SqlExecutor,
    entity: string,
    id: number,
    compute: (current: EntityRecord) => EntityRecord | Promise<EntityRecord>,
    ctx: RequestContext,
    options: { announce?: Announcement } = {},
  ): Promise<EntityRecord> {
    const rt = runtimeOf(ctx.model).entity(entity);
    refuseArchived(rt.entity);
    const current = await this.reader.current(tx, entity, id, ctx, 'update', { lock: true });
    const fields = await compute(current.record);
    return this.updateRecord(tx, rt, current, { ...fields }, ctx, { announce: options.announce });
  }

  getIn(tx: SqlExecutor, entity: string, id: number, ctx: RequestContext): Promise<EntityRecord> {
    return this.reader.get(tx, entity, id, ctx);
  }

  /** A record before a change, read in `tx` with the caller's row scope for `action` (404 outside it). */
  current(
    tx: SqlExecutor,
    entity: string,
    id: number,
    ctx: RequestContext,
    action: string,
  ): Promise<CurrentRecord> {
    return this.reader.current(tx, entity, id, ctx, action);
  }

  /** Whether the stored record lies in the caller's row scope for `action` (no statement without one). */
  inScope(
    tx: SqlExecutor,
    entity: string,
    id: number,
    ctx: RequestContext,
    action: string,
  ): Promise<boolean> {
    return this.reader.inScope(tx, runtimeOf(ctx.model).entity(entity), id, ctx, action);
  }

  /** The writer of a change in `tx`: the before hooks of child rows run as it writes them. */
  private writer(tx: SqlExecutor, ctx: RequestContext): EntityWriter {
    return new EntityWriter(tx, ctx, (write) => this.beforeChildWrite(tx, ctx, write));
  }

  /**
   * The before hooks of a child row written through its parent's nested body, in the transaction
   * just before the row is written: they may change its body or refuse it, and a refusal names the
   * row's place in the parent's body. A child row's `requiredWhen` is not enforced: a parent's domain
   * hooks may leave a row incomplete on purpose (an inspection item judged FAIL before its defect
   * code is known).
   */
  private async beforeChildWrite(tx: SqlExecutor, ctx: RequestContext, write: ChildWrite): Promise<void> {
    const { child, action, body, previous, id, nested } = write;
    const entity = child.entity.name;
    if (!this.hooks.has('before', entity, action, true)) return;
    try {
      await this.hooks.run('before', { entity, action, ctx, tx, body, current: previous, id, nested });
    } catch (error) {
      throw atChildPath(error, nested);
    }
  }

  /**
   * The in-transaction and after hooks of the child rows a write changed through nested bodies,
   * after their parents' own. Their records come from the parents' documents as read after the
   * write (`parents`, of entity `rt`), else are read once per child entity.
   */
  private async childrenChanged(
    tx: SqlExecutor,
    rt: EntityRuntime,
    changes: readonly ChildChange[],
    parents: readonly EntityRecord[],
    ctx: RequestContext,
  ): Promise<void> {
    const hooked = changes.filter(({ child, action }) =>
      (['inTransaction', 'after'] as const).some((phase) =>
        this.hooks.has(phase, child.entity.name, action, true),
      ),
    );
    if (hooked.length === 0) return;
    const records = await this.childRecords(tx, rt, hooked, parents, ctx);
    for (const { child, action, id, previous, nested } of hooked) {
      const entity = child.entity.name;
      const record = action === 'delete' ? previous! : records.get(childKey(entity, id))!;
      await this.changed(tx, { entity, action, ctx, record, previous, nested });
    }
  }

  /** The records of written child rows, by `childKey`. */
  private async childRecords(
    tx: SqlExecutor,
    rt: EntityRuntime,
    changes: readonly ChildChange[],
    parents: readonly EntityRecord[],
    ctx: RequestContext,
  ): Promise<Map<string, EntityRecord>> {
    const records = new Map<string, EntityRecord>();
    for (const field of rt.childrenFields) {
      const target = field.children?.target;
      if (!target) continue;
      for (const parent of parents)
        for (const row of nestedValue(parent, field))
          if (isRecord(row)) records.set(childKey(target, row.id), row);
    }
    const missing = new Map<string, number[]>();
    for (const { child, action, id } of changes) {
      const entity = child.entity.name;
      if (action !== 'delete' && !records.has(childKey(entity, id)))
        missing.set(entity, [...(missing.get(entity) ?? []), id]);
    }
    for (const [entity, ids] of missing)
      for (const record of await this.reader.getMany(tx, entity, ids, ctx))
        records.set(childKey(entity, record.id), record);
    return records;
  }

  /** Runs `work` in one transaction; the `after` hooks of every change made in it run after commit. */
  async transaction<T>(work: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    const committed: AfterHookArgs[] = [];
    const result = await this.db.transaction(async (tx) => {
      committed.length = 0;
      this.committed.set(tx, committed);
      return work(tx);
    });
    for (const args of committed) await this.hooks.run('after', args);
    return result;
  }

  private async insertRecord(
    tx: SqlExecutor,
    rt: EntityRuntime,
    input: EntityRecord,
    ctx: RequestContext,
    announce?: Announcement,
  ): Promise<EntityRecord> {
    const entity = rt.entity.name;
    const writer = this.writer(tx, ctx);
    // The check travels with the before hooks' first read; a hook that changes a reference has it read again.
    writer.checkReferencesAhead(rt, [input]);
    await this.hooks.run('before', {
      entity,
      action: 'create',
      ctx,
      tx,
      body: input,
      current: null,
      id: null,
    });
    throwFieldErrors(requiredWhenErrors(rt, input));
    throwRowErrors(await writer.checkReferences(rt, [input], () => ''));
    const { id, stored } = await writer.insertOne(rt, input);
    const inserted = (field: CompiledField) => nestedValue(input, field).length > 0;
    const record = stored
      ? await this.reader.afterWrite(tx, rt, stored, ctx, null, inserted)
      : await this.reader.get(tx, entity, id, ctx);
    await this.keepInScope(tx, rt, id, ctx, 'create', input);
    await this.changed(tx, { entity, action: 'create', ctx, record, previous: null, announce });
    await this.childrenChanged(tx, rt, writer.childChanges, [record], ctx);
    return record;
  }

  /** The update path after the current record was read (with the caller's scope) in `tx`. */
  private async updateRecord(
    tx: SqlExecutor,
    rt: EntityRuntime,
    current: CurrentRecord,
    body: EntityRecord,
    ctx: RequestContext,
    { transition, announce, scopeAction = 'update', checkReferences = true }: UpdateOptions = {},
  ): Promise<EntityRecord> {
    const entity = rt.entity.name;
    const id = Number(current.row.id);
    const previous = current.record;
    const action: WriteAction = transition ? 'transition' : 'update';
    await this.hooks.run('before', { entity, action, ctx, tx, body, current: previous, id, transition });
    throwFieldErrors(requiredWhenErrors(rt, { ...previous, ...body }));
    const writer = this.writer(tx, ctx);
    if (checkReferences) throwRowErrors(await writer.checkReferences(rt, [body], () => ''));
    const { version: _version, ...patch } = body;
    const expected = Number(current.row.version);
    const updated = await writer.update(rt, current.row, patch, expected, current.locked);
    if (!updated) throw await this.conflict(tx, rt, id, expected, ctx);
    const merged = (field: CompiledField) => apiPropertyOf(field) in patch;
    const record = updated.exact
      ? await this.reader.afterWrite(tx, rt, updated.written, ctx, previous, merged)
      : await this.reader.get(tx, entity, id, ctx);
    await this.keepInScope(tx, rt, id, ctx, scopeAction, patch);
    await this.changed(tx, { entity, action, ctx, record, previous, transition, announce });
    await this.childrenChanged(tx, rt, writer.childChanges, [record], ctx);
    return record;
  }

  /** Soft or hard delete of one live record read in this transaction, with its hooks. */
  private async deleteRow(
    tx: SqlExecutor,
    rt: EntityRuntime,
    current: CurrentRecord,
    ctx: RequestContext,
  ): Promise<void> {
    const entity = rt.entity.name;
    const id = Number(current.row.id);
    const previous = current.record;
    assertStateAllowsDelete(ctx.model, rt.entity, previous);
    await this.hooks.run('before', { entity, action: 'delete', ctx, tx, body: {}, current: previous, id });
    const store = new RowStore(ctx.tenantId);
    let removals: ChildChange[] = [];
    if (rt.entity.softDelete) {
      const changes = { deleted_at: nowForDb(), updated_at: nowForDb(), updated_by: ctx.userId };
      await store.update(tx, rt.entity, id, changes, Number(current.row.version));
    } else {
      removals = await this.deleteOwnedChildren(tx, rt, id, ctx);
      await store.deleteByIds(tx, rt.entity, [id]);
    }
    await this.changed(tx, { entity, action: 'delete', ctx, record: previous, previous });
    await this.childrenChanged(tx, rt, removals, [], ctx);
  }

  async restore(entity: string, id: number, ctx: RequestContext): Promise<EntityRecord> {
    const rt = runtimeOf(ctx.model).entity(entity);
    if (!rt.entity.softDelete)
      throw new BusinessRuleError(`${entity} is not soft-deleted, so it cannot be restored`);
    return this.write(rt, async (tx) => {
      const current = await this.reader.current(tx, entity, id, ctx, 'restore', { includeDeleted: true });
      if (current.row.deleted_at === null) return current.record;
      const previous = current.record;
      await this.hooks.run('before', { entity, action: 'restore', ctx, tx, body: {}, current: previous, id });
      const changes = { deleted_at: null, updated_at: nowForDb(), updated_by: ctx.userId };
      await new RowStore(ctx.tenantId).update(tx, rt.entity, id, changes, Number(current.row.version));
      const record = await this.reader.get(tx, entity, id, ctx);
      await this.changed(tx, { entity, action: 'restore', ctx, record, previous });
      return record;
    });
  }

  /**
   * Up to 10,000 rows in one transaction. Every row is validated, its before hooks run and its
   * references checked before anything is written; any failing row → 422 listing each row's errors,
   * and nothing is written.
   */
  async bulk(entity: string, request: BulkRequest, ctx: RequestContext): Promise<BulkResult> {
    const rt = runtimeOf(ctx.model).entity(entity);
    return labelled(rt.entity, () => this.bulkLabelled(rt, request, ctx));
  }

  private bulkLabelled(rt: EntityRuntime, request: BulkRequest, ctx: RequestContext): Promise<BulkResult> {
    const entity = rt.entity.name;
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
      // In the order of a single write: the before hooks see each valid body, then requiredWhen and
      // the references are checked on the body they leave.
      for (const create of plan.creates) {
        const args = {
          entity,
          action: 'create' as const,
          ctx,
          tx,
          body: create.body,
          current: null,
          id: null,
        };
        await this.hooks.run('before', args);
        addErrors(plan.errors, create.row, requiredWhenErrors(rt, create.body, `/rows/${create.row}`));
      }
      for (const update of plan.updates) {
        assertStateAllowsEdit(ctx.model, rt.entity, update.previous, update.body);
        const id = Number(update.current.id);
        const args = {
          entity,
          action: 'update' as const,
          ctx,
          tx,
          body: update.body,
          current: update.previous,
          id,
        };
        await this.hooks.run('before', args);
        const stored = { ...update.previous, ...update.body };
        addErrors(plan.errors, update.row, requiredWhenErrors(rt, stored, `/rows/${update.row}`));
      }
      const writer = this.writer(tx, ctx);
      const planned = [...plan.creates, ...plan.updates];
      const references = await writer.checkReferences(
        rt,
        planned.map((p) => p.body),
        (k) => `/rows/${planned[k].row}`,
      );
      for (const [k, errors] of references) addErrors(plan.errors, planned[k].row, errors);
      if (plan.errors.size > 0) throw new BulkValidationError(toRowErrors(plan.errors));
      const ids = new Array<number>(rows.length);
      const created = await writer.insert(
        rt,
        plan.creates.map((c) => c.body),
        plan.creates.map((c) => `/rows/${c.row}`),
      );
      plan.creates.forEach((c, k) => (ids[c.row] = created[k]));
      for (const u of plan.updates) {
        const id = Number(u.current.id);
        ids[u.row] = id;
        const { version, ...patch } = u.body;
        const updated = await writer.update(rt, u.current, patch, version as number, false, `/rows/${u.row}`);
        if (!updated) {
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
      for (const c of plan.creates) await this.keepInScope(tx, rt, ids[c.row]!, ctx, 'create', c.body);
      for (const u of plan.updates) await this.keepInScope(tx, rt, ids[u.row]!, ctx, 'update', u.body);
      const previous = new Map(plan.updates.map((u) => [u.row, u.previous]));
      const records = await this.bulkHooks(tx, rt, ids, previous, ctx);
      await this.childrenChanged(tx, rt, writer.childChanges, records, ctx);
      return { created: plan.creates.length, updated: plan.updates.length, deleted: 0, errors: [], ids };
    });
  }

  /**
   * Deletes every row (`{id, version?}`) in one transaction: a row naming no live record, a stale
   * version, a repeated id or a refusing hook fails the request with each row's errors, and nothing
   * is deleted. The after hooks run once all committed. Rows outside the caller's scope are missing.
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
          const current = await this.reader.current(tx, entity, id, ctx, 'delete');
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
    const scope = ctx.access?.rowScope(rt.entity.name, 'update');
    const condition = scope ? compileFilter(ctx.model, rt.entity, scope, ctx.tenantId, tx.dialect) : null;
    const stored = new Map(
      (await store.byIds(tx, rt.entity, targets, true, condition)).map((r) => [Number(r.id), r]),
    );

    records.forEach((record, row) => {
      const prefix = (e: FieldError): FieldError => ({ ...e, path: `/rows/${row}${e.path}` });
      const target = targetOf(record);
      if (mode === 'create' || (mode === 'upsert' && target === undefined)) {
        const errors = bodyErrors(rt, record ?? rows[row], 'create', ctx.tenantId);
        if (errors.length === 0)
          errors.push(...readonlyWhenErrors(ctx.model, rt, null, record as EntityRecord));
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
      const previous = current ? serializeRow(rt, current, ctx.tenantId) : null;
      if (previous && errors.length === 0)
        errors.push(...readonlyWhenErrors(ctx.model, rt, previous, body, `/rows/${row}`));
      if (errors.length > 0 || !current || !previous) plan.errors.set(row, errors);
      else plan.updates.push({ row, body, current, previous });
    });
    return plan;
  }

  /**
   * The in-transaction and after hooks of bulk-written rows, read back once for all of them; returns
   * the records read (none when no hook wants them).
   */
  private async bulkHooks(
    tx: SqlExecutor,
    rt: EntityRuntime,
    ids: number[],
    previous: ReadonlyMap<number, EntityRecord>,
    ctx: RequestContext,
  ): Promise<EntityRecord[]> {
    const entity = rt.entity.name;
    const hooked = (['inTransaction', 'after'] as const).some(
      (phase) => this.hooks.has(phase, entity, 'create') || this.hooks.has(phase, entity, 'update'),
    );
    if (!hooked) return [];
    const records = await this.reader.getMany(tx, entity, ids, ctx);
    for (const [i, record] of records.entries()) {
      const before = previous.get(i) ?? null;
      await this.changed(tx, { entity, action: before ? 'update' : 'create', ctx, record, previous: before });
    }
    return records;
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
    refuseArchived(rt.entity);
    try {
      return await this.transaction(work);
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

  /**
   * The 409 of a stale version, naming the version committed now: read with a locking read, since
   * a plain read inside this transaction would return its snapshot, the very version that is stale.
   */
  private async conflict(
    tx: SqlExecutor,
    rt: EntityRuntime,
    id: number,
    sent: number,
    ctx: RequestContext,
  ): Promise<ApiError> {
    const version = await new RowStore(ctx.tenantId).committedVersion(tx, rt.entity, id);
    if (version === null) return new NotFoundError(rt.entity.name, id);
    return new ConflictError(rt.entity.name, id, version, sent);
  }

  /**
   * Refuses a write that would leave the record outside the caller's row scope for `action` (moving
   * a work order to a line the operator does not work on, a mold to another supplier). Checked
   * with one statement, and only when the write touched a field the scope depends on.
   */
  private async keepInScope(
    tx: SqlExecutor,
    rt: EntityRuntime,
    id: number,
    ctx: RequestContext,
    action: string,
    written: EntityRecord,
  ): Promise<void> {
    const scope = ctx.access?.rowScope(rt.entity.name, action);
    if (!scope) return;
    const touched = scopeProperties(scope).filter((property) => property in written);
    if (touched.length === 0 || (await this.reader.inScope(tx, rt, id, ctx, action))) return;
    const field = touched[0]!;
    const message = `The change would put ${rt.entity.name} ${id} outside your data scope`;
    throw new ForbiddenError(message, { errors: [{ field, path: `/${field}`, rule: 'scope', message }] });
  }

  /**
   * A record changed: its in-transaction hooks run now, its after hooks once the transaction
   * commits (in `transaction`; a transaction opened elsewhere runs them after its commit).
   */
  private async changed(tx: SqlExecutor, args: AfterHookArgs): Promise<void> {
    const nested = args.nested !== undefined;
    if (this.hooks.has('inTransaction', args.entity, args.action, nested))
      await this.hooks.run('inTransaction', { ...args, tx, records: this });
    if (!this.hooks.has('after', args.entity, args.action, nested)) return;
    const committed = this.committed.get(tx);
    if (committed) committed.push(args);
    else tx.afterCommit(() => void this.hooks.run('after', args));
  }

  /**
   * Hard delete of a parent removes its owned children first, each a removal of the child row with
   * its before hooks; returns the removals.
   */
  private async deleteOwnedChildren(
    tx: SqlExecutor,
    rt: EntityRuntime,
    id: number,
    ctx: RequestContext,
  ): Promise<ChildChange[]> {
    const store = new RowStore(ctx.tenantId);
    const removals: ChildChange[] = [];
    for (const field of rt.childrenFields) {
      if (!field.children) continue;
      const child = runtimeOf(ctx.model).entity(field.children.target);
      const nested = {
        parent: { entity: rt.entity.name, id },
        field: field.apiName,
        path: `/${field.apiName}`,
      };
      const rows = await store.childrenOf(tx, child.entity, field, [id]);
      const removed = rows.map((row): ChildChange => ({
        child,
        action: 'delete',
        body: {},
        previous: serializeRow(child, row, ctx.tenantId),
        id: Number(row.id),
        nested,
      }));
      for (const removal of removed) await this.beforeChildWrite(tx, ctx, removal);
      await store.deleteByIds(
        tx,
        child.entity,
        removed.map((removal) => removal.id),
      );
      removals.push(...removed);
    }
    return removals;
  }
}

/** Runs a write to `entity`, its failures naming the entity's fields by label (`labelFieldsOf`). */
async function labelled<T>(entity: CompiledEntity, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw labelFieldsOf(error, entity);
  }
}

/** An archived entity keeps its records readable and refuses every write until it is restored. */
function refuseArchived(entity: CompiledEntity): void {
  if (!entity.archived) return;
  const message = `${entity.name} is archived: its records are read-only until it is restored`;
  throw new BusinessRuleError(message, {
    rule: 'archived',
    i18n: { en: message, zh: `${entity.label.zh} 已归档：恢复前其记录只读` },
    errors: [{ field: entity.name, path: '/', rule: 'archived', message }],
  });
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
  if (errors.length > 0) into.set(row, [...(into.get(row) ?? []), ...errors]);
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

/** A child row's refusal, its field errors named under the row's place in the parent's body. */
function atChildPath(error: unknown, nested: NestedChange): unknown {
  if (!(error instanceof ApiError)) return error;
  const errors = error.details?.errors;
  if (error.details && errors && errors.length > 0) {
    error.details.errors = errors.map((e) => ({ ...e, path: `${nested.path}${e.path}` }));
    return error;
  }
  const rule = typeof error.details?.rule === 'string' ? error.details.rule : 'refused';
  const refusal: FieldError = { field: nested.field, path: nested.path, rule, message: error.message };
  if (!error.details) return new ApiError(error.code, error.httpStatus, error.message, { errors: [refusal] });
  error.details.errors = [refusal];
  return error;
}

/** The key of a child record among the records of its entity. */
function childKey(entity: string, id: unknown): string {
  return `${entity}:${String(id)}`;
}

function nestedValue(body: EntityRecord, field: CompiledField): unknown[] {
  const value = body[apiPropertyOf(field)];
  return Array.isArray(value) ? value : [];
}

interface BulkPlan {
  creates: { row: number; body: EntityRecord }[];
  updates: { row: number; body: EntityRecord; current: DbRow; previous: EntityRecord }[];
  errors: RowErrors;
}

export interface UpdateOptions {
  /** Marks a workflow transition: hooks see action `transition`. */
  transition?: TransitionChange;
  announce?: Announcement;
  /** The record as read in this transaction, when the caller already has it. */
  current?: CurrentRecord;
  /** The action whose row scope the record must stay in (default `update`). */
  scopeAction?: string;
  /**
   * False when the engine sets references it made itself (a record it created, possibly committed
   * after this transaction's snapshot began): they are not looked up again. Default true.
   */
  checkReferences?: boolean;
}

/** A record read in the write's transaction: the stored row and its document. */
export interface CurrentRecord {
  row: DbRow;
  record: EntityRecord;
  /** Read with a lock this transaction holds until commit (`current` with `lock`). */
  locked?: boolean;
}

/**
 * The body properties a row-scope filter depends on: `lineId` for `lineId` and `line.plantId`,
 * `supplierId` for `supplierId`; `createdBy` is never written by a client.
 */
function scopeProperties(node: FilterNode): string[] {
  if ('kind' in node) return [...new Set(node.conditions.flatMap(scopeProperties))];
  const [head, ...rest] = node.field.split('.');
  return rest.length > 0 ? [`${head!}Id`] : [head!];
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
