import type { DataSource } from 'typeorm';
import { inverseChanges, type SchemaChange } from '../../../metadata/src/model/schema-diff';
import { applySchemaChanges } from '../data/migrations';

/** A schema change failed; the changes before it were undone, so the database is as it was. */
export class SchemaStepError extends Error {
  constructor(
    readonly change: SchemaChange,
    override readonly cause: unknown,
  ) {
    super(`${describeChange(change)} failed: ${cause instanceof Error ? cause.message : String(cause)}`);
    this.name = 'SchemaStepError';
  }
}

/**
 * Applies changes one by one and, when one fails, runs the inverse of those already applied. MySQL
 * commits every DDL statement on its own, so a single transaction could not undo a half-applied
 * plugin schema there; stepping keeps "failed install leaves the database unchanged" on both.
 */
export async function applyReversibly(
  dataSource: DataSource,
  changes: readonly SchemaChange[],
): Promise<void> {
  const queryRunner = dataSource.createQueryRunner();
  const applied: SchemaChange[] = [];
  try {
    for (const change of changes) {
      try {
        await applySchemaChanges(queryRunner, [change]);
      } catch (error) {
        await applySchemaChanges(queryRunner, inverseChanges(applied));
        throw new SchemaStepError(change, error);
      }
      applied.push(change);
    }
  } finally {
    await queryRunner.release();
  }
}

export function describeChange(change: SchemaChange): string {
  switch (change.kind) {
    case 'createTable':
    case 'dropTable':
      return `${change.kind} ${change.table.name}`;
    case 'renameTable':
      return `renameTable ${change.from} → ${change.to}`;
    case 'addColumn':
    case 'dropColumn':
    case 'alterColumn':
      return `${change.kind} ${change.table}.${change.kind === 'alterColumn' ? change.to.name : change.column.name}`;
    case 'renameColumn':
      return `renameColumn ${change.table}.${change.from} → ${change.to}`;
    case 'createIndex':
    case 'dropIndex':
      return `${change.kind} ${change.table}.${change.index.name}`;
    case 'createForeignKey':
    case 'dropForeignKey':
      return `${change.kind} ${change.table}.${change.foreignKey.name}`;
  }
}
