/** Promotion of extension fields to indexed generated columns, and the statements that move ext values. */
import type { CompiledEntity, CompiledField } from '../../../metadata/src/model';
import { boundedIdentifier } from '../../../metadata/src/model/naming';
import type { DataSource } from 'typeorm';
import type { SqlExecutor } from '../data/database';
import type { Dialect } from '../data/dialect';
import { EXT_COLUMN_TYPES } from '../data/field-paths';
import { jsonKind } from '../data/query-compiler';

/** Longest string value an index on (tenant_id, value) holds within InnoDB's 3072-byte key limit. */
export const PROMOTABLE_STRING_LENGTH = 512;

/** Generated column and index names of a promoted extension field. */
export interface PromotedNames {
  column: string;
  index: string;
}

export function promotedNames(entity: CompiledEntity, fieldName: string): PromotedNames {
  const column = boundedIdentifier(`x_${fieldName}`);
  return { column, index: boundedIdentifier(`idx_${entity.table}_${column}`) };
}

/** Why a field cannot be promoted, or null when it can. */
export function promotionRefusal(field: CompiledField): string | null {
  if (field.type === 'text') return 'long text fields cannot be indexed';
  if (field.type === 'string' && (field.length ?? 0) > PROMOTABLE_STRING_LENGTH)
    return `strings longer than ${PROMOTABLE_STRING_LENGTH} characters cannot be indexed`;
  if (!['string', 'enum', 'integer', 'decimal', 'boolean', 'date', 'datetime'].includes(field.type))
    return `${field.type} fields cannot be promoted`;
  return null;
}

/**
 * DDL adding the generated column and its index. The column computes exactly the expression the
 * query compiler uses for the JSON value (dialect.jsonValue), so filters and sorts on the column
 * answer as before, only from an index.
 */
export function promoteSql(dialect: Dialect, entity: CompiledEntity, field: CompiledField): string[] {
  const names = promotedNames(entity, field.name);
  const kind = jsonKind({ columnType: EXT_COLUMN_TYPES[field.type] });
  const expression = dialect.jsonValue(dialect.quote('ext'), field.name, kind);
  const table = dialect.quote(entity.table);
  const column = dialect.quote(names.column);
  const type = dialect.name === 'mysql' ? mysqlColumnType(field, kind) : sqliteColumnType(kind);
  return [
    `ALTER TABLE ${table} ADD COLUMN ${column} ${type} GENERATED ALWAYS AS (${expression}) VIRTUAL`,
    `CREATE INDEX ${dialect.quote(names.index)} ON ${table} (${dialect.quote('tenant_id')}, ${column})`,
  ];
}

/** DDL removing the index and the generated column (the values stay in `ext`). */
export function demoteSql(dialect: Dialect, entity: CompiledEntity, column: string): string[] {
  const table = dialect.quote(entity.table);
  const index = dialect.quote(boundedIdentifier(`idx_${entity.table}_${column}`));
  return [
    dialect.name === 'mysql' ? `DROP INDEX ${index} ON ${table}` : `DROP INDEX ${index}`,
    `ALTER TABLE ${table} DROP COLUMN ${dialect.quote(column)}`,
  ];
}

function mysqlColumnType(field: CompiledField, kind: string): string {
  if (kind === 'number') return 'DECIMAL(38,10)';
  if (kind === 'boolean') return 'TINYINT';
  if (field.type === 'enum')
    return `VARCHAR(${Math.max(1, ...(field.enumValues ?? []).map((v) => v.length))})`;
  if (field.type === 'string') return `VARCHAR(${field.length ?? PROMOTABLE_STRING_LENGTH})`;
  // ISO date and date-time strings.
  return 'VARCHAR(64)';
}

/** SQLite: TEXT for text values; no declared type (no affinity) keeps numbers as json_extract gives them. */
function sqliteColumnType(kind: string): string {
  return kind === 'text' ? 'TEXT' : '';
}

/** Runs DDL statements one after the other, outside any transaction. */
export async function runDdl(dataSource: DataSource, statements: readonly string[]): Promise<void> {
  for (const statement of statements) await dataSource.query(statement);
}

/** DDL dropping a column of the entity's table. */
export function dropColumnSql(dialect: Dialect, entity: CompiledEntity, column: string): string {
  return `ALTER TABLE ${dialect.quote(entity.table)} DROP COLUMN ${dialect.quote(column)}`;
}

/** Moves the tenant's values of an extension field to a new name inside each row's ext. */
export async function moveExtValues(
  tx: SqlExecutor,
  table: string,
  tenantId: string,
  from: string,
  to: string,
): Promise<void> {
  const value = tx.dialect.name === 'sqlite' ? `json(ext -> '$.${from}')` : `JSON_EXTRACT(ext, '$.${from}')`;
  await tx.execute(
    `UPDATE ${table} SET ext = JSON_REMOVE(JSON_SET(ext, '$.${to}', ${value}), '$.${from}') ` +
      `WHERE tenant_id = ? AND JSON_EXTRACT(ext, '$.${from}') IS NOT NULL`,
    [tenantId],
  );
}
