// Hand-written platform schema, not generated: tables of the platform itself that are not metadata
// entities (identifier sequences and the registry of runtime extensions). Edit only by adding a new
// migration; metadata entities get their tables from `mes migrate generate`.
import { Table, type MigrationInterface, type QueryRunner, type TableColumnOptions } from 'typeorm';

export class PlatformTables1764000000000 implements MigrationInterface {
  name = 'PlatformTables1764000000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    // SQLite auto-increments only an INTEGER PRIMARY KEY (64-bit there); MySQL needs BIGINT.
    const idType = queryRunner.connection.options.type === 'better-sqlite3' ? 'integer' : 'bigint';
    const id: TableColumnOptions = {
      name: 'id',
      type: idType,
      isPrimary: true,
      isGenerated: true,
      generationStrategy: 'increment',
    };
    const tenant: TableColumnOptions = {
      name: 'tenant_id',
      type: 'varchar',
      length: '32',
      isNullable: false,
    };
    const at = (name: string, isNullable = false): TableColumnOptions => ({
      name,
      type: 'datetime',
      precision: 3,
      isNullable,
    });
    const by = (name: string): TableColumnOptions => ({
      name,
      type: 'varchar',
      length: '64',
      isNullable: true,
    });
    const json = (name: string, isNullable = false): TableColumnOptions => ({
      name,
      type: 'json',
      isNullable,
    });
    const text = (name: string, length: number, isNullable = false): TableColumnOptions => ({
      name,
      type: 'varchar',
      length: String(length),
      isNullable,
    });

    // Identifier sequences: one row per sequence scope (e.g. `work_order:A01`), locked while incremented.
    await queryRunner.createTable(
      new Table({
        name: 'sys_sequence',
        columns: [
          { name: 'seq_name', type: 'varchar', length: '191', isPrimary: true, isNullable: false },
          { name: 'current_value', type: 'bigint', isNullable: false },
        ],
      }),
    );
    // Installed plugins and their lifecycle state.
    await queryRunner.createTable(
      new Table({
        name: 'ext_plugin',
        columns: [
          id,
          text('name', 64),
          text('version', 32),
          text('status', 16),
          json('manifest'),
          at('installed_at'),
          by('installed_by'),
          at('updated_at'),
        ],
        indices: [{ name: 'uk_ext_plugin_name', columnNames: ['name'], isUnique: true }],
      }),
    );
    // Extension fields added at runtime; tenant_id `*` = every tenant. Values live in the rows' ext JSON.
    await queryRunner.createTable(
      new Table({
        name: 'ext_field',
        columns: [
          id,
          tenant,
          text('entity', 64),
          text('name', 64),
          json('definition'),
          text('status', 16),
          at('created_at'),
          by('created_by'),
          at('updated_at'),
          by('updated_by'),
          { name: 'version', type: 'int', isNullable: false, default: 1 },
        ],
        indices: [
          {
            name: 'uk_ext_field_tenant_entity_name',
            columnNames: ['tenant_id', 'entity', 'name'],
            isUnique: true,
          },
        ],
      }),
    );
    // Form and list-view overlays analysts publish over the shipped metadata.
    await queryRunner.createTable(
      new Table({
        name: 'ext_form_overlay',
        columns: [
          id,
          tenant,
          text('target', 128),
          text('kind', 16),
          json('overlay'),
          text('status', 16),
          at('created_at'),
          by('created_by'),
          at('updated_at'),
          by('updated_by'),
          { name: 'version', type: 'int', isNullable: false, default: 1 },
        ],
        indices: [
          {
            name: 'uk_ext_form_overlay_target',
            columnNames: ['tenant_id', 'kind', 'target'],
            isUnique: true,
          },
        ],
      }),
    );
    // Every Model version the registry swapped in, with the change set that produced it.
    await queryRunner.createTable(
      new Table({
        name: 'ext_metadata_version',
        columns: [
          id,
          { name: 'version', type: 'int', isNullable: false },
          text('hash', 64),
          json('change_set', true),
          by('created_by'),
          at('created_at'),
        ],
        indices: [{ name: 'uk_ext_metadata_version_version', columnNames: ['version'], isUnique: true }],
      }),
    );
    // Analysts' pending metadata edits, published together as one new Model version.
    await queryRunner.createTable(
      new Table({
        name: 'ext_change_set',
        columns: [
          id,
          tenant,
          text('title', 200),
          text('status', 16),
          json('changes'),
          at('created_at'),
          by('created_by'),
          at('published_at', true),
          by('published_by'),
        ],
        indices: [{ name: 'idx_ext_change_set_tenant_status', columnNames: ['tenant_id', 'status'] }],
      }),
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    for (const table of [
      'ext_change_set',
      'ext_metadata_version',
      'ext_form_overlay',
      'ext_field',
      'ext_plugin',
      'sys_sequence',
    ])
      await queryRunner.dropTable(table);
  }
}
