import type { CompiledEntity } from '../../../metadata/src/model';
import type { FieldDef } from '../../../metadata/src/types';
import type { ExtensionFieldView } from '../contracts/extensions';
import { ApiError, NotFoundError, ValidationError } from '../crud/errors';
import type { EngineDatabase, SqlExecutor } from '../data/database';
import type { Dialect } from '../data/dialect';
import type { ModelRegistry } from '../kernel/model-registry';
import { auditMetadataChange, type MetadataActor } from '../plugins/metadata-change';
import type { PluginManager } from '../plugins/plugin-manager';
import { EXTENSION_FIELD_NAME, extensionFieldErrors } from './extension-field-rules';
import { ExtensionFieldStore, type ExtensionFieldRecord } from './extension-field-store';
import {
  demoteSql,
  dropColumnSql,
  moveExtValues,
  promoteSql,
  promotedNames,
  promotionRefusal,
  runDdl,
} from './extension-column-store';

export type { ExtensionFieldView };

/**
 * Extension fields at runtime, per tenant: registered in `ext_field`, then a new Model is composed
 * and swapped in, so the field is at once stored (in the row's ext JSON), validated, filterable and
 * in forms, lists and OpenAPI. Rename moves the stored values; delete archives the field and keeps
 * the values in the rows. Every change is audited (METADATA_CHANGE) in the transaction that makes it.
 */
export class ExtensionFieldService {
  private readonly store: ExtensionFieldStore;
  private readonly dialect: Dialect;

  constructor(
    private readonly database: EngineDatabase,
    private readonly plugins: PluginManager,
    private readonly models: ModelRegistry,
  ) {
    this.store = new ExtensionFieldStore(database.dataSource);
    this.dialect = database.dialect;
  }

  async list(tenantId: string, entityName: string): Promise<ExtensionFieldView[]> {
    const entity = this.extensibleEntity(entityName);
    return (await this.store.list(entity.name))
      .filter((r) => r.tenantId === tenantId || r.tenantId === '*')
      .map(toView);
  }

  async add(
    tenantId: string,
    entityName: string,
    body: unknown,
    by: MetadataActor,
  ): Promise<ExtensionFieldView> {
    const entity = this.extensibleEntity(entityName);
    const errors = extensionFieldErrors(body);
    if (errors.length > 0) throw new ValidationError(errors, `Invalid extension field for ${entity.name}`);
    const { name, ...def } = body as FieldDef & { name: string };
    this.checkNameFree(entity, name);
    const max = entity.extension.maxFields;
    const all = await this.store.list(entity.name);
    if (
      max !== undefined &&
      all.filter((r) => r.status === 'active' && r.tenantId === tenantId).length >= max
    )
      throw new ApiError('BUSINESS_RULE', 422, `${entity.name} allows at most ${max} extension fields`, {
        errors: [{ field: 'name', path: '/name', rule: 'maxFields', limit: max, message: `at most ${max}` }],
      });
    const existing = await this.store.find(tenantId, entity.name, name);
    if (existing?.status === 'active') throw duplicate(entity.name, name);
    const clash = all.find(
      (r) => r.name === name && r.status === 'active' && !sameDef(r.def, def as FieldDef),
    );
    if (clash)
      throw duplicate(entity.name, name, `tenant ${clash.tenantId} defines it with another definition`);
    // Another tenant's field of that name may already be promoted: this record shares its column.
    const promoted = all.find((r) => r.name === name && r.promotedColumn)?.promotedColumn;
    await this.audited(by, entity.name, name, 'add', { tenant: tenantId, definition: def }, async (tx) => {
      if (existing) await this.store.update(existing, { def: def as FieldDef, status: 'active' }, by.id, tx);
      else await this.store.insert(tenantId, entity.name, name, def as FieldDef, by.id, tx);
      if (promoted) await this.store.setPromotedColumn(entity.name, name, promoted, by.id, tx);
    });
    await this.plugins.rebuild(`extension field ${entity.name}.${name} added for ${tenantId}`);
    return toView((await this.store.find(tenantId, entity.name, name)) ?? missing(entity.name, name));
  }

  /** Renames the field and moves its stored values in this tenant's rows to the new name. */
  async rename(
    tenantId: string,
    entityName: string,
    name: string,
    newName: unknown,
    by: MetadataActor,
  ): Promise<ExtensionFieldView> {
    const entity = this.extensibleEntity(entityName);
    const record = await this.activeField(tenantId, entity.name, name);
    if (typeof newName !== 'string' || !EXTENSION_FIELD_NAME.test(newName))
      throw new ValidationError([
        {
          field: 'name',
          path: '/name',
          rule: 'pattern',
          limit: EXTENSION_FIELD_NAME.source,
          message: 'invalid name',
        },
      ]);
    if (record.promotedColumn)
      throw new ApiError(
        'CONFLICT',
        409,
        `${entity.name}.${name} is promoted to column ${record.promotedColumn}: demote it first (archive the field) to rename it`,
        { errors: [{ field: 'name', path: '/name', rule: 'promoted', message: 'demote first' }] },
      );
    this.checkNameFree(entity, newName);
    if (await this.store.find(tenantId, entity.name, newName)) throw duplicate(entity.name, newName);
    const detail = { tenant: tenantId, from: name, to: newName };
    await this.audited(by, entity.name, name, 'rename', detail, async (tx) => {
      await moveExtValues(tx, entity.table, tenantId, name, newName);
      await this.store.update(record, { name: newName }, by.id, tx);
    });
    await this.plugins.rebuild(`extension field ${entity.name}.${name} renamed to ${newName}`);
    return toView((await this.store.find(tenantId, entity.name, newName)) ?? missing(entity.name, newName));
  }

