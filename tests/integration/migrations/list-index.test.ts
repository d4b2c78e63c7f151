import { join } from 'node:path';
import type { DataSource } from 'typeorm';
import { compileModel } from '../../../metadata/src/model/compile';
import { toSnapshot, type SnapshotColumn } from '../../../metadata/src/model/snapshot';
import { validateMetadata } from '../../../metadata/src/validator';
import { createDataSource, loadDatabaseConfig } from '../../../platform/src/data/connection';
import { applySchemaChanges } from '../../../platform/src/data/migrations/apply-schema';
import { testDatabases } from './helpers';

/**
 * "Released work orders, newest first" — the default list of work orders filtered by status — must
 * be an index range scan on the index derived from the list view, never a filesort. Uses the core
 * metadata, as the index comes from work_order's list definition.
 */
const ROWS = 4000;
const STATUSES = ['DRAFT', 'RELEASED', 'IN_PROGRESS', 'ON_HOLD', 'COMPLETED', 'CANCELLED'];
const QUERY =
  "SELECT * FROM work_order WHERE tenant_id = 't1' AND status = 'RELEASED' AND deleted_at IS NULL " +
  'ORDER BY planned_start DESC LIMIT 20';

const { set } = validateMetadata([join(__dirname, '..', '..', '..')]);
const model = compileModel(set, { version: 1 });
const workOrder = toSnapshot(model, { origin: 'core' }).tables.work_order;
const derivedIndex = model.entities
  .get('work_order')
  ?.indexes.find(
    (i) => i.origin === 'list' && i.columns.join() === 'tenant_id,status,deleted_at,planned_start',
  );

const LISTED = new Set(['tenant_id', 'status', 'planned_start']);
/** The columns a row needs: the listed ones and every NOT NULL column without a default. */
const inserted = workOrder.columns.filter(
  (c) => !c.generated && (LISTED.has(c.name) || (!c.nullable && c.default === undefined)),
);

/** Related ids are never checked: the table is created without foreign keys. */
function valueFor(column: SnapshotColumn, i: number): string | number {
  if (column.name === 'tenant_id') return Math.floor(i / STATUSES.length) % 2 === 0 ? 't1' : 't2';
  if (column.name === 'status') return STATUSES[i % STATUSES.length];
  if (column.name === 'planned_start' || column.type === 'datetime')
    return new Date(Date.UTC(2026, 0, 1) + i * 60_000).toISOString().slice(0, 19).replace('T', ' ');
  switch (column.type) {
    case 'varchar':
      return `V${i}`.slice(0, column.length ?? 255);
    case 'text':
      return '';
    case 'date':
      return '2026-01-01';
    case 'json':
      return '{}';
    default:
      return 1;
  }
}

describe.each(testDatabases('listidx'))('work order list index on $dialect', (database) => {
  let dataSource: DataSource;

  beforeAll(async () => {
    dataSource = await createDataSource(loadDatabaseConfig({ DATABASE_URL: database.url }), {
      createDatabase: true,
    });
    const queryRunner = dataSource.createQueryRunner();
    // The table alone: foreign keys would need every referenced table, and EXPLAIN does not use them.
    await applySchemaChanges(queryRunner, [
      { kind: 'createTable', table: { ...workOrder, foreignKeys: [] } },
    ]);
    await queryRunner.release();
    const columns = inserted;
    const names = columns.map((c) => c.name).join(', ');
    for (let start = 0; start < ROWS; start += 500) {
      const rows = Array.from({ length: 500 }, (_, k) => columns.map((c) => valueFor(c, start + k)));
      const placeholders = rows.map(() => `(${columns.map(() => '?').join(', ')})`).join(', ');
      await dataSource.query(`INSERT INTO work_order (${names}) VALUES ${placeholders}`, rows.flat());
    }
    await dataSource.query(database.dialect === 'mysql' ? 'ANALYZE TABLE work_order' : 'ANALYZE');
  });
  afterAll(async () => {
    await dataSource?.destroy();
    await database.drop();
  });

  it('derives (tenant_id, status, deleted_at, planned_start) from the list view and carries it into the schema', () => {
    expect(derivedIndex).toBeDefined();
    expect(workOrder.indexes).toContainEqual({
      name: derivedIndex!.name,
      columns: derivedIndex!.columns,
      unique: false,
    });
  });

  it('serves "released work orders, newest first" from the derived index without sorting', async () => {
    if (database.dialect === 'mysql') {
      const [plan] = await dataSource.query(`EXPLAIN ${QUERY}`);
      expect(plan.key).toBe(derivedIndex!.name);
      expect(plan.Extra ?? '').not.toMatch(/filesort/i);
    } else {
      const plan: { detail: string }[] = await dataSource.query(`EXPLAIN QUERY PLAN ${QUERY}`);
      const details = plan.map((p) => p.detail).join('\n');
      expect(details).toContain(
        `USING INDEX ${derivedIndex!.name} (tenant_id=? AND status=? AND deleted_at=?)`,
      );
      expect(details).not.toMatch(/TEMP B-TREE/);
    }
    const rows: { planned_start: string }[] = await dataSource.query(QUERY);
    expect(rows).toHaveLength(20);
    expect(rows.map((r) => r.planned_start)).toEqual(
      rows
        .map((r) => r.planned_start)
        .sort()
        .reverse(),
    );
  });
});
