import { Table, type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * Hand-written: uploaded plugin packages are kept in the database, so every instance of a cluster
 * unpacks the same package from it and no folder has to be shared between them.
 */
export class PluginPackages1796600000000 implements MigrationInterface {
  name = 'PluginPackages1796600000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    const mysql = queryRunner.connection.options.type !== 'better-sqlite3';
    await queryRunner.createTable(
      new Table({
        name: 'ext_plugin_package',
        columns: [
          { name: 'sha256', type: 'varchar', length: '64', isPrimary: true },
          { name: 'plugin', type: 'varchar', length: '64', isNullable: false },
          { name: 'version', type: 'varchar', length: '64', isNullable: false },
          { name: 'archive', type: mysql ? 'longblob' : 'blob', isNullable: false },
          { name: 'stored_at', type: 'datetime', isNullable: false },
        ],
      }),
      true,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('ext_plugin_package', true);
  }
}
