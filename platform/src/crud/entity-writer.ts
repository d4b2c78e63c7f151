import type { CompiledEntity, CompiledField } from '../../../metadata/src/model';
import { apiPropertyOf } from '../../../metadata/src/model/api-schema';
import type { PendingRead, SqlExecutor } from '../data/database';
import { compileFilter, type CompiledSql } from '../data/query-compiler';
import { RowStore, type DbRow, type ReferenceWants, type SqlExpression } from '../data/row-store';
import { identifierColumns, SequenceService, type KnownRows } from '../data/sequences';
import { nowForDb, storedAsSent, toDbValue } from '../data/values';
import { runtimeOf, type EntityRuntime } from '../kernel/model-runtime';
import { sealSensitive } from '../security/crypto/sensitive-fields';
import { resolveDefault } from './dynamic-defaults';
import { ValidationError } from './errors';
import type { NestedChange } from './hooks';
import { parseExt, serializeRow } from './serializer';
import type { EntityRecord, FieldError, RequestContext } from './types';

/** A relation or many target a body refers to: its row, the id, and where it stands in the body. */
interface Reference {
  row: number;
  id: number;
  /** JSON pointer under the row's own. */
  path: string;
  field: string;
}

interface WantedReferences {
  entity: CompiledEntity;
  refs: Reference[];
}

/** The rows `wanted` refers to, as text: equal texts, equal reads. */
function referenceKey(wanted: ReadonlyMap<string, WantedReferences>): string {
  return [...wanted].map(([name, { refs }]) => `${name}:${refs.map((ref) => ref.id).join(',')}`).join(';');
}

/** The field the entity's identifier (`WO-{line.code}-{seq:4}`) is written to, if it has one. */
function identifierField(rt: EntityRuntime): CompiledField | undefined {
  const identifier = rt.entity.identifier;
  return identifier ? rt.entity.fieldsByName.get(identifier.field) : undefined;
}

/** The body gives the field no value: the engine numbers it. */
function lacksValue(body: EntityRecord, field: CompiledField): boolean {
  return body[field.apiName] === undefined || body[field.apiName] === null;
}

/** Row index in the request → the field errors found for it. */
export type RowErrors = Map<number, FieldError[]>;

/** A child row a write is about to change through its parent's nested body. */
export interface ChildWrite {
  child: EntityRuntime;
  action: 'create' | 'update' | 'delete';
  /** The row's body (the patch of an update), which the caller may change; `{}` for a removal. */
  body: EntityRecord;
  /** The stored row in API shape (its own columns); null for a new row. */
  previous: EntityRecord | null;
  /** The row's id; null for a new row. */
  id: number | null;
  nested: NestedChange;
}

/** A child row a write changed through its parent's nested body. */
export interface ChildChange extends ChildWrite {
  id: number;
}

/**
 * Called before each child row is written, inside the transaction: may change `body` or throw to
 * refuse the row. References it changes are checked again.
 */
export type BeforeChildWrite = (write: ChildWrite) => Promise<void>;

export interface UpdatedRow {
  /** The columns the update wrote, with the new version. */
  written: DbRow;
  /** Whether the database keeps every written value as sent, so `written` is what a read returns. */
  exact: boolean;
}

/**
 * The statements of every write, always inside a caller's transaction: inserts with defaults,
 * identifiers, owned children and many-links; updates of columns, ext values, children and links;
 * reference checks. Validation of the body's shape has already happened (ajv).
 */
export class EntityWriter {
  private readonly store: RowStore;
  /** One timestamp for the whole write: parent, children and links carry the same time. */
  private readonly now = nowForDb();
  /** Rows the reference check read, with the columns identifier tokens need. */
  private referenced: KnownRows = new Map();
  /** The reference check sent ahead, if any: the references it reads (`referenceKey`), and its answer. */
  private ahead: { key: string; wants: ReferenceWants; read: PendingRead<DbRow> } | null = null;
  /** The child rows written through nested bodies, in the order they were written. */
  readonly childChanges: ChildChange[] = [];

