import { createHash } from 'node:crypto';
import type { EntityDef, FieldDef, IdentifierDef, ListViewDef, MetadataSet } from '../types';
import { parseIdentifierPattern } from './identifier-pattern';
import { boundedIdentifier, camelCase, entityPath } from './naming';
import { DEFAULT_STRING_LENGTH, sealedColumnLength } from './sealed-length';
import type {
  CompiledEntity,
  CompiledField,
  CompiledIdentifier,
  CompiledIndex,
  ExtensionFieldInput,
  Model,
  SystemColumn,
} from './types';

const CRUD_ACTIONS = ['read', 'create', 'update', 'delete', 'restore', 'export', 'import'];

export const SYSTEM_COLUMNS: readonly SystemColumn[] = [
  { column: 'id', apiName: 'id', columnType: 'bigint', nullable: false },
  { column: 'tenant_id', apiName: 'tenantId', columnType: 'varchar', length: 32, nullable: false },
  { column: 'created_at', apiName: 'createdAt', columnType: 'datetime', nullable: false },
  { column: 'created_by', apiName: 'createdBy', columnType: 'varchar', length: 64, nullable: true },
  { column: 'updated_at', apiName: 'updatedAt', columnType: 'datetime', nullable: false },
  { column: 'updated_by', apiName: 'updatedBy', columnType: 'varchar', length: 64, nullable: true },
  { column: 'version', apiName: 'version', columnType: 'int', nullable: false },
  { column: 'deleted_at', apiName: 'deletedAt', columnType: 'datetime', nullable: true },
  { column: 'ext', apiName: 'ext', columnType: 'json', nullable: true },
];

export interface CompileOptions {
  /** Version the registry assigns to this model. */
  version: number;
  /** Extension fields registered at runtime. */
  extensionFields?: ExtensionFieldInput[];
}

/** Compiles validated metadata into the immutable runtime Model every part of the platform reads. */
export function compileModel(set: MetadataSet, options: CompileOptions): Model {
  const extensions = options.extensionFields ?? [];
  const entities = new Map<string, CompiledEntity>();
  for (const def of set.entities.values()) {
    const origin = set.sources.get(`entity:${def.entity}`)?.origin ?? 'core';
    const ext = extensions.filter((e) => e.entity === def.entity);
    entities.set(def.entity, reusedEntity(def, set, ext, origin));
  }
  // A renamed entity's former paths keep answering; a current path wins over an alias.
  const entitiesByPath = new Map(
    [...entities.values()].flatMap((e) => e.pathAliases.map((alias) => [alias, e] as const)),
  );
  for (const e of entities.values()) entitiesByPath.set(e.path, e);
  return deepFreeze({
    version: options.version,
    hash: hashOf(set, extensions),
    entities,
    entitiesByPath,
    modules: new Map(set.modules),
    forms: new Map(set.forms),
    workflows: new Map(set.workflows),
    dashboards: new Map(set.dashboards),
    rules: new Map(set.rules),
    roles: new Map(set.roles),
    permissions: new Map(set.permissions),
    menus: new Map(set.menus),
    plugins: new Map(set.plugins),
  });
}

/**
 * Entities compiled before, by their definition object, with what else their compilation read. A
 * Model is recomposed on every metadata change (a studio publish, an extension field, a plugin), and
 * most entity definitions come in as the same objects: an entity whose definition and dependencies
 * are unchanged keeps its compiled (frozen) object instead of being compiled again.
 */
const compiledEntities = new WeakMap<EntityDef, { dependencies: string; entity: CompiledEntity }>();

function reusedEntity(
  def: EntityDef,
  set: MetadataSet,
  extensions: ExtensionFieldInput[],
  origin: string,
): CompiledEntity {
  const dependencies = dependenciesOf(def, set, extensions, origin);
  const cached = compiledEntities.get(def);
  if (cached?.dependencies === dependencies) return cached.entity;
  const entity = compileEntity(def, set, extensions, origin);
  compiledEntities.set(def, { dependencies, entity });
  return entity;
}

/**
 * Everything besides its own definition that compiling an entity reads: its origin and extension
 * fields, its workflow's actions, its module's database, the table and display field of relation
 * targets and the type of children's back reference.
 */
