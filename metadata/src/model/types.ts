import type {
  DashboardDef,
  RuleDef,
  EntityEvents,
  EvaluatorName,
  ExtensionPolicy,
  FieldDef,
  FieldType,
  FormDef,
  I18nText,
  ListViewDef,
  MenuDef,
  ModuleDef,
  PermissionDef,
  PluginManifest,
  RecurrenceDef,
  RoleDef,
  WorkflowDef,
} from '../types';

/** Portable column types; the data layer maps them to MySQL and SQLite. */
export type ColumnType =
  'varchar' | 'text' | 'int' | 'bigint' | 'decimal' | 'boolean' | 'date' | 'datetime' | 'json';

/** Where a field's value lives. */
export type FieldStorage = 'column' | 'ext' | 'children' | 'many' | 'computed';

export interface CompiledRelation {
  target: string;
  targetTable: string;
  display: string;
  onDelete: 'restrict' | 'cascade' | 'setNull';
}

export interface CompiledChildren {
  target: string;
  /** Field name on the child pointing back to the parent. */
  foreignKey: string;
  /** Column on the child table holding the parent id. */
  foreignColumn: string;
  orderBy?: string;
}

export interface CompiledMany {
  target: string;
  /** Link table with (tenant_id, source_id, target_id). */
  through: string;
  sourceColumn: string;
  targetColumn: string;
}

export interface CompiledField {
  /** Metadata name (snake_case). */
  name: string;
  /** API name (camelCase). */
  apiName: string;
  type: FieldType;
  storage: FieldStorage;
  /** Database column; set for storage `column` (relations: `<name>_id`). */
  column?: string;
  columnType?: ColumnType;
  length?: number;
  precision?: number;
  scale?: number;
  nullable: boolean;
  label: I18nText;
  required: boolean;
  unique: boolean;
  index: boolean;
  readonly: boolean;
  sensitive: boolean;
  hidden: boolean;
  enumValues?: string[];
  relation?: CompiledRelation;
  children?: CompiledChildren;
  many?: CompiledMany;
  /** Previous column name, for migrations. */
  renamedFrom?: string;
  /** Storage `ext` only: the indexed generated column filters and sorts read instead of the JSON value. */
  promotedColumn?: string;
  /** Extension fields registered at runtime apply only to these tenants; undefined = every tenant. */
  tenants?: string[];
  def: FieldDef;
}

export interface CompiledIndex {
  name: string;
  columns: string[];
  unique: boolean;
  /** Why the index exists: declared in metadata, a unique field, or derived from a list view. */
  origin: 'declared' | 'field' | 'list' | 'system';
}

export interface CompiledIdentifierToken {
  kind: 'literal' | 'date' | 'tenant' | 'field' | 'seq';
  /** literal text; date format YYYY|YYYYMM|YYYYMMDD; `TENANT`; field dot path; seq width as string. */
  value: string;
}

export interface CompiledIdentifier {
  field: string;
  pattern: string;
  tokens: CompiledIdentifierToken[];
  seqWidth: number;
  regex?: string;
  /** Whether a client may supply the code on create (matching `regex`). */
  external: boolean;
}

export interface SystemColumn {
  column: string;
  apiName: string;
  columnType: ColumnType;
  nullable: boolean;
  length?: number;
}

export interface CompiledEntity {
  name: string;
  label: I18nText;
  pluralLabel: I18nText;
  module: string;
  database: string;
  table: string;
  /** URL segment under /api (kebab-case plural). */
  path: string;
  /** Previous table name, for migrations. */
  renamedFrom?: string;
  display: string;
  businessKey?: string;
  identifier?: CompiledIdentifier;
  /** Declared fields in declaration order, then extension fields. */
  fields: CompiledField[];
  fieldsByName: ReadonlyMap<string, CompiledField>;
  fieldsByApiName: ReadonlyMap<string, CompiledField>;
  systemColumns: SystemColumn[];
  indexes: CompiledIndex[];
  list: ListViewDef;
  views: Record<string, ListViewDef>;
  form?: string;
  workflow?: string;
  extension: ExtensionPolicy;
  appendOnly: boolean;
  /** Archived: hidden from menus, every write refused; reads still answer. */
  archived: boolean;
  /** Former API paths that still resolve to this entity. */
  pathAliases: string[];
  softDelete: boolean;
  tenantScoped: boolean;
  owned: boolean;
  events: Required<EntityEvents>;
  /** Every permission action on this entity: CRUD, export/import, workflow actions, declared extras. */
  actions: string[];
  /** `core` or the plugin that declared it. */
  origin: string;
  /** Limits of the files attached to records; null when records take no attachments. */
  attachments: { maxSize: number; accept: string[] } | null;
  /** Whether records carry a comment thread. */
  comments: boolean;
  /** The engine evaluator that runs the entity's records, or null. */
  evaluatedBy: EvaluatorName | null;
  /** The fields of a record that is a recurring schedule, or null. */
  recurrence: RecurrenceDef | null;
}

/** An extension field registered at runtime (ext_field), compiled into the entity it extends. */
export interface ExtensionFieldInput {
  entity: string;
  name: string;
  def: FieldDef;
  tenants?: string[];
  /** Indexed generated column of the entity's table mirroring this ext value, once promoted. */
  promotedColumn?: string;
}

export interface Model {
  /** Monotonic version assigned by the registry that swaps models in. */
  version: number;
  /** Content hash of the compiled metadata; equal hashes mean equal models. */
  hash: string;
  entities: ReadonlyMap<string, CompiledEntity>;
  entitiesByPath: ReadonlyMap<string, CompiledEntity>;
  modules: ReadonlyMap<string, ModuleDef>;
  forms: ReadonlyMap<string, FormDef>;
  workflows: ReadonlyMap<string, WorkflowDef>;
  dashboards: ReadonlyMap<string, DashboardDef>;
  /** Business rules; absent in models built without them (fixtures). */
  rules?: ReadonlyMap<string, RuleDef>;
  roles: ReadonlyMap<string, RoleDef>;
  permissions: ReadonlyMap<string, PermissionDef>;
  menus: ReadonlyMap<string, MenuDef>;
  plugins: ReadonlyMap<string, PluginManifest>;
}
