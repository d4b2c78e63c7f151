import type { DataSource } from 'typeorm';
import { createDataSource, loadDatabaseConfig } from '../../../platform/src/data/connection';
import { applySchemaChanges } from '../../../platform/src/data/migrations/apply-schema';
import { diffSnapshots, inverseChanges } from '../../../metadata/src/model/schema-diff';
import { emptySnapshot, toSnapshot } from '../../../metadata/src/model/snapshot';
import { fixtureModel } from '../../fixtures/migrations/model';
import { testDatabases } from './helpers';

const label = { en: 'x', zh: 'x' };
const base = toSnapshot(fixtureModel());

describe.each(testDatabases('apply'))('applySchemaChanges on $dialect', (database) => {
  let dataSource: DataSource;

  beforeAll(async () => {
    dataSource = await createDataSource(loadDatabaseConfig({ DATABASE_URL: database.url }), {
      createDatabase: true,
    });
  });
  afterAll(async () => {
    await dataSource?.destroy();
    await database.drop();
  });

  const apply = async (changes: Parameters<typeof applySchemaChanges>[1]) => {
    const queryRunner = dataSource.createQueryRunner();
    try {
      await applySchemaChanges(queryRunner, changes);
    } finally {
      await queryRunner.release();
    }
  };
  const insertItem = (code: string) =>
    dataSource.query(
      "INSERT INTO item (tenant_id, code, name, created_at, updated_at) VALUES ('t1', ?, 'Bolt', '2026-01-01 00:00:00', '2026-01-01 00:00:00')",
      [code],
    );

  it('creates the schema of a model with its indexes and foreign keys', async () => {
    await apply(diffSnapshots(emptySnapshot(), base));
    const queryRunner = dataSource.createQueryRunner();
    const workOrder = await queryRunner.getTable('work_order');
    await queryRunner.release();
    expect(workOrder?.indices.map((i) => i.name).sort()).toEqual(
      base.tables.work_order.indexes.map((i) => i.name).sort(),
    );
    expect(workOrder?.foreignKeys.map((f) => f.referencedTableName)).toEqual(['item']);
    await insertItem('B-1');
    const [row] = await dataSource.query('SELECT id, version FROM item');
    expect(Number(row.id)).toBe(1);
    expect(Number(row.version)).toBe(1);
    await expect(insertItem('B-1')).rejects.toThrow(/unique|duplicate/i);
  });

  it('adds a table and a column at runtime', async () => {
    const next = toSnapshot(
      fixtureModel((e) => {
        e.get('item')!.fields.weight = { type: 'decimal', label, precision: 10, scale: 3, default: 0 };
        e.set('plant', {
          entity: 'plant',
          label,
          module: 'production',
          display: 'code',
          fields: {
            code: { type: 'string', label, length: 16, required: true, unique: true },
          },
        });
      }),
    );
    await apply(diffSnapshots(base, next));
    const [item] = await dataSource.query("SELECT code, weight FROM item WHERE code = 'B-1'");
    expect(item).toEqual({ code: 'B-1', weight: 0 });
    await dataSource.query(
      "INSERT INTO plant (tenant_id, code, created_at, updated_at) VALUES ('t1', 'P1', '2026-01-01 00:00:00', '2026-01-01 00:00:00')",
    );
    expect(await dataSource.query('SELECT code FROM plant')).toEqual([{ code: 'P1' }]);
    await apply(inverseChanges(diffSnapshots(base, next)));
    const queryRunner = dataSource.createQueryRunner();
    expect(await queryRunner.hasTable('plant')).toBe(false);
    expect(await queryRunner.hasColumn('item', 'weight')).toBe(false);
    await queryRunner.release();
  });

  it('renames a table and a column declared with renamedFrom and keeps their data', async () => {
    const next = toSnapshot(
      fixtureModel((e) => {
        const item = e.get('item')!;
        const { code, ...rest } = item.fields;
        e.set('material', {
          ...item,
          entity: 'material',
          renamedFrom: 'item',
          fields: { ...rest, material_code: { ...code, renamedFrom: 'code' } },
        });
        e.delete('item');
        e.get('work_order')!.fields.item = { type: 'relation', label, to: 'material', required: true };
      }),
    );
    const changes = diffSnapshots(base, next);
    await apply(changes);
    expect(await dataSource.query('SELECT material_code, name FROM material')).toEqual([
      { material_code: 'B-1', name: 'Bolt' },
    ]);
    await dataSource.query(
      "INSERT INTO work_order (tenant_id, wo_no, item_id, line, quantity, planned_start, created_at, updated_at) VALUES ('t1', 'WO-1', 1, 'A01', 5, '2026-01-02 08:00:00', '2026-01-01 00:00:00', '2026-01-01 00:00:00')",
    );
    await expect(dataSource.query('DELETE FROM material')).rejects.toThrow(/foreign key/i);

    await apply(inverseChanges(changes));
    expect(await dataSource.query('SELECT code, name FROM item')).toEqual([{ code: 'B-1', name: 'Bolt' }]);
    expect(await dataSource.query('SELECT wo_no, status FROM work_order')).toEqual([
      { wo_no: 'WO-1', status: 'DRAFT' },
    ]);
  });
});
