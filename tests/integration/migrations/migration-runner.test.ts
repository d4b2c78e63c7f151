import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { DataSource, MigrationInterface } from 'typeorm';
import { createDataSource, loadDatabaseConfig } from '../../../platform/src/data/connection';
import {
  migrationStatus,
  revertLastMigration,
  runMigrations,
} from '../../../platform/src/data/migrations/migration-runner';
import { PlatformTables1764000000000 } from '../../../database/migrations/1764000000000-platform-tables';
import {
  generateMigration,
  pendingSchemaChanges,
  SNAPSHOT_FILE,
} from '../../../generators/src/migrations/generate-migration';
import { DestructiveChangeError } from '../../../metadata/src/model/schema-diff';
import { fixtureModel } from '../../fixtures/migrations/model';
import { testDatabases } from './helpers';

type MigrationClass = new () => MigrationInterface;

const label = { en: 'x', zh: 'x' };
// Inside the repository (tmp/ is ignored) so the generated files resolve typeorm from node_modules.
const scratch = join(__dirname, '..', '..', '..', 'tmp');
mkdirSync(scratch, { recursive: true });
const root = mkdtempSync(join(scratch, 'mes-generate-'));
const generated: MigrationClass[] = [];

/** Generates a migration into the temporary project and loads its class. */
async function generate(name: string, timestamp: number, model = fixtureModel(), allowDestructive = false) {
  const result = await generateMigration({ root, name, model, timestamp, allowDestructive });
  if (!result.migrationFile) return result;
  const module = require(join(root, result.migrationFile)) as Record<string, MigrationClass>;
  generated.push(...Object.values(module));
  return result;
}

/** The fixture with work_order.line renamed to line_code (declared) and a new priority column. */
const renamedModel = () =>
  fixtureModel((e) => {
    const workOrder = e.get('work_order')!;
    const { line, ...rest } = workOrder.fields;
    workOrder.fields = {
      ...rest,
      line_code: { ...line, renamedFrom: 'line' },
      priority: { type: 'integer', label, default: 5 },
    };
    workOrder.list!.filters = ['status', 'line_code'];
  });

