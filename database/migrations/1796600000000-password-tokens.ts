import { Table, TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * Hand-written: one-time tokens that let a user set their own password, issued by an administrator
 * as an invitation (new account) or a reset link. Only a SHA-256 of each token is stored.
 */
export class PasswordTokens1796600000000 implements MigrationInterface {
  name = 'PasswordTokens1796600000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        name: 'sec_password_token',
        columns: [
          { name: 'id', type: 'varchar', length: '36', isPrimary: true },
          { name: 'tenant_id', type: 'varchar', length: '32', isNullable: false },
          { name: 'user_id', type: 'varchar', length: '64', isNullable: false },
          { name: 'purpose', type: 'varchar', length: '16', isNullable: false },
          { name: 'token_hash', type: 'varchar', length: '64', isNullable: false },
          { name: 'issued_by', type: 'varchar', length: '64', isNullable: false },
          { name: 'issued_at', type: 'datetime', isNullable: false },
          { name: 'expires_at', type: 'datetime', isNullable: false },
          { name: 'used_at', type: 'datetime', isNullable: true },
        ],
        indices: [
          new TableIndex({ name: 'uk_sec_password_token_hash', columnNames: ['token_hash'], isUnique: true }),
          new TableIndex({ name: 'idx_sec_password_token_user', columnNames: ['tenant_id', 'user_id'] }),
        ],
      }),
      true,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('sec_password_token', true);
  }
}
