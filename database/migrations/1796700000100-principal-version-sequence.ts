import { Table, type MigrationInterface, type QueryRunner } from 'typeorm';

/** The sequence of a tenant's principal versions; tenant ids never hold `#`. */
const scopeOf = (tenantId: string): string => `#principal:${tenantId}`;

/**
 * Hand-written: a tenant's principal version is a sequence in `sys_sequence` (scope
 * `#principal:<tenant>`), taken like identifier sequences, instead of a row of its own table
 * `sec_principal_version`. The versions handed out so far carry over, so tokens issued before the
 * upgrade compare as they did.
 */
export class PrincipalVersionSequence1796700000100 implements MigrationInterface {
  name = 'PrincipalVersionSequence1796700000100';

  async up(queryRunner: QueryRunner): Promise<void> {
    const rows = (await queryRunner.query('SELECT tenant_id, version FROM sec_principal_version')) as {
      tenant_id: string;
      version: number | string;
    }[];
    for (const row of rows)
      await queryRunner.query('INSERT INTO sys_sequence (seq_name, current_value) VALUES (?, ?)', [
        scopeOf(row.tenant_id),
        Number(row.version),
      ]);
    await queryRunner.dropTable('sec_principal_version', true);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
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
    const rows = (await queryRunner.query(
      "SELECT seq_name, current_value FROM sys_sequence WHERE seq_name LIKE '#principal:%'",
    )) as { seq_name: string; current_value: number | string }[];
    for (const row of rows)
      await queryRunner.query('INSERT INTO sec_principal_version (tenant_id, version) VALUES (?, ?)', [
        row.seq_name.slice(scopeOf('').length),
        Number(row.current_value),
      ]);
    await queryRunner.query("DELETE FROM sys_sequence WHERE seq_name LIKE '#principal:%'");
  }
}
