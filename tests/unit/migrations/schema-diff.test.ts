import {
  DestructiveChangeError,
  diffSnapshots,
  inverseChanges,
  type SchemaChange,
} from '../../../metadata/src/model/schema-diff';
import {
  emptySnapshot,
  parseSnapshot,
  SnapshotError,
  stableStringify,
  toSnapshot,
} from '../../../metadata/src/model/snapshot';
import { fixtureModel } from '../../fixtures/migrations/model';

const summary = (changes: SchemaChange[]) =>
  changes.map((c) => {
    switch (c.kind) {
      case 'createTable':
      case 'dropTable':
        return `${c.kind} ${c.table.name}`;
      case 'renameTable':
        return `${c.kind} ${c.from}->${c.to}`;
      case 'renameColumn':
        return `${c.kind} ${c.table}.${c.from}->${c.to}`;
      case 'addColumn':
      case 'dropColumn':
        return `${c.kind} ${c.table}.${c.column.name}`;
      case 'alterColumn':
        return `${c.kind} ${c.table}.${c.to.name}`;
      case 'createIndex':
      case 'dropIndex':
        return `${c.kind} ${c.table}.${c.index.name}`;
      case 'createForeignKey':
      case 'dropForeignKey':
        return `${c.kind} ${c.table}.${c.foreignKey.name}`;
    }
  });

const base = toSnapshot(fixtureModel());

describe('toSnapshot', () => {
  it('holds every table with system columns, relation foreign keys, link tables and list indexes', () => {
    expect(Object.keys(base.tables)).toEqual(['item', 'tag', 'work_order', 'work_order_tags']);
    const workOrder = base.tables.work_order;
    expect(workOrder.columns.map((c) => c.name)).toEqual([
      'id',
      'tenant_id',
      'wo_no',
      'item_id',
      'line',
      'quantity',
      'planned_start',
      'status',
      'remark',
      'created_at',
      'created_by',
      'updated_at',
      'updated_by',
      'version',
      'deleted_at',
      'ext',
    ]);
    expect(workOrder.columns.find((c) => c.name === 'status')).toMatchObject({
      type: 'varchar',
      default: 'DRAFT',
    });
    expect(workOrder.foreignKeys).toEqual([
      {
        name: 'fk_work_order_item_id',
        columns: ['item_id'],
        referencedTable: 'item',
        referencedColumns: ['id'],
        onDelete: 'RESTRICT',
      },
    ]);
    expect(workOrder.indexes).toContainEqual({
      name: 'idx_work_order_tenant_id_status_deleted_at_planned_start',
      columns: ['tenant_id', 'status', 'deleted_at', 'planned_start'],
      unique: false,
    });
    expect(workOrder.indexes).toContainEqual({
      name: 'uk_work_order_tenant_id_wo_no',
      columns: ['tenant_id', 'wo_no'],
      unique: true,
    });
    expect(base.tables.work_order_tags).toMatchObject({
      kind: 'link',
      primaryKey: ['work_order_id', 'tag_id'],
      foreignKeys: [
        { referencedTable: 'work_order', onDelete: 'CASCADE' },
        { referencedTable: 'tag', onDelete: 'CASCADE' },
      ],
    });
  });

  it('serialises to stable JSON that parses back to the same snapshot', () => {
    const json = stableStringify(base);
    expect(stableStringify(toSnapshot(fixtureModel()))).toBe(json);
    expect(json.indexOf('"format"')).toBeLessThan(json.indexOf('"modelHash"'));
    expect(parseSnapshot(json)).toEqual(JSON.parse(json));
    expect(() => parseSnapshot('{"format":99}')).toThrow(/format 1/);
  });
});

