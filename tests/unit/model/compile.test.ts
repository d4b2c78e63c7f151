import { compileModel, entityPath, parseIdentifierPattern } from '../../../metadata/src/model';
import type { EntityDef, MetadataSet } from '../../../metadata/src/types';

const label = (en: string) => ({ en, zh: en });

function metadataSet(entities: EntityDef[]): MetadataSet {
  return {
    modules: new Map([
      ['production', { module: 'production', label: label('Production'), database: 'core' }],
    ]),
    entities: new Map(entities.map((e) => [e.entity, e])),
    forms: new Map(),
    workflows: new Map(),
    dashboards: new Map(),
    rules: new Map(),
    roles: new Map(),
    permissions: new Map(),
    menus: new Map(),
    plugins: new Map(),
    sources: new Map(
      entities.map((e) => [`entity:${e.entity}`, { file: `${e.entity}.yaml`, origin: 'core' }]),
    ),
  };
}

const line: EntityDef = {
  entity: 'production_line',
  label: label('Line'),
  module: 'production',
  display: 'line_code',
  fields: { line_code: { type: 'string', length: 8, unique: true, required: true, label: label('Code') } },
};

const workOrder: EntityDef = {
  entity: 'work_order',
  label: label('Work order'),
  module: 'production',
  display: 'wo_no',
  identifier: { field: 'wo_no', pattern: 'WO-{line.line_code}-{seq:4}' },
  fields: {
    wo_no: { type: 'string', length: 32, unique: true, readonly: true, label: label('No') },
    line: { type: 'relation', to: 'production_line', required: true, label: label('Line') },
    status: { type: 'enum', values: ['DRAFT', 'RELEASED'], default: 'DRAFT', label: label('Status') },
    planned_start: { type: 'datetime', required: true, label: label('Start') },
    note: { type: 'text', label: label('Note') },
    operations: { type: 'children', to: 'wo_operation', foreignKey: 'work_order', label: label('Ops') },
  },
  list: { columns: ['wo_no', 'status'], defaultSort: '-planned_start', filters: ['status', 'planned_start'] },
};

const operation: EntityDef = {
  entity: 'wo_operation',
  label: label('Operation'),
  module: 'production',
  display: 'op_seq',
  owned: true,
  fields: {
    work_order: { type: 'relation', to: 'work_order', required: true, label: label('WO') },
    op_seq: { type: 'integer', min: 1, required: true, label: label('Seq') },
  },
};

describe('compileModel', () => {
  const model = compileModel(metadataSet([line, workOrder, operation]), {
    version: 3,
    extensionFields: [
      {
        entity: 'work_order',
        name: 'customer_ref',
        def: { type: 'string', length: 40, label: label('Ref') },
      },
    ],
  });
  const wo = model.entities.get('work_order')!;

  it('derives paths, API names and columns from snake_case metadata', () => {
    expect(model.version).toBe(3);
    expect(wo.path).toBe('work-orders');
    expect(model.entitiesByPath.get('production-lines')?.name).toBe('production_line');
    expect(wo.fieldsByName.get('planned_start')).toMatchObject({
      apiName: 'plannedStart',
      column: 'planned_start',
    });
    expect(wo.fieldsByName.get('line')).toMatchObject({ column: 'line_id', columnType: 'bigint' });
    expect(wo.fieldsByName.get('line')?.relation).toMatchObject({
      target: 'production_line',
      display: 'line_code',
    });
  });

  it('resolves children to the child table column pointing back', () => {
    expect(wo.fieldsByName.get('operations')?.children).toEqual({
      target: 'wo_operation',
      foreignKey: 'work_order',
      foreignColumn: 'work_order_id',
      orderBy: undefined,
    });
    expect(wo.fieldsByName.get('operations')?.column).toBeUndefined();
  });

  it('stores extension fields in the ext column under their API name', () => {
    expect(wo.fieldsByApiName.get('customerRef')).toMatchObject({ storage: 'ext', column: undefined });
  });

  it('derives tenant-scoped unique indexes and list-view composite indexes', () => {
    const byColumns = new Map(wo.indexes.map((i) => [i.columns.join(','), i]));
    expect(byColumns.get('tenant_id,wo_no')).toMatchObject({ unique: true, origin: 'field' });
    expect(byColumns.get('tenant_id,deleted_at,planned_start')).toMatchObject({
      unique: false,
      origin: 'list',
    });
    expect(byColumns.get('tenant_id,status,deleted_at,planned_start')).toMatchObject({ origin: 'list' });
    expect(byColumns.get('line_id')).toMatchObject({ origin: 'field' });
  });

  it('parses identifier patterns into scope tokens and a sequence width', () => {
    expect(wo.identifier?.seqWidth).toBe(4);
    expect(parseIdentifierPattern('LOT-{YYYYMMDD}-{seq:3}')).toEqual([
      { kind: 'literal', value: 'LOT-' },
      { kind: 'date', value: 'YYYYMMDD' },
      { kind: 'literal', value: '-' },
      { kind: 'seq', value: '3' },
    ]);
    expect(parseIdentifierPattern('{TENANT}-{department.dept_code}-{seq:4}')).toEqual([
      { kind: 'tenant', value: 'TENANT' },
      { kind: 'literal', value: '-' },
      { kind: 'field', value: 'department.dept_code' },
      { kind: 'literal', value: '-' },
      { kind: 'seq', value: '4' },
    ]);
  });

  it('is immutable and content-addressed', () => {
    expect(Object.isFrozen(wo)).toBe(true);
    const again = compileModel(metadataSet([line, workOrder, operation]), { version: 4 });
    expect(again.hash).not.toBe(model.hash);
    expect(compileModel(metadataSet([line, workOrder, operation]), { version: 5 }).hash).toBe(again.hash);
  });

  it('pluralises entity names into kebab-case paths', () => {
    expect(entityPath('stock_count_line')).toBe('stock-count-lines');
    expect(entityPath('inventory_category')).toBe('inventory-categories');
    expect(entityPath('box')).toBe('boxes');
  });
});