function dependenciesOf(
  def: EntityDef,
  set: MetadataSet,
  extensions: ExtensionFieldInput[],
  origin: string,
): string {
  const targets = [...Object.values(def.fields), ...extensions.map((e) => e.def)].map((field) => {
    if (field.type === 'relation') {
      const target = set.entities.get(field.to);
      return [target?.table ?? null, target?.display ?? null];
    }
    if (field.type === 'children') return set.entities.get(field.to)?.fields[field.foreignKey]?.type ?? null;
    return null;
  });
  const workflow = def.workflow ? set.workflows.get(def.workflow) : undefined;
  return JSON.stringify([
    origin,
    extensions,
    workflow?.transitions.map((t) => t.action) ?? null,
    set.modules.get(def.module)?.database ?? null,
    targets,
  ]);
}

function compileEntity(
  def: EntityDef,
  set: MetadataSet,
  extensions: ExtensionFieldInput[],
  origin: string,
): CompiledEntity {
  const table = def.table ?? def.entity;
  const declared = Object.entries(def.fields).map(([name, field]) =>
    compileField(def, name, field, set, false),
  );
  const extended = extensions.map((e) => ({
    ...compileField(def, e.name, e.def, set, true),
    tenants: e.tenants,
    ...(e.promotedColumn ? { promotedColumn: e.promotedColumn } : {}),
  }));
  const fields = [...declared, ...extended];
  const fieldsByName = new Map(fields.map((f) => [f.name, f]));
  const workflow = def.workflow ? set.workflows.get(def.workflow) : undefined;
  const list = def.list ?? defaultList(def);
  return {
    name: def.entity,
    label: def.label,
    pluralLabel: def.pluralLabel ?? def.label,
    module: def.module,
    database: def.database ?? set.modules.get(def.module)?.database ?? 'core',
    table,
    path: def.path ?? entityPath(def.entity),
    renamedFrom: def.renamedFrom,
    display: def.display,
    businessKey: def.businessKey ?? def.identifier?.field,
    identifier: def.identifier ? compileIdentifier(def.identifier) : undefined,
    fields,
    fieldsByName,
    fieldsByApiName: new Map(fields.map((f) => [f.apiName, f])),
    systemColumns: [...SYSTEM_COLUMNS],
    indexes: compileIndexes(def, table, fieldsByName),
    list,
    views: def.views ?? {},
    form: def.form,
    workflow: def.workflow,
    extension: def.extension ?? { allowed: false },
    appendOnly: def.appendOnly ?? false,
    archived: def.archived ?? false,
    pathAliases: def.pathAliases ?? [],
    softDelete: def.softDelete ?? !def.appendOnly,
    tenantScoped: def.tenantScoped ?? true,
    owned: def.owned ?? false,
    events: {
      created: def.events?.created ?? `${def.entity}.created`,
      updated: def.events?.updated ?? `${def.entity}.updated`,
      deleted: def.events?.deleted ?? `${def.entity}.deleted`,
    },
    actions: unique([
      ...CRUD_ACTIONS,
      ...(workflow?.transitions.map((t) => t.action) ?? []),
      ...(def.actions ?? []),
    ]),
    origin,
    attachments: compileAttachments(def.attachments),
    comments: def.comments ?? false,
    evaluatedBy: def.evaluatedBy ?? null,
    recurrence: def.recurrence ?? null,
  };
}

function compileField(
  entity: EntityDef,
  name: string,
  field: FieldDef,
  set: MetadataSet,
  isExtension: boolean,
): CompiledField {
  const base = {
    name,
    apiName: camelCase(name),
    type: field.type,
    label: field.label,
    required: field.required ?? false,
    unique: field.unique ?? false,
    index: field.index ?? false,
    readonly: field.readonly ?? false,
    sensitive: field.sensitive ?? false,
    hidden: field.hidden ?? false,
    renamedFrom: field.renamedFrom,
    def: field,
  };
  if (field.type === 'children') {
    const child = set.entities.get(field.to);
    const backRef = child?.fields[field.foreignKey];
    return {
      ...base,
      storage: 'children',
      nullable: true,
      children: {
        target: field.to,
        foreignKey: field.foreignKey,
        foreignColumn: backRef?.type === 'relation' ? `${field.foreignKey}_id` : field.foreignKey,
        orderBy: field.orderBy,
      },
    };
  }
  if (field.type === 'many') {
    return {
      ...base,
      storage: 'many',
      nullable: true,
      many: {
        target: field.to,
        through: field.through ?? boundedIdentifier(`${entity.table ?? entity.entity}_${name}`),
        sourceColumn: `${entity.entity}_id`,
        targetColumn: field.to === entity.entity ? `related_${field.to}_id` : `${field.to}_id`,
      },
    };
  }
  if (field.type === 'computed') return { ...base, storage: 'computed', nullable: true };

  const storage = isExtension ? 'ext' : 'column';
  const column = isExtension
    ? undefined
    : (field.column ?? (field.type === 'relation' ? `${name}_id` : name));
  const nullable = !field.required || field.default !== undefined;
  const compiled: CompiledField = { ...base, storage, column, nullable, ...columnShape(field) };
  if (field.type === 'enum')
    compiled.enumValues = field.values.map((v) => (typeof v === 'string' ? v : v.value));
  if (field.type === 'relation') {
    const target = set.entities.get(field.to);
    compiled.relation = {
      target: field.to,
      targetTable: target?.table ?? field.to,
      display: field.display ?? target?.display ?? 'id',
      onDelete: field.onDelete ?? 'restrict',
    };
  }
  return compiled;
}

