import type { Model } from '../../../metadata/src/model';
import { EntityService } from '../../../platform/src/crud/entity.service';
import { HookRegistry } from '../../../platform/src/crud/hooks';
import type { EntityRecord, RequestContext } from '../../../platform/src/crud/types';
import { hooks as stockTransactionHooks } from '../../../platform/src/domain/inventory/stock-transaction.hooks';
import { registerOutboxHooks } from '../../../platform/src/events/register-outbox-hooks';
import { registerEntityHooks } from '../../../platform/src/generated/domain-hooks';
import { WorkflowEventsTraceTables1764061200000 } from '../../../database/migrations/1764061200000-workflow-events-trace-tables';
import {
  ENGINE_DIALECTS,
  openEngineDatabase,
  type EngineTestDatabase,
} from '../../fixtures/engine/engine-database';
import { coreModel } from '../../fixtures/security/core-model';

const LOT = 'SUP-LOT-42';

describe.each(ENGINE_DIALECTS)('inventory movements on the core modules (%s)', (dialect) => {
  let database: EngineTestDatabase;
  let model: Model;
  let ctx: RequestContext;
  let entities: EntityService;
  const ids: Record<string, number> = {};

  const table = (entity: string) => model.entities.get(entity)!.table;
  const sql = () => database.db.executor();
  const count = async (from: string) =>
    Number((await sql().query<{ n: number }>(`SELECT COUNT(*) AS n FROM ${from}`))[0]!.n);
  const footprint = async () => ({
    movements: await count(table('stock_transaction')),
    stock: await count(table('stock')),
    edges: await count('trace_genealogy'),
    events: await count('evt_outbox'),
  });
  /** [on hand, available, reserved] of the lot at a location; null when there is no balance row. */
  const balance = async (locationId: number) => {
    const rows = await sql().query<Record<string, number | string>>(
      `SELECT quantity, available_quantity, reserved_quantity FROM ${table('stock')} WHERE location_id = ? AND lot_no = ?`,
      [locationId, LOT],
    );
    return rows[0]
      ? [Number(rows[0].quantity), Number(rows[0].available_quantity), Number(rows[0].reserved_quantity)]
      : null;
  };
  const move = (body: EntityRecord) =>
    entities.create(
      'stock_transaction',
      { itemId: ids.screw, lotNo: LOT, occurredAt: '2026-11-25T08:00:00Z', ...body },
      ctx,
    );
  const withSetting = async (key: string, value: string, work: () => Promise<void>) => {
    const setting = await entities.create('sys_config', { configKey: key, configValue: value }, ctx);
    try {
      await work();
    } finally {
      await entities.remove('sys_config', setting.id as number, ctx);
    }
  };

  beforeAll(async () => {
    model = coreModel();
    database = await openEngineDatabase(dialect, 'inventory', model);
    await database.db.withQueryRunner((runner) => new WorkflowEventsTraceTables1764061200000().up(runner));
    ctx = { tenantId: 'T1', userId: 'u1', traceId: 'trace-inventory', model };
    const hooks = new HookRegistry();
    registerEntityHooks(hooks, 'stock_transaction', stockTransactionHooks);
    registerOutboxHooks(hooks);
    entities = new EntityService(database.db, hooks);
    const create = async (entity: string, body: EntityRecord) =>
      (await entities.create(entity, body, ctx)).id as number;
    const uom = await create('unit_of_measure', { uomCode: 'PCS', uomName: 'Pieces' });
    ids.screw = await create('item_master', { itemName: 'Screw M3', itemType: 'RAW', uomId: uom });
    const product = await create('item_master', { itemName: 'Counter', itemType: 'FINISHED', uomId: uom });
    const plant = await create('plant', { plantCode: 'P1', plantName: 'Plant 1' });
    const line = await create('production_line', { lineCode: 'A01', lineName: 'Line A', plantId: plant });
    const order = await entities.create(
      'work_order',
      { itemId: product, lineId: line, plannedQuantity: 5, plannedStart: '2026-12-01T08:00:00Z' },
      ctx,
    );
    ids.order = order.id as number;
    ids.store = await create('location', { locationName: 'Main store', locationType: 'WAREHOUSE' });
    ids.lineSide = await create('location', { locationName: 'Line A side', locationType: 'LINE_SIDE' });
    ids.spare = await create('location', { locationName: 'Spare rack', locationType: 'WAREHOUSE' });
    ids.blocked = await create('location', {
      locationName: 'Quarantine cage',
      locationType: 'QUALITY',
      status: 'BLOCKED',
    });
  });
  afterAll(() => database?.drop());

  it('receives, transfers (two balances), issues to a work order, scraps and adjusts atomically', async () => {
    await move({
      transactionType: 'IN',
      quantity: 100,
      toLocationId: ids.store,
      referenceType: 'GRN',
      referenceId: 'GRN-20261125-001',
    });
    await move({
      transactionType: 'TRANSFER',
      quantity: 30,
      fromLocationId: ids.store,
      toLocationId: ids.lineSide,
    });
    expect(await balance(ids.store)).toEqual([70, 70, 0]);
    expect(await balance(ids.lineSide)).toEqual([30, 30, 0]);

    // The destination refuses: the source's decrement in the same transaction is undone too.
    let before = await footprint();
    await expect(
      move({
        transactionType: 'TRANSFER',
        quantity: 10,
        fromLocationId: ids.store,
        toLocationId: ids.blocked,
      }),
    ).rejects.toMatchObject({ code: 'BUSINESS_RULE', details: { rule: 'active-location' } });
    expect(await footprint()).toEqual(before);
    expect(await balance(ids.store)).toEqual([70, 70, 0]);

    const issue = await move({
      transactionType: 'ISSUE',
      quantity: 10,
      fromLocationId: ids.lineSide,
      workOrderId: ids.order,
    });
    expect(await balance(ids.lineSide)).toEqual([20, 20, 0]);
    const edges = await sql().query<{ from_key: string; to_key: string; relation: string }>(
      'SELECT from_key, to_key, relation FROM trace_genealogy WHERE ref_id = ?',
      [issue.transactionNo],
    );
    const woNo = (await entities.get('work_order', ids.order, ctx)).woNo;
    expect(edges).toEqual([{ from_key: `SLOT:${LOT}`, to_key: `WO:${String(woNo)}`, relation: 'CONSUMED' }]);
    const [consumption] = await sql().query<{ envelope: string }>(
      "SELECT envelope FROM evt_outbox WHERE event_type = 'material.consumption'",
    );
    const { payload } = JSON.parse(consumption!.envelope) as { payload: Record<string, unknown> };
    expect(payload).toMatchObject({ lot_no: LOT, wo_no: woNo, qty_used: 10 });

    // More than is available is refused, and leaves nothing behind.
    before = await footprint();
    await expect(
      move({ transactionType: 'ISSUE', quantity: 25, fromLocationId: ids.lineSide, workOrderId: ids.order }),
    ).rejects.toMatchObject({ code: 'BUSINESS_RULE', details: { rule: 'no-negative-stock' } });
    await expect(
      move({ transactionType: 'SCRAP', quantity: 21, fromLocationId: ids.lineSide }),
    ).rejects.toMatchObject({ code: 'BUSINESS_RULE' });
    expect(await footprint()).toEqual(before);

    await move({ transactionType: 'SCRAP', quantity: 5, fromLocationId: ids.lineSide, reason: 'dropped' });
    expect(await balance(ids.lineSide)).toEqual([15, 15, 0]);
    await move({
      transactionType: 'ADJUST',
      quantity: -3,
      toLocationId: ids.lineSide,
      referenceType: 'COUNT',
    });
    await move({
      transactionType: 'ADJUST',
      quantity: 2,
      toLocationId: ids.lineSide,
      referenceType: 'COUNT',
    });
    expect(await balance(ids.lineSide)).toEqual([14, 14, 0]);
    await expect(
      move({ transactionType: 'ADJUST', quantity: -15, toLocationId: ids.lineSide }),
    ).rejects.toMatchObject({
      code: 'BUSINESS_RULE',
    });
    expect(await balance(ids.lineSide)).toEqual([14, 14, 0]);
  });

  it('refuses malformed movements with the field, rule and path', async () => {
    await expect(
      move({ transactionType: 'IN', quantity: -5, toLocationId: ids.store }),
    ).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
      details: { errors: [{ field: 'quantity', path: '/quantity', rule: 'exclusiveMinimum' }] },
    });
    await expect(
      move({ transactionType: 'ADJUST', quantity: 0, toLocationId: ids.store }),
    ).rejects.toMatchObject({
      details: { errors: [{ path: '/quantity', rule: 'not' }] },
    });
    await expect(
      move({ transactionType: 'TRANSFER', quantity: 1, fromLocationId: ids.store, toLocationId: ids.store }),
    ).rejects.toMatchObject({ details: { errors: [{ path: '/toLocationId', rule: 'different' }] } });
    await expect(move({ transactionType: 'IN', quantity: 1 })).rejects.toMatchObject({
      code: 'BUSINESS_RULE',
      details: { errors: [{ path: '/toLocationId', rule: 'required' }] },
    });
  });

  it('reserves and releases available stock, keeping on hand = available + reserved', async () => {
    await move({
      transactionType: 'RESERVE',
      quantity: 4,
      fromLocationId: ids.lineSide,
      referenceType: 'RESERVATION',
    });
    expect(await balance(ids.lineSide)).toEqual([14, 10, 4]);
    await expect(
      move({ transactionType: 'UNRESERVE', quantity: 5, fromLocationId: ids.lineSide }),
    ).rejects.toMatchObject({ code: 'BUSINESS_RULE', details: { rule: 'no-negative-stock' } });
    await move({ transactionType: 'UNRESERVE', quantity: 4, fromLocationId: ids.lineSide });
    expect(await balance(ids.lineSide)).toEqual([14, 14, 0]);
  });

  it('takes stock below zero only when the tenant allows negative stock', async () => {
    await withSetting('inventory.allow_negative_stock', 'true', async () => {
      await move({
        transactionType: 'ISSUE',
        quantity: 20,
        fromLocationId: ids.lineSide,
        workOrderId: ids.order,
      });
      expect(await balance(ids.lineSide)).toEqual([-6, -6, 0]);
      await move({
        transactionType: 'CONSUME',
        quantity: 2,
        fromLocationId: ids.spare,
        workOrderId: ids.order,
      });
      expect(await balance(ids.spare)).toEqual([-2, -2, 0]);
      // Reserved stock never goes below zero.
      await expect(
        move({ transactionType: 'UNRESERVE', quantity: 1, fromLocationId: ids.spare }),
      ).rejects.toMatchObject({
        code: 'BUSINESS_RULE',
      });
    });
    await expect(
      move({ transactionType: 'ISSUE', quantity: 1, fromLocationId: ids.store, workOrderId: ids.order }),
    ).resolves.toBeDefined();
    await move({ transactionType: 'IN', quantity: 6, toLocationId: ids.lineSide });
    await expect(
      move({ transactionType: 'ISSUE', quantity: 1, fromLocationId: ids.lineSide }),
    ).rejects.toMatchObject({
      details: { rule: 'no-negative-stock' },
    });
    expect(await balance(ids.lineSide)).toEqual([0, 0, 0]);
  });

  it('books a production receipt into the receiving location', async () => {
    await move({
      transactionType: 'PRODUCTION_RECEIPT',
      quantity: 3,
      toLocationId: ids.spare,
      referenceType: 'WO',
      workOrderId: ids.order,
    });
    expect(await balance(ids.spare)).toEqual([1, 1, 0]);
  });
});
