import type { Model } from '../../../metadata/src/model';
import { EntityService } from '../../../platform/src/crud/entity.service';
import { HookRegistry } from '../../../platform/src/crud/hooks';
import type { RequestContext } from '../../../platform/src/crud/types';
import { hooks as stockTransactionHooks } from '../../../platform/src/domain/inventory/stock-transaction.hooks';
import { hooks as productionLotHooks } from '../../../platform/src/domain/production/production-lot.hooks';
import { hooks as serialNumberHooks } from '../../../platform/src/domain/production/serial-number.hooks';
import { registerEntityHooks } from '../../../platform/src/generated/domain-hooks';
import { traceReport } from '../../../platform/src/trace/trace-service';
import { WorkflowEventsTraceTables1764061200000 } from '../../../database/migrations/1764061200000-workflow-events-trace-tables';
import {
  ENGINE_DIALECTS,
  openEngineDatabase,
  type EngineTestDatabase,
} from '../../fixtures/engine/engine-database';
import { coreModel } from '../../fixtures/security/core-model';

describe.each(ENGINE_DIALECTS)('genealogy domain hooks on the core modules (%s)', (dialect) => {
  let database: EngineTestDatabase;
  let model: Model;
  let ctx: RequestContext;
  let service: EntityService;

  beforeAll(async () => {
    model = coreModel();
    database = await openEngineDatabase(dialect, 'genealogy', model);
    await database.db.withQueryRunner((runner) => new WorkflowEventsTraceTables1764061200000().up(runner));
    ctx = { tenantId: 'T1', userId: 'u1', traceId: 'trace-genealogy', model };
    const hooks = new HookRegistry();
    registerEntityHooks(hooks, 'stock_transaction', stockTransactionHooks);
    registerEntityHooks(hooks, 'production_lot', productionLotHooks);
    registerEntityHooks(hooks, 'serial_number', serialNumberHooks);
    service = new EntityService(database.db, hooks);
  });
  afterAll(() => database?.drop());

  it('keeps balances and links receipt, issue, work order, lot and serial so traces reach both ends', async () => {
    const uom = await service.create('unit_of_measure', { uomCode: 'PCS', uomName: 'Pieces' }, ctx);
    const raw = await service.create(
      'item_master',
      { itemName: 'Screw', itemType: 'RAW', uomId: uom.id },
      ctx,
    );
    const product = await service.create(
      'item_master',
      { itemName: 'Counter', itemType: 'FINISHED', uomId: uom.id },
      ctx,
    );
    const plant = await service.create('plant', { plantCode: 'P1', plantName: 'Plant 1' }, ctx);
    const line = await service.create(
      'production_line',
      { lineCode: 'A01', lineName: 'Line A', plantId: plant.id },
      ctx,
    );
    const order = await service.create(
      'work_order',
      { itemId: product.id, lineId: line.id, plannedQuantity: 2, plannedStart: '2026-12-01T08:00:00Z' },
      ctx,
    );
    const store = await service.create(
      'location',
      { locationName: 'Main store', locationType: 'WAREHOUSE' },
      ctx,
    );
    const lineSide = await service.create(
      'location',
      { locationName: 'Line A side', locationType: 'LINE_SIDE' },
      ctx,
    );
    const movement = { itemId: raw.id, occurredAt: '2026-11-25T08:00:00Z', lotNo: 'SUP-LOT-7' };
    const move = (body: Record<string, unknown>) =>
      service.create('stock_transaction', { ...movement, ...body }, ctx);
    const balance = async (locationId: unknown) => {
      const rows = await database.db
        .executor()
        .query<{ quantity: number | string; available_quantity: number | string }>(
          `SELECT quantity, available_quantity FROM ${model.entities.get('stock')!.table} WHERE location_id = ? AND lot_no = ?`,
          [locationId, 'SUP-LOT-7'],
        );
      return rows.map((row) => [Number(row.quantity), Number(row.available_quantity)]);
    };
    await move({
      transactionType: 'IN',
      quantity: 10,
      toLocationId: store.id,
      referenceType: 'GRN',
      referenceId: 'GRN-20261125-001',
    });
    await move({
      transactionType: 'TRANSFER',
      quantity: 6,
      fromLocationId: store.id,
      toLocationId: lineSide.id,
    });
    await move({ transactionType: 'ISSUE', quantity: 4, fromLocationId: lineSide.id, workOrderId: order.id });
    expect(await balance(store.id)).toEqual([[4, 4]]);
    expect(await balance(lineSide.id)).toEqual([[2, 2]]);
    // More than is available is refused, and the movement leaves no trace.
    const tooMuch = move({
      transactionType: 'ISSUE',
      quantity: 3,
      fromLocationId: lineSide.id,
      workOrderId: order.id,
    });
    await expect(tooMuch).rejects.toMatchObject({ code: 'BUSINESS_RULE' });
    expect(await balance(lineSide.id)).toEqual([[2, 2]]);
    await expect(move({ transactionType: 'IN', quantity: 1 })).rejects.toMatchObject({
      code: 'BUSINESS_RULE',
    });
    const lot = await service.create(
      'production_lot',
      { workOrderId: order.id, itemId: product.id, lotQuantity: 2 },
      ctx,
    );
    const serial = await service.create(
      'serial_number',
      { lotId: lot.id, itemId: product.id, workOrderId: order.id },
      ctx,
    );

    const sql = database.db.executor();
    const reverse = await traceReport(sql, { tenant: 'T1', direction: 'reverse', query: { sn: serial.sn } });
    expect(reverse.lots.map((n) => n.key)).toEqual([lot.lotNo]);
    expect(reverse.workOrders.map((n) => n.key)).toEqual([order.woNo]);
    expect(reverse.supplierLots.map((n) => n.key)).toEqual(['SUP-LOT-7']);
    expect(reverse.receipts.map((n) => n.key)).toEqual(['GRN-20261125-001']);
    const forward = await traceReport(sql, {
      tenant: 'T1',
      direction: 'forward',
      query: { lotId: 'SUP-LOT-7' },
    });
    expect(forward.serials.map((n) => n.key)).toEqual([serial.sn]);
  });
});