  constructor(
    private readonly tx: SqlExecutor,
    private readonly ctx: RequestContext,
    private readonly beforeChildWrite?: BeforeChildWrite,
  ) {
    this.store = new RowStore(ctx.tenantId);
  }

  /**
   * Sends the reference check of `bodies` ahead (`queryLater`): it travels with the transaction's
   * next statement, e.g. a before hook's read, instead of taking a round trip of its own.
   * `checkReferences` uses its answer when the bodies still refer to the same rows then.
   */
  checkReferencesAhead(rt: EntityRuntime, bodies: readonly EntityRecord[]): void {
    const wanted = this.wantedReferences(rt, bodies);
    const wants = this.referenceWants(rt, wanted);
    const read = this.store.referencedRowsAhead(this.tx, wants);
    this.ahead = read && { key: referenceKey(wanted), wants, read };
  }

  /**
   * Checks that every relation and many target exists in the tenant and lies in the caller's read
   * scope (children rows recursively), in one statement for all referenced entities, reading along
   * the related columns `rt`'s identifier is made of. Returns errors per row index with JSON pointers
   * under `pathOf(row)`; a record out of scope gets the same error as a missing one.
   */
  async checkReferences(
    rt: EntityRuntime,
    bodies: readonly EntityRecord[],
    pathOf: (row: number) => string,
  ): Promise<RowErrors> {
    const wanted = this.wantedReferences(rt, bodies);
    const ahead = this.ahead?.key === referenceKey(wanted) ? this.ahead : null;
    this.ahead = null;
    this.referenced = ahead
      ? await this.store.referencedRows(this.tx, ahead.wants, ahead.read)
      : await this.store.referencedRows(this.tx, this.referenceWants(rt, wanted));
    return missingReferences(wanted, this.referenced, pathOf);
  }

  /**
   * Runs the before-write callback of a child row; the references it changed are checked (in the
   * caller's read scope) before the row is written.
   */
  private async beforeChild(write: ChildWrite): Promise<void> {
    if (!this.beforeChildWrite) return;
    const sent = referenceKey(this.wantedReferences(write.child, [write.body]));
    await this.beforeChildWrite(write);
    const wanted = this.wantedReferences(write.child, [write.body]);
    if (referenceKey(wanted) === sent) return;
    const referenced = await this.store.referencedRows(this.tx, this.referenceWants(write.child, wanted));
    const errors = [...missingReferences(wanted, referenced, () => write.nested.path).values()].flat();
    if (errors.length > 0) throw new ValidationError(errors);
  }

  /** Every relation and many target of `bodies` (children rows recursively), per target entity. */
  private wantedReferences(
    rt: EntityRuntime,
    bodies: readonly EntityRecord[],
  ): Map<string, WantedReferences> {
    const wanted = new Map<string, WantedReferences>();
    const want = (entity: CompiledEntity, ref: Reference) => {
      const entry = wanted.get(entity.name) ?? { entity, refs: [] };
      entry.refs.push(ref);
      wanted.set(entity.name, entry);
    };
    const collect = (entity: EntityRuntime, body: EntityRecord, row: number, base: string) => {
      for (const { field, property } of entity.referenceFields) {
        const value = body[property];
        if (field.relation && typeof value === 'number') {
          const target = this.ctx.model.entities.get(field.relation.target);
          if (target) want(target, { row, id: value, path: `${base}/${property}`, field: property });
        } else if (field.many && Array.isArray(value)) {
          const target = this.ctx.model.entities.get(field.many.target);
          value.forEach((id, i) => {
            if (target && typeof id === 'number')
              want(target, { row, id, path: `${base}/${property}/${i}`, field: property });
          });
        } else if (field.children && Array.isArray(value)) {
          const child = runtimeOf(this.ctx.model).entity(field.children.target);
          value.forEach((item, i) => collect(child, item as EntityRecord, row, `${base}/${property}/${i}`));
        }
      }
    };
    bodies.forEach((body, row) => collect(rt, body, row, ''));
    return wanted;
  }

