/**
 * Snapshot shapes as the option objects of TypeORM's portable schema classes (Table, TableColumn,
 * TableIndex, TableForeignKey). Plain data, no TypeORM import: the runtime applies them and the
 * migration renderer prints them, so both produce the same schema.
 */
import type { SnapshotColumn, SnapshotForeignKey, SnapshotIndex, SnapshotTable } from './snapshot';

export interface PortableColumnOptions {
  name: string;
  type: string;
  length?: string;
  precision?: number;
  scale?: number;
  isNullable: boolean;
  /** SQL expression (string literals quoted). */
  default?: string;
  isPrimary?: boolean;
  isGenerated?: boolean;
  generationStrategy?: 'increment';
}

export interface PortableIndexOptions {
  name: string;
  columnNames: string[];
  isUnique: boolean;
}

export interface PortableForeignKeyOptions {
  name: string;
  columnNames: string[];
  referencedTableName: string;
  referencedColumnNames: string[];
  onDelete: string;
}

export interface PortableTableOptions {
  name: string;
  columns: PortableColumnOptions[];
  indices: PortableIndexOptions[];
  foreignKeys: PortableForeignKeyOptions[];
}

/** Millisecond precision, so created/updated times order events within a second. */
const DATETIME_PRECISION = 3;

/**
 * SQLite auto-increments only an `INTEGER PRIMARY KEY` (64-bit there); MySQL needs BIGINT. The
 * generated id column takes the type for the dialect it runs on.
 */
export function generatedIdType(driverType: string): 'integer' | 'bigint' {
  return driverType === 'better-sqlite3' || driverType === 'sqlite' ? 'integer' : 'bigint';
}

export function columnOptions(
  column: SnapshotColumn,
  primaryKey: readonly string[] = [],
): PortableColumnOptions {
  const precision = column.type === 'datetime' ? DATETIME_PRECISION : column.precision;
  const primary = column.generated === true || primaryKey.includes(column.name);
  const options: PortableColumnOptions = {
    name: column.name,
    type: column.type,
    ...(column.length !== undefined && { length: String(column.length) }),
    ...(precision !== undefined && { precision }),
    ...(column.scale !== undefined && { scale: column.scale }),
    isNullable: column.nullable,
    ...(column.default !== undefined && { default: sqlLiteral(column.default) }),
    ...(primary && { isPrimary: true }),
  };
  if (column.generated) {
    options.isGenerated = true;
    options.generationStrategy = 'increment';
  }
  return options;
}

export function indexOptions(index: SnapshotIndex): PortableIndexOptions {
  return { name: index.name, columnNames: [...index.columns], isUnique: index.unique };
}

export function foreignKeyOptions(foreignKey: SnapshotForeignKey): PortableForeignKeyOptions {
  return {
    name: foreignKey.name,
    columnNames: [...foreignKey.columns],
    referencedTableName: foreignKey.referencedTable,
    referencedColumnNames: [...foreignKey.referencedColumns],
    onDelete: foreignKey.onDelete,
  };
}

export function tableOptions(table: SnapshotTable): PortableTableOptions {
  return {
    name: table.name,
    columns: table.columns.map((c) => columnOptions(c, table.primaryKey)),
    indices: table.indexes.map(indexOptions),
    foreignKeys: table.foreignKeys.map(foreignKeyOptions),
  };
}

function sqlLiteral(value: string | number | boolean): string {
  if (typeof value === 'boolean') return value ? '1' : '0';
  if (typeof value === 'number') return String(value);
  return `'${value.replace(/'/g, "''")}'`;
}
