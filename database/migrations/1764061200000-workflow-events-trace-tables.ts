import {
  Table,
  TableIndex,
  type MigrationInterface,
  type QueryRunner,
  type TableColumnOptions,
} from 'typeorm';

/**
 * Hand-written platform tables of the workflow engine (definitions, instances, history, approvals),
 * the transactional outbox and its consumers (processed events, webhook subscriptions and deliveries)
 * and the genealogy edge table the trace queries walk. Written with the portable QueryRunner API so the
 * same migration runs on MySQL/MariaDB and SQLite.
 */
export class WorkflowEventsTraceTables1764061200000 implements MigrationInterface {
  name = 'WorkflowEventsTraceTables1764061200000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const sqlite = queryRunner.connection.options.type === 'better-sqlite3';
    // SQLite autoincrements only an INTEGER PRIMARY KEY (which is 64-bit there).
    const tables = platformTables(sqlite ? 'text' : 'mediumtext', sqlite ? 'integer' : 'bigint');
    for (const table of tables) await queryRunner.createTable(table, true);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const table of platformTables('text', 'bigint').reverse())
      await queryRunner.dropTable(table.name, true);
  }
}

const idColumn = (type: string): TableColumnOptions => ({
  name: 'id',
  type,
  isPrimary: true,
  isGenerated: true,
  generationStrategy: 'increment',
});
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
const integer = (name: string, isNullable = false): TableColumnOptions => ({ name, type: 'int', isNullable });
const bigint = (name: string, isNullable = false): TableColumnOptions => ({
  name,
  type: 'bigint',
  isNullable,
});
const text = (name: string, type: string, isNullable = false): TableColumnOptions => ({
  name,
  type,
  isNullable,
});
const tenant = varchar('tenant_id', 32);
const recordRef = [
  varchar('entity', 100),
  bigint('record_id'),
  varchar('workflow', 100),
  integer('workflow_version'),
];

function index(table: string, suffix: string, columnNames: string[], isUnique = false): TableIndex {
  return new TableIndex({ name: `${isUnique ? 'uk' : 'idx'}_${table}_${suffix}`, columnNames, isUnique });
}

function platformTables(longText: string, idType: string): Table[] {
  const id = idColumn(idType);
  return [
    new Table({
      name: 'wf_definition',
      columns: [
        id,
        varchar('workflow', 100),
        integer('version'),
        varchar('entity', 100),
        text('definition', longText),
        datetime('registered_at'),
      ],
      indices: [index('wf_definition', 'version', ['workflow', 'version'], true)],
    }),
    new Table({
      name: 'wf_instance',
      columns: [
        id,
        tenant,
        ...recordRef,
        varchar('state', 64),
        datetime('started_at'),
        datetime('updated_at'),
      ],
      indices: [index('wf_instance', 'record', ['tenant_id', 'entity', 'record_id', 'workflow'], true)],
    }),
    new Table({
      name: 'wf_history',
      columns: [
        id,
        tenant,
        ...recordRef,
        varchar('action', 64),
        varchar('from_state', 64),
        varchar('to_state', 64),
        varchar('actor', 64),
        varchar('reason', 1000, true),
        { name: 'signed', type: 'boolean', default: false },
        bigint('approval_id', true),
        varchar('trace_id', 64, true),
        datetime('occurred_at'),
      ],
      indices: [index('wf_history', 'record', ['tenant_id', 'entity', 'record_id', 'id'])],
    }),
    new Table({
      name: 'wf_approval',
      columns: [
        id,
        tenant,
        ...recordRef,
        varchar('action', 64),
        varchar('requester', 64),
        varchar('reason', 1000, true),
        text('fields', longText),
        integer('required'),
        varchar('status', 16),
        datetime('requested_at'),
        datetime('decided_at', true),
      ],
      indices: [index('wf_approval', 'record', ['tenant_id', 'entity', 'record_id', 'status'])],
    }),
    new Table({
      name: 'wf_approval_vote',
      columns: [
        id,
        bigint('approval_id'),
        varchar('approver', 64),
        varchar('decision', 16),
        varchar('comment', 1000, true),
        datetime('voted_at'),
      ],
      indices: [index('wf_approval_vote', 'approver', ['approval_id', 'approver'], true)],
    }),
    new Table({
      name: 'evt_outbox',
      columns: [
        id,
        varchar('event_id', 40),
        tenant,
        varchar('event_type', 100),
        varchar('entity', 100, true),
        varchar('entity_id', 64, true),
        text('envelope', longText),
        datetime('created_at'),
        datetime('published_at', true),
        { name: 'attempts', type: 'int', default: 0 },
        datetime('next_attempt_at', true),
        varchar('last_error', 1000, true),
        datetime('dead_at', true),
      ],
      indices: [
        index('evt_outbox', 'event', ['event_id'], true),
        index('evt_outbox', 'pending', ['published_at', 'dead_at', 'id']),
      ],
    }),
    new Table({
      name: 'evt_processed',
      columns: [
        { ...varchar('consumer', 100), isPrimary: true },
        { ...varchar('event_id', 40), isPrimary: true },
        datetime('processed_at'),
      ],
    }),
    new Table({
      name: 'evt_webhook_subscription',
      columns: [
        id,
        tenant,
        varchar('event_type', 100),
        varchar('url', 1000),
        varchar('secret', 200),
        { name: 'active', type: 'boolean', default: true },
        datetime('created_at'),
        varchar('created_by', 64, true),
      ],
      indices: [index('evt_webhook_subscription', 'type', ['tenant_id', 'event_type'])],
    }),
    new Table({
      name: 'evt_webhook_delivery',
      columns: [
        id,
        bigint('subscription_id'),
        varchar('event_id', 40),
        varchar('status', 16),
        { name: 'attempts', type: 'int', default: 0 },
        integer('response_status', true),
        varchar('last_error', 1000, true),
        datetime('created_at'),
        datetime('delivered_at', true),
      ],
      indices: [index('evt_webhook_delivery', 'event', ['subscription_id', 'event_id'], true)],
    }),
    new Table({
      name: 'trace_genealogy',
      columns: [
        id,
        tenant,
        varchar('from_key', 100),
        varchar('to_key', 100),
        varchar('relation', 32),
        { name: 'quantity', type: 'decimal', precision: 18, scale: 4, isNullable: true },
        varchar('ref_type', 32, true),
        varchar('ref_id', 64, true),
        datetime('occurred_at'),
      ],
      indices: [
        index('trace_genealogy', 'to', ['tenant_id', 'to_key', 'from_key']),
        index('trace_genealogy', 'from', ['tenant_id', 'from_key', 'to_key']),
      ],
    }),
  ];
}