  /** The reads of `wanted`: its ids, the columns `rt`'s identifier needs, the caller's read scope. */
  private referenceWants(rt: EntityRuntime, wanted: ReadonlyMap<string, WantedReferences>): ReferenceWants {
    const tokenColumns = identifierColumns(this.ctx.model, rt.entity);
    return new Map(
      [...wanted].map(([name, { entity, refs }]) => [
        name,
        {
          entity,
          ids: refs.map((r) => r.id),
          columns: tokenColumns.get(name) ?? [],
          condition: this.readScope(entity),
        },
      ]),
    );
  }

  /** The caller's read scope on a referenced entity as SQL: a record it cannot read is missing to it. */
  private readScope(entity: CompiledEntity): CompiledSql | null {
    const scope = this.ctx.access?.referenceScope(entity.name);
    if (!scope) return null;
    return compileFilter(this.ctx.model, entity, scope, this.ctx.tenantId, this.tx.dialect);
  }

  /**
   * Inserts validated create bodies (and their children and links); returns the new ids in order.
   * `paths`: where each body stands in the request (`/rows/3`), which names its child rows.
   */
  async insert(
    rt: EntityRuntime,
    bodies: readonly EntityRecord[],
    paths: readonly string[],
  ): Promise<number[]> {
    return (await this.insertRows(rt, bodies, false, paths)).ids;
  }

  /**
   * Inserts one validated create body; `stored` is its row as stored when the database returns it
   * with the insert (null: read it back).
   */
  async insertOne(rt: EntityRuntime, body: EntityRecord): Promise<{ id: number; stored: DbRow | null }> {
    const { ids, stored } = await this.insertRows(rt, [body], true, ['']);
    return { id: ids[0], stored: stored?.[0] ?? null };
  }

  private async insertRows(
    rt: EntityRuntime,
    bodies: readonly EntityRecord[],
    returnRows: boolean,
    paths: readonly string[],
  ): Promise<{ ids: number[]; stored: DbRow[] | null }> {
    const started = new Date();
    const withDefaults = bodies.map((body) => applyDefaults(rt, body, this.ctx, started));
    const numberedInInsert =
      returnRows && withDefaults.length === 1 && this.tx.dialect.insertReturning
        ? await this.identifierInInsert(rt, withDefaults[0], started)
        : null;
    if (!numberedInInsert) await this.assignIdentifiers(rt, withDefaults);
    const now = this.now;
    const rows = withDefaults.map((body) => this.insertRow(rt, body, now));
    if (numberedInInsert) rows[0][numberedInInsert.column] = numberedInInsert.value;
    const { ids, stored } = await this.store.insert(this.tx, rt.entity, rows, returnRows);
    if (numberedInInsert && stored)
      withDefaults[0][numberedInInsert.apiName] = stored[0][numberedInInsert.column];
    for (const field of rt.childrenFields) {
      const children = field.children;
      if (!children) continue;
      const child = runtimeOf(this.ctx.model).entity(children.target);
      const writes: ChildWrite[] = [];
      withDefaults.forEach((body, i) => {
        const items = body[field.apiName];
        if (!Array.isArray(items)) return;
        const parent = { entity: rt.entity.name, id: ids[i] };
        items.forEach((item, k) => {
          const nested = { parent, field: field.apiName, path: `${paths[i]}/${field.apiName}/${k}` };
          const childBody = withParent(child, children.foreignKey, item, ids[i]);
          writes.push({ child, action: 'create', body: childBody, previous: null, id: null, nested });
        });
      });
      await this.insertChildren(writes);
    }
    for (const field of rt.manyFields) {
      for (let i = 0; i < withDefaults.length; i++) {
        const targets = withDefaults[i][`${field.apiName}Ids`];
        if (Array.isArray(targets) && targets.length > 0) {
          await this.store.replaceLinks(this.tx, field, ids[i], targets as number[]);
        }
      }
    }
    return { ids, stored };
  }

