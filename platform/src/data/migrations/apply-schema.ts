import { Table, TableColumn, TableForeignKey, TableIndex, type QueryRunner } from 'typeorm';
import type { SchemaChange } from '../../../../metadata/src/model/schema-diff';
import {
  columnOptions,
  foreignKeyOptions,
  generatedIdType,
  indexOptions,
  tableOptions,
  type PortableColumnOptions,
} from '../../../../metadata/src/model/table-options';
import { placedRunner, placementOf } from '../table-placement';

/**
 * Executes schema changes through TypeORM's portable QueryRunner API, in order, in one transaction
 * unless the caller holds one (DDL commits implicitly on MySQL; on SQLite it is transactional).
 * Used for entities and fields added at runtime; generated migrations make the same calls.
 *
 * On SQLite, TypeORM rebuilds a table (copying its rows) for changes ALTER TABLE cannot make there;
 * like TypeORM's migration runner, foreign key enforcement is paused around the changes so a
 * rebuilt table may be referenced by existing rows.
 */
export async function applySchemaChanges(
  unplacedRunner: QueryRunner,
  changes: readonly SchemaChange[],
): Promise<void> {
  // New tables of a logical database configured apart (DATABASE_SCHEMA_*) go to its schema.
  placementOf(unplacedRunner.connection).learn(
    changes.flatMap((change) => (change.kind === 'createTable' ? [change.table] : [])),
  );
  const queryRunner = placedRunner(unplacedRunner);
  const ownTransaction = !queryRunner.isTransactionActive;
  await queryRunner.beforeMigration();
  try {
    if (ownTransaction) await queryRunner.startTransaction();
    try {
      for (const change of changes) await applySchemaChange(queryRunner, change);
      if (ownTransaction) await queryRunner.commitTransaction();
    } catch (error) {
      if (ownTransaction) await queryRunner.rollbackTransaction();
      throw error;
    }
  } finally {
    await queryRunner.afterMigration();
  }
}

async function applySchemaChange(queryRunner: QueryRunner, change: SchemaChange): Promise<void> {
  const idType = generatedIdType(queryRunner.connection.options.type);
  const column = (options: PortableColumnOptions) =>
    new TableColumn(options.isGenerated ? { ...options, type: idType } : options);
  switch (change.kind) {
    case 'createTable': {
      const options = tableOptions(change.table);
      await queryRunner.createTable(
        new Table({ ...options, columns: options.columns.map((c) => column(c)) }),
        false,
        true,
        true,
      );
      break;
    }
    case 'dropTable':
      await queryRunner.dropTable(change.table.name, false, true, true);
      break;
    case 'renameTable':
      await queryRunner.renameTable(change.from, change.to);
      placementOf(queryRunner.connection).renamed(change.from, change.to);
      break;
    case 'addColumn':
      await queryRunner.addColumn(change.table, column(columnOptions(change.column)));
      break;
    case 'dropColumn':
      await queryRunner.dropColumn(change.table, change.column.name);
      break;
    case 'renameColumn':
      await queryRunner.renameColumn(change.table, change.from, change.to);
      break;
    case 'alterColumn':
      await queryRunner.changeColumn(change.table, change.from.name, column(columnOptions(change.to)));
      break;
    case 'createIndex':
      await queryRunner.createIndex(change.table, new TableIndex(indexOptions(change.index)));
      break;
    case 'dropIndex':
      await queryRunner.dropIndex(change.table, change.index.name);
      break;
    case 'createForeignKey':
      await queryRunner.createForeignKey(
        change.table,
        new TableForeignKey(foreignKeyOptions(change.foreignKey)),
      );
      break;
    case 'dropForeignKey':
      await queryRunner.dropForeignKey(change.table, change.foreignKey.name);
      break;
  }
}
