import { Table, TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * Hand-written: when a change to users, roles, permissions or the organisation alters what an access
 * token carries, the change takes the tenant's next principal version (`sec_principal_version`) and
 * records it per subject (`user:<id>`, `role:<code>`, `tenant`) in `sec_principal_invalidation`. An
 * access token carries the version it was issued at; an older one is refused.
 */
export class PrincipalInvalidation1796700000000 implements MigrationInterface {
  name = 'PrincipalInvalidation1796700000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        name: 'sec_principal_version',
        columns: [
          { name: 'tenant_id', type: 'varchar', length: '32', isPrimary: true },
          { name: 'version', type: 'bigint', isNullable: false },
        ],
      }),
      true,
    );
    await queryRunner.createTable(
      new Table({
        name: 'sec_principal_invalidation',
        columns: [
          { name: 'tenant_id', type: 'varchar', length: '32', isPrimary: true },
          { name: 'subject', type: 'varchar', length: '100', isPrimary: true },
          { name: 'version', type: 'bigint', isNullable: false },
          { name: 'changed_at_ms', type: 'bigint', isNullable: false },
        ],
        indices: [
          new TableIndex({ name: 'idx_sec_principal_invalidation_changed', columnNames: ['changed_at_ms'] }),
        ],
      }),
      true,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('sec_principal_invalidation', true);
    await queryRunner.dropTable('sec_principal_version', true);
  }
}
