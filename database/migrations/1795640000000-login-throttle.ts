import { Table, type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * Hand-written: the login throttle counts attempts per account and client (IP) and per account
 * across clients, in milliseconds since the epoch, replacing the per-username lockout table.
 */
export class LoginThrottle1795640000000 implements MigrationInterface {
  name = 'LoginThrottle1795640000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(loginThrottleTable(), true);
    await queryRunner.dropTable('sec_login_failure', true);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        name: 'sec_login_failure',
        columns: [
          { name: 'tenant_id', type: 'varchar', length: '32', isPrimary: true },
          { name: 'username', type: 'varchar', length: '64', isPrimary: true },
          { name: 'failures', type: 'int', isNullable: false, default: 0 },
          { name: 'last_failure_at', type: 'datetime', isNullable: false },
          { name: 'locked_until', type: 'datetime', isNullable: true },
        ],
      }),
      true,
    );
    await queryRunner.dropTable('sec_login_throttle', true);
  }
}

function loginThrottleTable(): Table {
  return new Table({
    name: 'sec_login_throttle',
    columns: [
      { name: 'tenant_id', type: 'varchar', length: '32', isPrimary: true },
      { name: 'username', type: 'varchar', length: '64', isPrimary: true },
      // The client's IP address, or `*` for the account across all clients.
      { name: 'client', type: 'varchar', length: '64', isPrimary: true },
      { name: 'attempts', type: 'int', isNullable: false, default: 0 },
      { name: 'last_attempt_ms', type: 'bigint', isNullable: false },
      { name: 'next_attempt_ms', type: 'bigint', isNullable: false, default: 0 },
    ],
  });
}
