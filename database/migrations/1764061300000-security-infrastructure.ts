import {
  Table,
  TableIndex,
  type MigrationInterface,
  type QueryRunner,
  type TableColumnOptions,
} from 'typeorm';

/**
 * Platform tables of security that are not metadata entities: refresh tokens (stored as SHA-256
 * hashes, grouped in rotation families), login failure counters for lockout, and the per-tenant head
 * of the audit hash chain (the row writers lock, and what `mes audit verify` compares the chain's end
 * with, so deleting the newest records is detected). Portable QueryRunner API: MySQL and SQLite.
 */
export class SecurityInfrastructure1764061300000 implements MigrationInterface {
  name = 'SecurityInfrastructure1764061300000';

  async up(queryRunner: QueryRunner): Promise<void> {
    for (const table of securityTables()) await queryRunner.createTable(table, true);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const table of securityTables().reverse()) await queryRunner.dropTable(table.name, true);
  }
}

const varchar = (name: string, length: number, isNullable = false): TableColumnOptions => ({
  name,
  type: 'varchar',
  length: String(length),
  isNullable,
});
const datetime = (name: string, isNullable = false): TableColumnOptions => ({
  name,
  type: 'datetime',
  isNullable,
});
const integer = (name: string): TableColumnOptions => ({ name, type: 'int', isNullable: false, default: 0 });

function securityTables(): Table[] {
  return [
    new Table({
      name: 'sec_refresh_token',
      columns: [
        { ...varchar('id', 36), isPrimary: true },
        varchar('tenant_id', 32),
        varchar('user_id', 64),
        varchar('family_id', 36),
        varchar('token_hash', 64),
        datetime('issued_at'),
        datetime('expires_at'),
        datetime('used_at', true),
        datetime('revoked_at', true),
        varchar('revoke_reason', 32, true),
        varchar('ip', 64, true),
        varchar('user_agent', 512, true),
      ],
      indices: [
        new TableIndex({ name: 'uk_sec_refresh_token_hash', columnNames: ['token_hash'], isUnique: true }),
        new TableIndex({ name: 'idx_sec_refresh_token_family', columnNames: ['family_id'] }),
        new TableIndex({ name: 'idx_sec_refresh_token_user', columnNames: ['tenant_id', 'user_id'] }),
      ],
    }),
    new Table({
      name: 'sec_login_failure',
      columns: [
        { ...varchar('tenant_id', 32), isPrimary: true },
        { ...varchar('username', 64), isPrimary: true },
        integer('failures'),
        datetime('last_failure_at'),
        datetime('locked_until', true),
      ],
    }),
    new Table({
      name: 'audit_chain_head',
      columns: [
        { ...varchar('tenant_id', 32), isPrimary: true },
        { name: 'last_seq', type: 'bigint', isNullable: false, default: 0 },
        varchar('last_hash', 64, true),
        datetime('updated_at'),
      ],
    }),
  ];
}
