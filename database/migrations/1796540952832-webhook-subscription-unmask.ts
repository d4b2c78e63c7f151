import { TableColumn, type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * Hand-written: a webhook subscription delivers sensitive values masked unless an administrator
 * granted it unmask.
 */
export class WebhookSubscriptionUnmask1796540952832 implements MigrationInterface {
  name = 'WebhookSubscriptionUnmask1796540952832';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.addColumn(
      'evt_webhook_subscription',
      new TableColumn({ name: 'unmask', type: 'boolean', default: false, isNullable: false }),
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropColumn('evt_webhook_subscription', 'unmask');
  }
}