  /** Inserts new child rows, each after its before-write callback, and records them as changed. */
  private async insertChildren(writes: readonly ChildWrite[]): Promise<void> {
    if (writes.length === 0) return;
    for (const write of writes) await this.beforeChild(write);
    await this.insertChildRows(writes);
  }

  /** Inserts child rows whose before-write callbacks ran, and records them as changed. */
  private async insertChildRows(writes: readonly ChildWrite[]): Promise<void> {
    if (writes.length === 0) return;
    const bodies = writes.map((write) => write.body);
    const paths = writes.map((write) => write.nested.path);
    const { ids } = await this.insertRows(writes[0]!.child, bodies, false, paths);
    writes.forEach((write, k) => this.childChanges.push({ ...write, id: ids[k]! }));
  }

  /**
   * The identifier of one body the database numbers in its INSERT (one round trip less), when the
   * body has none and the column stores it as is; null: number it with `assignIdentifiers`.
   */
  private async identifierInInsert(
    rt: EntityRuntime,
    body: EntityRecord,
    now: Date,
  ): Promise<{ column: string; apiName: string; value: SqlExpression } | null> {
    const field = identifierField(rt);
    if (!field?.column || field.sensitive || !lacksValue(body, field)) return null;
    const value = await new SequenceService(this.ctx.model, this.referenced).generateInInsert(
      this.tx,
      rt.entity,
      this.ctx.tenantId,
      body,
      now,
    );
    return value && { column: field.column, apiName: field.apiName, value };
  }

  private async assignIdentifiers(rt: EntityRuntime, bodies: EntityRecord[]): Promise<void> {
    const field = identifierField(rt);
    if (!field) return;
    const missing = bodies.filter((body) => lacksValue(body, field));
    if (missing.length === 0) return;
    const codes = await new SequenceService(this.ctx.model, this.referenced).generate(
      this.tx,
      rt.entity,
      this.ctx.tenantId,
      missing,
    );
    missing.forEach((body, i) => (body[field.apiName] = codes[i]));
  }

  private insertRow(rt: EntityRuntime, body: EntityRecord, now: string): DbRow {
    const row: DbRow = {};
    if (rt.entity.tenantScoped) row.tenant_id = this.ctx.tenantId;
    Object.assign(row, {
      created_at: now,
      created_by: this.ctx.userId,
      updated_at: now,
      updated_by: this.ctx.userId,
      version: 1,
    });
    for (const { field, property } of rt.columnProperties) {
      if (field.column)
        row[field.column] = sealSensitive(field, toDbValue(field.columnType, body[property], field.scale));
    }
    const ext = extValues(rt, body, {});
    row.ext = Object.keys(ext).length > 0 ? JSON.stringify(ext) : null;
    return row;
  }

  /**
   * Applies a validated patch to a stored row guarded by `expectedVersion`; returns what it wrote,
   * or null when the row did not match (stale version or gone). A row the transaction read with a
   * lock (`locked`) cannot have moved: its UPDATE is not checked and travels with the next statement.
   * Children listed in the patch are merged: rows with `id` are updated, rows without are inserted,
   * stored rows not listed are removed. `path`: where the body stands in the request (`/rows/3`).
   */
  async update(
    rt: EntityRuntime,
    current: DbRow,
    body: EntityRecord,
    expectedVersion: number,
    locked = false,
    path = '',
  ): Promise<UpdatedRow | null> {
    const values: DbRow = { updated_at: this.now, updated_by: this.ctx.userId };
    let exact = true;
    // A patch names a few of the entity's fields: look those up rather than walk every field.
    for (const property of Object.keys(body)) {
      const field = rt.fieldsByProperty.get(property);
      if (field?.storage !== 'column' || !field.column) continue;
      const value = toDbValue(field.columnType, body[property], field.scale);
      exact &&= storedAsSent(this.tx.dialect.name, field, value);
      values[field.column] = sealSensitive(field, value);
    }
    if (rt.extFields.some((f) => f.apiName in body)) {
      values.ext = JSON.stringify(extValues(rt, body, parseExt(current.ext)));
      exact &&= storedAsSent(this.tx.dialect.name, {}, values.ext);
    }
    const id = Number(current.id);
    if (locked) await this.store.updateLocked(this.tx, rt.entity, id, values);
    else if ((await this.store.update(this.tx, rt.entity, id, values, expectedVersion)) === 0) return null;
    for (const field of rt.childrenFields) {
      const items = body[field.apiName];
      if (Array.isArray(items)) await this.mergeChildren(rt, field, id, items as EntityRecord[], path);
    }
    for (const field of rt.manyFields) {
      const targets = body[`${field.apiName}Ids`];
      if (Array.isArray(targets)) await this.store.replaceLinks(this.tx, field, id, targets as number[]);
    }
    return { written: { ...values, version: Number(current.version) + 1 }, exact };
  }