describe('diffSnapshots', () => {
  it('creates every table from an empty snapshot, referenced tables first', () => {
    const changes = diffSnapshots(emptySnapshot(), base);
    expect(summary(changes)).toEqual([
      'createTable item',
      'createTable tag',
      'createTable work_order',
      'createTable work_order_tags',
    ]);
    const workOrder = changes[2];
    expect(workOrder.kind === 'createTable' && workOrder.table.foreignKeys).toHaveLength(1);
  });

  it('finds nothing to do between equal snapshots', () => {
    expect(diffSnapshots(base, toSnapshot(fixtureModel()))).toEqual([]);
  });

  it('adds a column and its index', () => {
    const next = toSnapshot(
      fixtureModel((e) => {
        e.get('item')!.fields.weight = {
          type: 'decimal',
          label: { en: 'W', zh: 'W' },
          precision: 10,
          scale: 3,
          index: true,
        };
      }),
    );
    expect(summary(diffSnapshots(base, next))).toEqual([
      'addColumn item.weight',
      'createIndex item.idx_item_weight',
    ]);
  });

  it('renames a column declared with renamedFrom instead of dropping it, and renames its indexes', () => {
    const next = toSnapshot(
      fixtureModel((e) => {
        const fields = e.get('work_order')!.fields;
        const { line, ...rest } = fields;
        e.get('work_order')!.fields = { ...rest, line_code: { ...line, renamedFrom: 'line' } };
        e.get('work_order')!.list!.filters = ['status', 'line_code'];
      }),
    );
    expect(summary(diffSnapshots(base, next))).toEqual([
      'dropIndex work_order.idx_work_order_tenant_id_line_deleted_at_planned_start',
      'renameColumn work_order.line->line_code',
      'createIndex work_order.idx_work_order_tenant_id_line_code_deleted_at_planned_start',
    ]);
  });

  it('renames a table declared with renamedFrom; foreign keys pointing at it follow the rename', () => {
    const next = toSnapshot(
      fixtureModel((e) => {
        e.set('material', { ...e.get('item')!, entity: 'material', renamedFrom: 'item' });
        e.delete('item');
        e.get('work_order')!.fields.item = {
          type: 'relation',
          label: { en: 'M', zh: 'M' },
          to: 'material',
          required: true,
        };
      }),
    );
    expect(summary(diffSnapshots(base, next))).toEqual([
      'dropIndex item.uk_item_tenant_id_code',
      'renameTable item->material',
      'createIndex material.uk_material_tenant_id_code',
    ]);
  });

  it('alters a column whose shape changed', () => {
    const next = toSnapshot(
      fixtureModel((e) => {
        e.get('item')!.fields.name = {
          type: 'string',
          label: { en: 'N', zh: 'N' },
          length: 200,
          required: true,
        };
      }),
    );
    const changes = diffSnapshots(base, next);
    expect(summary(changes)).toEqual(['alterColumn item.name']);
    expect(changes[0]).toMatchObject({ from: { length: 120 }, to: { length: 200 } });
  });

  it('refuses to drop a column or table unless destructive changes are allowed', () => {
    const next = toSnapshot(
      fixtureModel((e) => {
        delete e.get('work_order')!.fields.remark;
        delete e.get('work_order')!.fields.tags;
        e.delete('tag');
      }),
    );
    expect(() => diffSnapshots(base, next)).toThrow(DestructiveChangeError);
    try {
      diffSnapshots(base, next);
    } catch (error) {
      expect((error as DestructiveChangeError).drops).toEqual([
        'column work_order.remark',
        'table tag',
        'table work_order_tags',
      ]);
    }
    expect(summary(diffSnapshots(base, next, { allowDestructive: true }))).toEqual([
      'dropColumn work_order.remark',
      'dropTable tag',
      'dropTable work_order_tags',
    ]);
  });

  it('inverts every change so down undoes up', () => {
    const next = toSnapshot(
      fixtureModel((e) => {
        const fields = e.get('work_order')!.fields;
        const { line, remark: _remark, ...rest } = fields;
        e.get('work_order')!.fields = { ...rest, line_code: { ...line, renamedFrom: 'line' } };
        e.get('work_order')!.list!.filters = ['status', 'line_code'];
        e.get('item')!.fields.name = { type: 'string', label: { en: 'N', zh: 'N' }, length: 200 };
      }),
    );
    const up = diffSnapshots(base, next, { allowDestructive: true });
    const down = inverseChanges(up);
    expect(summary(down)).toEqual([
      'dropIndex work_order.idx_work_order_tenant_id_line_code_deleted_at_planned_start',
      'addColumn work_order.remark',
      'alterColumn item.name',
      'renameColumn work_order.line_code->line',
      'createIndex work_order.idx_work_order_tenant_id_line_deleted_at_planned_start',
    ]);
    expect(inverseChanges(down)).toEqual(up);
    expect(diffSnapshots(next, base, { allowDestructive: true }).length).toBeGreaterThan(0);
  });
});

describe('toSnapshot guards', () => {
  it('rejects a field whose column collides with a system column, naming entity and column', () => {
    const model = fixtureModel((e) => {
      e.get('item')!.fields.version = { type: 'string', label: { en: 'V', zh: 'V' }, length: 32 };
    });
    expect(() => toSnapshot(model)).toThrow(SnapshotError);
    expect(() => toSnapshot(model)).toThrow(
      /entity item: column `item.version` is declared twice .*system column/,
    );
  });

  it('keeps only entities of the requested origin and drops foreign keys to others', () => {
    const model = fixtureModel();
    const core = toSnapshot(model, { origin: 'core' });
    expect(Object.keys(core.tables)).toEqual(Object.keys(base.tables));
    expect(toSnapshot(model, { origin: 'procurement' }).tables).toEqual({});
  });
});