function columnShape(field: FieldDef): Pick<CompiledField, 'columnType' | 'length' | 'precision' | 'scale'> {
  switch (field.type) {
    case 'string': {
      const length = field.length ?? DEFAULT_STRING_LENGTH;
      // Sensitive values are stored sealed (AES-256-GCM), longer than the plaintext.
      return { columnType: 'varchar', length: field.sensitive ? sealedColumnLength(length) : length };
    }
    case 'enum': {
      const longest = Math.max(...field.values.map((v) => (typeof v === 'string' ? v : v.value).length));
      return { columnType: 'varchar', length: Math.max(16, longest) };
    }
    case 'text':
      return { columnType: 'text' };
    case 'integer':
      return { columnType: 'int' };
    case 'decimal':
      return { columnType: 'decimal', precision: field.precision, scale: field.scale };
    case 'boolean':
      return { columnType: 'boolean' };
    case 'date':
      return { columnType: 'date' };
    case 'datetime':
      return { columnType: 'datetime' };
    case 'relation':
      return { columnType: 'bigint' };
    case 'file':
    case 'json':
      return { columnType: 'json' };
    default:
      return {};
  }
}

/** Default largest attached file: 10 MiB. */
export const DEFAULT_ATTACHMENT_SIZE = 10 * 1024 * 1024;

function compileAttachments(def: EntityDef['attachments']): CompiledEntity['attachments'] {
  if (def === undefined || def === false) return null;
  const policy = def === true ? {} : def;
  return { maxSize: policy.maxSize ?? DEFAULT_ATTACHMENT_SIZE, accept: policy.accept ?? [] };
}

function compileIdentifier({ field, pattern, regex, external }: IdentifierDef): CompiledIdentifier {
  const tokens = parseIdentifierPattern(pattern);
  const seq = tokens.find((t) => t.kind === 'seq');
  return { field, pattern, tokens, seqWidth: Number(seq?.value ?? 4), regex, external: external ?? false };
}

/**
 * Declared indexes, one per unique/indexed field, and composite indexes derived from the default
 * list view: for each equality filter `(tenant_id, filter, deleted_at, sort…)` and
 * `(tenant_id, deleted_at, sort…)`, so a filtered, sorted page is an index range scan instead of a
 * filesort and its total is counted from the index alone (`deleted_at IS NULL` is an equality).
 */
