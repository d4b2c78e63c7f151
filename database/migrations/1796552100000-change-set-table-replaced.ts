import { Table, TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * Metadata change sets became an entity of the Model (`change_set`, stored in `ext_change_set`, with
 * the system columns, identifier and workflow every record has). The platform table of that name was
 * never written: it is dropped here so the next migration creates the entity's table.
 */
export class ChangeSetTableReplaced1796552100000 implements MigrationInterface {
  name = 'ChangeSetTableReplaced1796552100000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('ext_change_set');
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        name: 'ext_change_set',
        columns: [
          {
            name: 'id',
            // SQLite auto-increments only an INTEGER PRIMARY KEY; MySQL needs BIGINT.
            type: queryRunner.connection.options.type === 'better-sqlite3' ? 'integer' : 'bigint',
            isPrimary: true,
            isGenerated: true,
            generationStrategy: 'increment',
          },
          { name: 'tenant_id', type: 'varchar', length: '32', isNullable: false },
          { name: 'title', type: 'varchar', length: '200', isNullable: false },
          { name: 'status', type: 'varchar', length: '16', isNullable: false },
          { name: 'changes', type: 'json', isNullable: false },
          { name: 'created_at', type: 'datetime', precision: 3, isNullable: false },
          { name: 'created_by', type: 'varchar', length: '64', isNullable: true },
          { name: 'published_at', type: 'datetime', precision: 3, isNullable: true },
          { name: 'published_by', type: 'varchar', length: '64', isNullable: true },
        ],
      }),
    );
    await queryRunner.createIndex(
      'ext_change_set',
      new TableIndex({ name: 'idx_ext_change_set_tenant_status', columnNames: ['tenant_id', 'status'] }),
    );
  }
}