beforeAll(async () => {
  await generate('initial', 1700000000000);
  await generate('rename-line', 1700000001000, renamedModel());
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('generateMigration', () => {
  it('writes a migration and the snapshot, then nothing while the model is unchanged', async () => {
    expect(generated.map((m) => m.name)).toEqual(['Initial1700000000000', 'RenameLine1700000001000']);
    expect(
      JSON.parse(readFileSync(join(root, SNAPSHOT_FILE), 'utf8')).tables.work_order.columns,
    ).toContainEqual(expect.objectContaining({ name: 'line_code', renamedFrom: 'line' }));
    const again = await generateMigration({
      root,
      name: 'nothing',
      model: renamedModel(),
      timestamp: 1700000002000,
    });
    expect(again).toEqual({ changes: [], snapshotFile: SNAPSHOT_FILE });
  });

  it('reports the schema changes still missing a migration, for `mes migrate check`', () => {
    expect(pendingSchemaChanges(root, renamedModel())).toEqual([]);
    const dropped = fixtureModel((e) => {
      delete e.get('work_order')!.fields.remark;
    });
    expect(pendingSchemaChanges(root, dropped).map((c) => c.kind)).toContain('dropColumn');
  });

  it('refuses to drop a column without allowDestructive and writes nothing', async () => {
    const before = readFileSync(join(root, SNAPSHOT_FILE), 'utf8');
    const dropped = fixtureModel((e) => {
      delete e.get('work_order')!.fields.remark;
    });
    await expect(
      generateMigration({ root, name: 'drop-remark', model: dropped, timestamp: 1700000003000 }),
    ).rejects.toThrow(DestructiveChangeError);
    expect(readFileSync(join(root, SNAPSHOT_FILE), 'utf8')).toBe(before);
  });
});

describe.each(testDatabases('migrate'))('migrations on $dialect', (database) => {
  let dataSource: DataSource;

  beforeAll(async () => {
    dataSource = await createDataSource(loadDatabaseConfig({ DATABASE_URL: database.url }), {
      createDatabase: true,
      migrations: [PlatformTables1764000000000, ...generated],
    });
  });
  afterAll(async () => {
    await dataSource?.destroy();
    await database.drop();
  });

  const insertWorkOrder = async (woNo: string, lineColumn: 'line' | 'line_code') => {
    await dataSource.query(
      "INSERT INTO item (tenant_id, code, name, created_at, updated_at) VALUES ('t1', ?, 'Bolt', '2026-01-01 00:00:00', '2026-01-01 00:00:00')",
      [`I-${woNo}`],
    );
    const [item] = await dataSource.query('SELECT id FROM item WHERE code = ?', [`I-${woNo}`]);
    await dataSource.query(
      `INSERT INTO work_order (tenant_id, wo_no, item_id, ${lineColumn}, quantity, planned_start, created_at, updated_at) VALUES ('t1', ?, ?, 'A01', 5, '2026-01-02 08:00:00', '2026-01-01 00:00:00', '2026-01-01 00:00:00')`,
      [woNo, item.id],
    );
  };

  it('runs every pending migration and reports them applied', async () => {
    expect((await migrationStatus(dataSource)).map((m) => m.applied)).toEqual([false, false, false]);
    expect(await runMigrations(dataSource)).toEqual([
      'Initial1700000000000',
      'RenameLine1700000001000',
      'PlatformTables1764000000000',
    ]);
    expect(await migrationStatus(dataSource)).toEqual([
      { name: 'Initial1700000000000', timestamp: 1700000000000, applied: true },
      { name: 'RenameLine1700000001000', timestamp: 1700000001000, applied: true },
      { name: 'PlatformTables1764000000000', timestamp: 1764000000000, applied: true },
    ]);
    expect(await runMigrations(dataSource)).toEqual([]);
  });

  it('creates the platform tables', async () => {
    await dataSource.query("INSERT INTO sys_sequence (seq_name, current_value) VALUES ('work_order:A01', 7)");
    expect(await dataSource.query('SELECT seq_name, current_value FROM sys_sequence')).toEqual([
      { seq_name: 'work_order:A01', current_value: 7 },
    ]);
    const queryRunner = dataSource.createQueryRunner();
    for (const table of [
      'ext_plugin',
      'ext_field',
      'ext_form_overlay',
      'ext_metadata_version',
      'ext_change_set',
    ])
      expect(await queryRunner.hasTable(table)).toBe(true);
    await queryRunner.release();
  });

  it('reverts the last migration and runs it again, keeping the renamed column data both ways', async () => {
    await insertWorkOrder('WO-1', 'line_code');
    expect(await dataSource.query('SELECT line_code, priority FROM work_order')).toEqual([
      { line_code: 'A01', priority: 5 },
    ]);
    expect(await revertLastMigration(dataSource)).toBe('PlatformTables1764000000000');
    expect(await revertLastMigration(dataSource)).toBe('RenameLine1700000001000');
    expect(await dataSource.query('SELECT wo_no, line FROM work_order')).toEqual([
      { wo_no: 'WO-1', line: 'A01' },
    ]);

    expect(await runMigrations(dataSource)).toEqual([
      'RenameLine1700000001000',
      'PlatformTables1764000000000',
    ]);
    expect(await dataSource.query('SELECT wo_no, line_code FROM work_order')).toEqual([
      { wo_no: 'WO-1', line_code: 'A01' },
    ]);
  });

  it('reverts everything down to an empty database and migrates up again', async () => {
    for (const expected of ['PlatformTables1764000000000', 'RenameLine1700000001000', 'Initial1700000000000'])
      expect(await revertLastMigration(dataSource)).toBe(expected);
    expect(await revertLastMigration(dataSource)).toBeUndefined();
    const queryRunner = dataSource.createQueryRunner();
    expect(await queryRunner.hasTable('work_order')).toBe(false);
    await queryRunner.release();
    expect(await runMigrations(dataSource)).toHaveLength(3);
    await insertWorkOrder('WO-2', 'line_code');
    expect(await dataSource.query('SELECT wo_no FROM work_order')).toEqual([{ wo_no: 'WO-2' }]);
  });
});
