/**
 * The database schema a Model needs, as plain data: every table with its columns, indexes and
 * foreign keys. Snapshots are committed (database/snapshots/) and diffed to generate migrations,
 * so they hold only what the database sees and serialise to stable JSON.
 */
import { SYSTEM_COLUMNS } from './compile';
import { boundedIdentifier } from './naming';
import type { ColumnType, CompiledEntity, CompiledField, Model, SystemColumn } from './types';

export const SNAPSHOT_FORMAT = 1;

export type ColumnDefault = string | number | boolean;

export interface SnapshotColumn {
  name: string;
  type: ColumnType;
  length?: number;
  precision?: number;
  scale?: number;
  nullable: boolean;
  /** Literal default value; absent = none. */
  default?: ColumnDefault;
  /** The auto-increment primary key `id`. */
  generated?: boolean;
  /** Previous column name: the diff renames instead of dropping and adding. */
  renamedFrom?: string;
}

export interface SnapshotIndex {
  name: string;
  columns: string[];
  unique: boolean;
}

export type ReferentialAction = 'RESTRICT' | 'CASCADE' | 'SET NULL';

export interface SnapshotForeignKey {
  name: string;
  columns: string[];
  referencedTable: string;
  referencedColumns: string[];
  onDelete: ReferentialAction;
}

export interface SnapshotTable {
  name: string;
  /** The entity stored here; a many-to-many link table names the entity owning the field. */
  entity: string;
  kind: 'entity' | 'link';
  /** Logical database (core, procurement, …). */
  database: string;
  renamedFrom?: string;
  /** In creation order. */
  columns: SnapshotColumn[];
  primaryKey: string[];
  indexes: SnapshotIndex[];
  foreignKeys: SnapshotForeignKey[];
}

export interface SchemaSnapshot {
  format: number;
  /** Hash of the Model the snapshot was taken from. */
  modelHash: string;
  tables: Record<string, SnapshotTable>;
}

const ON_DELETE: Record<'restrict' | 'cascade' | 'setNull', ReferentialAction> = {
  restrict: 'RESTRICT',
  cascade: 'CASCADE',
  setNull: 'SET NULL',
};

/** Types whose columns may carry a literal default on both MySQL and SQLite. */
const DEFAULTABLE: ReadonlySet<ColumnType> = new Set(['varchar', 'int', 'bigint', 'decimal', 'boolean']);

/** System columns before the declared fields; the rest follow them. */
const LEADING_SYSTEM_COLUMNS = new Set(['id', 'tenant_id']);

/** The Model cannot be stored as it is, e.g. a field's column collides with a system column. */
export class SnapshotError extends Error {
  constructor(readonly problems: string[]) {
    super(`The model cannot be mapped to tables:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'SnapshotError';
  }
}

export function emptySnapshot(): SchemaSnapshot {
  return { format: SNAPSHOT_FORMAT, modelHash: '', tables: {} };
}

export interface SnapshotOptions {
  /**
   * Only entities of this origin (`core` or a plugin name): each has its own migrations. Foreign
   * keys to entities of another origin are left out, as their tables may not exist.
   */
  origin?: string;
}

/** The tables, columns, indexes and foreign keys a Model needs. */
export function toSnapshot(model: Model, options: SnapshotOptions = {}): SchemaSnapshot {
  const included = (entity: CompiledEntity | undefined): entity is CompiledEntity =>
    entity !== undefined && (options.origin === undefined || entity.origin === options.origin);
  const tables: Record<string, SnapshotTable> = {};
  const entities = [...model.entities.values()].filter(included).sort((a, b) => a.name.localeCompare(b.name));
  for (const entity of entities) {
    tables[entity.table] = entityTable(entity, model, included);
    for (const field of entity.fields) {
      if (field.many && !tables[field.many.through])
        tables[field.many.through] = linkTable(entity, field, model, included);
    }
  }
  const problems = Object.values(tables).flatMap(duplicateColumns);
  if (problems.length > 0) throw new SnapshotError(problems);
  return { format: SNAPSHOT_FORMAT, modelHash: model.hash, tables: sortByKey(tables) };
}

function duplicateColumns(table: SnapshotTable): string[] {
  const seen = new Set<string>();
  const problems: string[] = [];
  for (const column of table.columns) {
    if (seen.has(column.name))
      problems.push(
        `entity ${table.entity}: column \`${table.name}.${column.name}\` is declared twice` +
          (SYSTEM_COLUMNS.some((c) => c.column === column.name)
            ? ` (\`${column.name}\` is a system column; rename the field or give it another \`column:\`)`
            : ''),
      );
    seen.add(column.name);
  }
  return problems;
}

/** JSON with sorted object keys and a trailing newline, so snapshots diff cleanly in git. */
export function stableStringify(value: unknown): string {
  return `${JSON.stringify(sortKeysDeep(value), null, 2)}\n`;
}

