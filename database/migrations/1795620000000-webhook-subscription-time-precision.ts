import { TableColumn, type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * Hand-written: a webhook subscription receives the events that happened from its creation on, which
 * the webhook consumer compares to the millisecond, so its creation time keeps milliseconds.
 */
export class WebhookSubscriptionTimePrecision1795620000000 implements MigrationInterface {
  name = 'WebhookSubscriptionTimePrecision1795620000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.changeColumn(
      'evt_webhook_subscription',
      'created_at',
      new TableColumn({ name: 'created_at', type: 'datetime', precision: 3, isNullable: false }),
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.changeColumn(
      'evt_webhook_subscription',
      'created_at',
      new TableColumn({ name: 'created_at', type: 'datetime', isNullable: false }),
    );
  }
}