  /**
   * Merges a parent's listed children with the stored ones: each row's before-write callback runs
   * just before that row is written (updates, then removals, then inserts).
   */
  private async mergeChildren(
    parent: EntityRuntime,
    field: CompiledField,
    parentId: number,
    items: EntityRecord[],
    path: string,
  ): Promise<void> {
    const children = field.children;
    if (!children) return;
    const child = runtimeOf(this.ctx.model).entity(children.target);
    const stored = await this.store.childrenOf(this.tx, child.entity, field, [parentId]);
    const storedById = new Map(stored.map((row) => [Number(row.id), row]));
    const at = (nestedPath: string) => ({
      parent: { entity: parent.entity.name, id: parentId },
      field: field.apiName,
      path: nestedPath,
    });
    const errors: FieldError[] = [];
    const updates: { row: DbRow; write: ChildWrite }[] = [];
    const inserts: ChildWrite[] = [];
    for (const [i, item] of items.entries()) {
      const nested = at(`${path}/${field.apiName}/${i}`);
      const body = withParent(child, children.foreignKey, item, parentId);
      if (typeof item.id !== 'number') {
        inserts.push({ child, action: 'create', body, previous: null, id: null, nested });
        continue;
      }
      const row = storedById.get(item.id);
      if (!row) {
        errors.push({
          field: `${field.apiName}.${i}.id`,
          path: `${nested.path}/id`,
          rule: 'exists',
          message: `No ${child.entity.name} ${item.id} under this record`,
        });
        continue;
      }
      const { id: _id, ...patch } = body;
      const previous = serializeRow(child, row, this.ctx.tenantId);
      updates.push({ row, write: { child, action: 'update', body: patch, previous, id: item.id, nested } });
    }
    if (errors.length > 0) throw new ValidationError(errors);
    for (const { row, write } of updates) {
      await this.beforeChild(write);
      await this.update(child, row, write.body, Number(row.version), false, write.nested.path);
      this.childChanges.push({ ...write, id: Number(row.id) });
    }
    const listed = new Set(updates.map(({ write }) => write.id));
    const removals = stored
      .filter((row) => !listed.has(Number(row.id)))
      .map((row): ChildChange => {
        const previous = serializeRow(child, row, this.ctx.tenantId);
        const id = Number(row.id);
        return { child, action: 'delete', body: {}, previous, id, nested: at(`${path}/${field.apiName}`) };
      });
    for (const removal of removals) await this.beforeChild(removal);
    const removed = removals.map((removal) => removal.id);
    if (child.entity.softDelete) {
      for (const id of removed) {
        await this.store.update(
          this.tx,
          child.entity,
          id,
          { deleted_at: this.now, updated_by: this.ctx.userId },
          null,
        );
      }
    } else {
      await this.store.deleteByIds(this.tx, child.entity, removed);
    }
    this.childChanges.push(...removals);
    for (const write of inserts) await this.beforeChild(write);
    await this.insertChildRows(await this.reviveRemoved(child, field, parentId, inserts));
  }

