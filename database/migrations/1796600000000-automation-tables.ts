import {
  Table,
  TableIndex,
  type MigrationInterface,
  type QueryRunner,
  type TableColumnOptions,
} from 'typeorm';

/**
 * Hand-written: the automation engine's tables. `auto_job` is the durable queue and run log of
 * asynchronous rules, timers and scheduled checks (times in milliseconds since the epoch, so timers
 * keep sub-second precision on every database); `auto_notification` the in-app notifications;
 * `auto_delivery` the delivery log of every channel; `auto_preference` each user's channels.
 */
export class AutomationTables1796600000000 implements MigrationInterface {
  name = 'AutomationTables1796600000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const sqlite = queryRunner.connection.options.type === 'better-sqlite3';
    for (const table of automationTables(sqlite ? 'integer' : 'bigint', sqlite ? 'text' : 'mediumtext'))
      await queryRunner.createTable(table, true);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const table of automationTables('bigint', 'text').reverse())
      await queryRunner.dropTable(table.name, true);
  }
}

const varchar = (name: string, length: number, isNullable = false): TableColumnOptions => ({
  name,
  type: 'varchar',
  length: String(length),
  isNullable,
});
const bigint = (name: string, isNullable = false): TableColumnOptions => ({
  name,
  type: 'bigint',
  isNullable,
});
const integer = (name: string, isNullable = false, value?: number): TableColumnOptions => ({
  name,
  type: 'int',
  isNullable,
  ...(value === undefined ? {} : { default: value }),
});

function automationTables(idType: string, textType: string): Table[] {
  const id: TableColumnOptions = {
    name: 'id',
    type: idType,
    isPrimary: true,
    isGenerated: true,
    generationStrategy: 'increment',
  };
  const text = (name: string, isNullable = true): TableColumnOptions => ({
    name,
    type: textType,
    isNullable,
  });
  return [
    new Table({
      name: 'auto_job',
      columns: [
        id,
        varchar('tenant_id', 32),
        // rule | timer | schedule
        varchar('kind', 16),
        varchar('rule', 64),
        varchar('entity', 64),
        bigint('record_id', true),
        // What started the run: `created`, `transition:release`, `work_order.released`, a cron time.
        varchar('trigger_event', 128),
        text('payload', false),
        bigint('due_ms'),
        // PENDING | RUNNING | DONE | SKIPPED | DEAD | CANCELLED
        varchar('status', 16),
        integer('attempts', false, 0),
        integer('max_attempts', false, 3),
        // Actions already applied, each committed with this counter (a retry resumes after them).
        integer('step', false, 0),
        varchar('lease_token', 36, true),
        bigint('lease_ms', true),
        text('last_error'),
        text('result'),
        integer('duration_ms', true),
        varchar('dedup_key', 191, true),
        bigint('created_ms'),
        bigint('finished_ms', true),
      ],
      indices: [
        new TableIndex({ name: 'idx_auto_job_due', columnNames: ['status', 'due_ms'] }),
        new TableIndex({
          name: 'idx_auto_job_record',
          columnNames: ['tenant_id', 'entity', 'record_id', 'rule'],
        }),
        new TableIndex({ name: 'uk_auto_job_dedup', columnNames: ['dedup_key'], isUnique: true }),
      ],
    }),
    new Table({
      name: 'auto_notification',
      columns: [
        id,
        varchar('tenant_id', 32),
        varchar('user_id', 64),
        varchar('rule', 64, true),
        varchar('severity', 16),
        varchar('title', 255),
        text('body'),
        varchar('entity', 64, true),
        bigint('record_id', true),
        bigint('created_ms'),
        bigint('read_ms', true),
      ],
      indices: [
        new TableIndex({
          name: 'idx_auto_notification_user',
          columnNames: ['tenant_id', 'user_id', 'read_ms'],
        }),
      ],
    }),
    new Table({
      name: 'auto_delivery',
      columns: [
        id,
        varchar('tenant_id', 32),
        bigint('notification_id', true),
        varchar('rule', 64, true),
        // in_app | email | webhook
        varchar('channel', 16),
        varchar('recipient', 255),
        // SENT | FAILED
        varchar('status', 16),
        text('error'),
        bigint('created_ms'),
      ],
      indices: [new TableIndex({ name: 'idx_auto_delivery_time', columnNames: ['tenant_id', 'created_ms'] })],
    }),
    new Table({
      name: 'auto_preference',
      columns: [
        { ...varchar('tenant_id', 32), isPrimary: true },
        { ...varchar('user_id', 64), isPrimary: true },
        { ...varchar('channel', 16), isPrimary: true },
        integer('enabled', false, 1),
      ],
    }),
  ];
}