  /** Archives the field: it leaves the Model; the values stay in the rows and come back if it is added again. */
  async archive(tenantId: string, entityName: string, name: string, by: MetadataActor): Promise<void> {
    const entity = this.extensibleEntity(entityName);
    const record = await this.activeField(tenantId, entity.name, name);
    const stillActive = (await this.store.list(entity.name)).some(
      (r) => r.name === name && r.status === 'active' && r.id !== record.id,
    );
    // Nobody reads the column any more: drop it and its index (the values stay in ext).
    const demoted = record.promotedColumn && !stillActive ? record.promotedColumn : null;
    await this.audited(by, entity.name, name, 'archive', { tenant: tenantId, demoted }, (tx) =>
      this.store.update(record, { status: 'archived' }, by.id, tx),
    );
    if (demoted) {
      await this.runDdl(demoteSql(this.dialect, entity, demoted));
      await this.store.setPromotedColumn(entity.name, name, null, by.id);
    }
    await this.plugins.rebuild(`extension field ${entity.name}.${name} archived`);
  }

  /**
   * Adds an indexed generated column computed from the field's ext value and records it, so
   * filters and sorts on the field read the column; values are still written to ext.
   */
  async promote(
    tenantId: string,
    entityName: string,
    name: string,
    by: MetadataActor,
  ): Promise<ExtensionFieldView> {
    const entity = this.extensibleEntity(entityName);
    const record = await this.activeField(tenantId, entity.name, name);
    if (record.promotedColumn)
      throw new ApiError(
        'CONFLICT',
        409,
        `${entity.name}.${name} is already promoted to column ${record.promotedColumn}`,
        { errors: [{ field: 'name', path: '/name', rule: 'promoted', message: 'already promoted' }] },
      );
    const field = entity.fieldsByName.get(name);
    if (!field || field.storage !== 'ext') throw missing(entity.name, name);
    const refusal = promotionRefusal(field);
    if (refusal)
      throw new ApiError('BUSINESS_RULE', 422, `${entity.name}.${name} cannot be promoted: ${refusal}`, {
        errors: [{ field: 'type', path: '/definition/type', rule: 'promotable', message: refusal }],
      });
    const { column } = promotedNames(entity, name);
    if (entity.fields.some((f) => f.column === column))
      throw duplicate(entity.name, column, 'the entity declares that column');
    const [addColumn, addIndex] = promoteSql(this.dialect, entity, field);
    await this.runDdl([addColumn]);
    try {
      await this.runDdl([addIndex]);
    } catch (error) {
      await this.runDdl([dropColumnSql(this.dialect, entity, column)]);
      throw error;
    }
    await this.audited(by, entity.name, name, 'promote', { tenant: tenantId, column }, (tx) =>
      this.store.setPromotedColumn(entity.name, name, column, by.id, tx),
    );
    await this.plugins.rebuild(`extension field ${entity.name}.${name} promoted to ${column}`);
    return toView((await this.store.find(tenantId, entity.name, name)) ?? missing(entity.name, name));
  }

  private async runDdl(statements: string[]): Promise<void> {
    await runDdl(this.database.dataSource, statements);
  }

  /** Writes the registry change and its METADATA_CHANGE audit record in one transaction. */
  private audited(
    actor: MetadataActor,
    entity: string,
    name: string,
    operation: string,
    detail: Record<string, unknown>,
    write: (tx: SqlExecutor) => Promise<void>,
  ): Promise<void> {
    return this.database.transaction(async (tx) => {
      await write(tx);
      await auditMetadataChange(tx, actor, {
        entity: 'extension_field',
        recordId: `${entity}.${name}`,
        operation,
        detail: { entity, ...detail },
      });
    });
  }

  private extensibleEntity(name: string): CompiledEntity {
    const model = this.models.current();
    const entity = model.entities.get(name) ?? model.entitiesByPath.get(name);
    if (!entity) throw new NotFoundError('entity', name);
    if (!entity.extension.allowed)
      throw new ApiError('BUSINESS_RULE', 422, `${entity.name} does not allow extension fields`, {
        errors: [
          { field: 'entity', path: '/entity', rule: 'extension', message: 'extension.allowed is false' },
        ],
      });
    return entity;
  }

  /** A declared field of that name would be shadowed; an active extension field is checked by the caller. */
  private checkNameFree(entity: CompiledEntity, name: string): void {
    const field = entity.fieldsByName.get(name);
    if (field && field.storage !== 'ext') throw duplicate(entity.name, name, 'the entity declares it');
  }

  private async activeField(tenantId: string, entity: string, name: string): Promise<ExtensionFieldRecord> {
    const record = await this.store.find(tenantId, entity, name);
    if (!record || record.status !== 'active') throw new NotFoundError(`extension field of ${entity}`, name);
    return record;
  }
}

/**
 * SQL moving one key of the ext JSON to another name in a tenant's rows. SQLite's `->` keeps the JSON
 * type of the value (json_extract would turn `true` into 1).
 */

function sameDef(a: FieldDef, b: FieldDef): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function duplicate(entity: string, name: string, reason = 'it already exists'): ApiError {
  return new ApiError('DUPLICATE_VALUE', 409, `${entity}.${name}: ${reason}`, {
    errors: [{ field: 'name', path: '/name', rule: 'unique', message: reason }],
  });
}

function missing(entity: string, name: string): never {
  throw new Error(`extension field ${entity}.${name} vanished while it was being changed`);
}

function toView(record: ExtensionFieldRecord): ExtensionFieldView {
  return {
    entity: record.entity,
    name: record.name,
    tenantId: record.tenantId,
    status: record.status,
    version: record.version,
    definition: record.def,
    promotedColumn: record.promotedColumn,
  };
}