  /**
   * A unique rule speaks of the live children: a child added again with the unique values of one
   * removed earlier (a role granted, revoked and granted again) brings that row back with the new
   * values instead of colliding with it; it is recorded as created. Returns the writes that still
   * need a row of their own.
   */
  private async reviveRemoved(
    child: EntityRuntime,
    field: CompiledField,
    parentId: number,
    inserts: ChildWrite[],
  ): Promise<ChildWrite[]> {
    const uniques = child.entity.indexes.filter((index) => index.unique);
    if (inserts.length === 0 || uniques.length === 0 || !child.entity.softDelete) return inserts;
    const removed = await this.store.childrenOf(this.tx, child.entity, field, [parentId], true);
    if (removed.length === 0) return inserts;
    const revived = new Set<number>();
    const remaining: ChildWrite[] = [];
    for (const write of inserts) {
      const row = removed.find(
        (candidate) =>
          !revived.has(Number(candidate.id)) &&
          uniques.some((index) =>
            index.columns.every((column) => sameUniqueValue(child, column, write.body, candidate)),
          ),
      );
      if (!row) {
        remaining.push(write);
        continue;
      }
      const id = Number(row.id);
      revived.add(id);
      const restored = await this.update(
        child,
        { ...row },
        write.body,
        Number(row.version),
        false,
        write.nested.path,
      );
      if (restored) await this.store.update(this.tx, child.entity, id, { deleted_at: null }, null);
      this.childChanges.push({ ...write, id });
    }
    return remaining;
  }
}

/** The references of `wanted` that `referenced` lacks, as errors per row under `pathOf(row)`. */
function missingReferences(
  wanted: ReadonlyMap<string, WantedReferences>,
  referenced: KnownRows,
  pathOf: (row: number) => string,
): RowErrors {
  const errors: RowErrors = new Map();
  for (const { entity, refs } of wanted.values()) {
    for (const ref of refs) {
      if (referenced.get(entity.name)?.has(ref.id)) continue;
      const error: FieldError = {
        field: ref.field,
        path: `${pathOf(ref.row)}${ref.path}`,
        rule: 'exists',
        limit: entity.name,
        message: `${entity.name} ${ref.id} does not exist`,
      };
      errors.set(ref.row, [...(errors.get(ref.row) ?? []), error]);
    }
  }
  return errors;
}

/** Whether a body's value for a unique rule's column equals a stored row's (tenant: always). */
function sameUniqueValue(rt: EntityRuntime, column: string, body: EntityRecord, row: DbRow): boolean {
  if (column === 'tenant_id') return true;
  const field = rt.entity.fields.find((f) => f.column === column);
  if (!field) return false;
  const value = toDbValue(field.columnType, body[apiPropertyOf(field)], field.scale);
  return value !== null && String(value) === String(row[column]);
}

/** Declared defaults for properties the body leaves out (a copy: the caller's body is not touched). */
function applyDefaults(rt: EntityRuntime, body: EntityRecord, ctx: RequestContext, now: Date): EntityRecord {
  const filled: EntityRecord = { ...body };
  for (const { field, property } of rt.defaultedFields) {
    if (filled[property] === undefined) filled[property] = resolveDefault(field, ctx, now);
  }
  return filled;
}

/** A child body with its back reference pointing at the parent. */
function withParent(child: EntityRuntime, foreignKey: string, item: unknown, parentId: number): EntityRecord {
  const field = child.entity.fieldsByName.get(foreignKey);
  const property = field ? apiPropertyOf(field) : foreignKey;
  return { ...(item as EntityRecord), [property]: parentId };
}

/** Extension values of a body merged over the stored ones; datetimes normalised to ISO with `Z`. */
function extValues(
  rt: EntityRuntime,
  body: EntityRecord,
  stored: Record<string, unknown>,
): Record<string, unknown> {
  const ext = { ...stored };
  for (const field of rt.extFields) {
    if (!(field.apiName in body)) continue;
    const value = body[field.apiName];
    ext[field.name] =
      field.type === 'datetime' && typeof value === 'string' ? new Date(value).toISOString() : value;
  }
  return ext;
}