function compileIndexes(
  def: EntityDef,
  table: string,
  fields: ReadonlyMap<string, CompiledField>,
): CompiledIndex[] {
  const indexes: CompiledIndex[] = [];
  const seen = new Set<string>();
  const add = (columns: string[], unique: boolean, origin: CompiledIndex['origin'], name?: string) => {
    const key = `${unique ? 'u' : 'i'}:${columns.join(',')}`;
    if (seen.has(key) || columns.length === 0) return;
    seen.add(key);
    const prefix = unique ? 'uk' : 'idx';
    indexes.push({
      name: name ?? boundedIdentifier(`${prefix}_${table}_${columns.join('_')}`),
      columns,
      unique,
      origin,
    });
  };
  const columnOf = (name: string) =>
    fields.get(name)?.column ?? SYSTEM_COLUMNS.find((c) => c.column === name)?.column;
  const tenantScoped = def.tenantScoped ?? true;
  const scope = tenantScoped ? ['tenant_id'] : [];
  const live = (def.softDelete ?? !def.appendOnly) ? ['deleted_at'] : [];

  const declared = (unique: boolean) => {
    for (const index of def.indexes ?? []) {
      if ((index.unique ?? false) !== unique) continue;
      const columns = index.fields.map(columnOf).filter((c): c is string => c !== undefined);
      add(
        unique ? [...scope, ...columns] : servingIndex(columns, scope, live),
        unique,
        'declared',
        index.name,
      );
    }
  };
  declared(true);
  for (const field of fields.values()) {
    if (!field.column) continue;
    if (field.unique) add([...scope, field.column], true, 'field');
    else if (field.index || field.type === 'relation') add([field.column], false, 'field');
  }
  const list = def.list;
  if (list) {
    const sortColumns = toArray(list.defaultSort ?? '-id')
      .map((s) => columnOf(s.replace(/^-/, '')))
      .filter((c): c is string => c !== undefined);
    if (sortColumns.length > 0) add([...scope, ...live, ...sortColumns], false, 'list');
    for (const filter of list.filters ?? []) {
      const field = fields.get(filter);
      if (!field?.column || !isEqualityFilter(field)) continue;
      const sortRest = sortColumns.filter((c) => c !== field.column);
      add([...scope, field.column, ...live, ...sortRest], false, 'list');
    }
  }
  // After the list's own: a declared index the list already derived is that index.
  declared(false);
  return indexes;
}

/**
 * The columns of a declared non-unique index. Every query of the engine carries the tenant and, on
 * soft-deleting entities, `deleted_at IS NULL`: a composite index leads with the tenant and holds
 * the live flag among its equality columns, before the last one (a sort or range column, like the
 * list's derived indexes), so the conditions of a row scope and a filter together (`line_id IN (…)
 * AND status = ?`) are counted from the index alone. An index naming `tenant_id` itself (one for
 * work across tenants) and a single-column one (the column's own index) stay as declared.
 */
function servingIndex(columns: string[], scope: string[], live: string[]): string[] {
  if (columns.length < 2 || columns.includes('tenant_id')) return columns;
  return [...scope, ...columns.slice(0, -1), ...live, ...columns.slice(-1)];
}

function isEqualityFilter(field: CompiledField): boolean {
  return (
    field.type === 'enum' || field.type === 'relation' || field.type === 'boolean' || field.type === 'string'
  );
}

function defaultList(def: EntityDef): ListViewDef {
  const columns = Object.entries(def.fields)
    .filter(
      ([, f]) =>
        f.type !== 'children' && f.type !== 'many' && f.type !== 'json' && f.type !== 'text' && !f.hidden,
    )
    .map(([name]) => name)
    .slice(0, 8);
  return { columns, defaultSort: '-id' };
}

function toArray<T>(value: T | T[] | undefined): T[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

function unique<T>(values: T[]): T[] {
  return [...new Set(values)];
}

/** Definitions as JSON, by object: a definition is not changed once loaded, so it is serialised once. */
const definitionJson = new WeakMap<object, string>();

function jsonOf(definition: object): string {
  let json = definitionJson.get(definition);
  if (json === undefined) {
    json = JSON.stringify(definition);
    definitionJson.set(definition, json);
  }
  return json;
}

/**
 * sha256 of `JSON.stringify([docs, extensions])`, where docs lists each kind's `[name, definition]`
 * pairs sorted by name; the text is assembled from each definition's JSON, serialised once.
 */
function hashOf(set: MetadataSet, extensions: ExtensionFieldInput[]): string {
  const docs = [
    set.modules,
    set.entities,
    set.forms,
    set.workflows,
    set.dashboards,
    set.rules,
    set.roles,
    set.permissions,
    set.menus,
    set.plugins,
  ].map((m) => [...m.entries()].sort(([a], [b]) => a.localeCompare(b)));
  const pairs = (entries: [string, object][]) =>
    `[${entries.map(([name, definition]) => `[${JSON.stringify(name)},${jsonOf(definition)}]`).join(',')}]`;
  const text = `[[${docs.map(pairs).join(',')}],${JSON.stringify(extensions)}]`;
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    const children = value instanceof Map ? [...value.values()] : Object.values(value);
    for (const child of children) deepFreeze(child);
  }
  return value;
}
