import { TableColumn, type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * `ext_field.promoted_column`: the indexed generated column an extension field was promoted to
 * (`POST /api/admin/extensions/<entity>/fields/<name>/promote`), null while it lives only in `ext`.
 */
export class ExtFieldPromotedColumn1795612325306 implements MigrationInterface {
  name = 'ExtFieldPromotedColumn1795612325306';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.addColumn(
      'ext_field',
      new TableColumn({ name: 'promoted_column', type: 'varchar', length: '64', isNullable: true }),
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropColumn('ext_field', 'promoted_column');
  }
}