/** Reads a snapshot written by stableStringify, checking its format. */
export function parseSnapshot(json: string): SchemaSnapshot {
  const parsed = JSON.parse(json) as Partial<SchemaSnapshot>;
  if (parsed.format !== SNAPSHOT_FORMAT || typeof parsed.tables !== 'object' || parsed.tables === null)
    throw new Error(`Unsupported schema snapshot: expected format ${SNAPSHOT_FORMAT} with a tables object`);
  return { format: parsed.format, modelHash: parsed.modelHash ?? '', tables: parsed.tables };
}

type EntityFilter = (entity: CompiledEntity | undefined) => entity is CompiledEntity;

function entityTable(entity: CompiledEntity, model: Model, included: EntityFilter): SnapshotTable {
  const declared = entity.fields.filter((f) => f.storage === 'column' && f.column !== undefined);
  const system = entity.systemColumns.map(systemColumn);
  const columns = [
    ...system.filter((c) => LEADING_SYSTEM_COLUMNS.has(c.name)),
    ...declared.map(fieldColumn),
    ...system.filter((c) => !LEADING_SYSTEM_COLUMNS.has(c.name)),
  ];
  const foreignKeys: SnapshotForeignKey[] = [];
  for (const field of declared) {
    const relation = field.relation;
    const target = relation ? model.entities.get(relation.target) : undefined;
    if (!relation || !field.column || !included(target) || target.database !== entity.database) continue;
    foreignKeys.push({
      name: boundedIdentifier(`fk_${entity.table}_${field.column}`),
      columns: [field.column],
      referencedTable: target.table,
      referencedColumns: ['id'],
      onDelete: ON_DELETE[relation.onDelete],
    });
  }
  return compact({
    name: entity.table,
    entity: entity.name,
    kind: 'entity',
    database: entity.database,
    renamedFrom: entity.renamedFrom,
    columns,
    primaryKey: ['id'],
    indexes: entity.indexes.map((i) => ({ name: i.name, columns: [...i.columns], unique: i.unique })),
    foreignKeys,
  });
}

/** Link table of a many-to-many field: one row per (source, target) pair, removed with either side. */
function linkTable(
  entity: CompiledEntity,
  field: CompiledField,
  model: Model,
  included: EntityFilter,
): SnapshotTable {
  const many = field.many!;
  const target = model.entities.get(many.target);
  const tenant = SYSTEM_COLUMNS.find((c) => c.column === 'tenant_id')!;
  const foreignKeys: SnapshotForeignKey[] = [
    {
      name: boundedIdentifier(`fk_${many.through}_${many.sourceColumn}`),
      columns: [many.sourceColumn],
      referencedTable: entity.table,
      referencedColumns: ['id'],
      onDelete: 'CASCADE',
    },
  ];
  if (included(target) && target.database === entity.database)
    foreignKeys.push({
      name: boundedIdentifier(`fk_${many.through}_${many.targetColumn}`),
      columns: [many.targetColumn],
      referencedTable: target.table,
      referencedColumns: ['id'],
      onDelete: 'CASCADE',
    });
  return {
    name: many.through,
    entity: entity.name,
    kind: 'link',
    database: entity.database,
    columns: [
      systemColumn(tenant),
      { name: many.sourceColumn, type: 'bigint', nullable: false },
      { name: many.targetColumn, type: 'bigint', nullable: false },
    ],
    primaryKey: [many.sourceColumn, many.targetColumn],
    indexes: [
      {
        name: boundedIdentifier(`idx_${many.through}_${many.targetColumn}`),
        columns: [many.targetColumn],
        unique: false,
      },
    ],
    foreignKeys,
  };
}

function systemColumn(column: SystemColumn): SnapshotColumn {
  if (column.column === 'id') return { name: 'id', type: 'bigint', nullable: false, generated: true };
  return compact({
    name: column.column,
    type: column.columnType,
    length: column.length,
    nullable: column.nullable,
    default: column.column === 'version' ? 1 : undefined,
  });
}

function fieldColumn(field: CompiledField): SnapshotColumn {
  return compact({
    name: field.column!,
    type: field.columnType!,
    length: field.length,
    precision: field.precision,
    scale: field.scale,
    nullable: field.nullable,
    default: literalDefault(field),
    renamedFrom: field.renamedFrom,
  });
}

/**
 * Only literal defaults become column defaults; `$now`, `$user`, `=expr` and the like are applied
 * by the platform when a row is written.
 */
function literalDefault(field: CompiledField): ColumnDefault | undefined {
  const value = field.def.default;
  if (value === undefined || value === null || !field.columnType || !DEFAULTABLE.has(field.columnType))
    return undefined;
  if (typeof value === 'string' && /^[$=]/.test(value)) return undefined;
  return value;
}

function compact<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

function sortByKey<T>(record: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

function sortKeysDeep(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeysDeep);
  if (value && typeof value === 'object')
    return Object.fromEntries(
      Object.entries(value)
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([k, v]) => [k, sortKeysDeep(v)]),
    );
  return value;
}
