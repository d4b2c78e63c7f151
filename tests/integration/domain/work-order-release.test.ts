import { registerOutboxHooks } from '../../../platform/src/events/register-outbox-hooks';
import type { Model } from '../../../metadata/src/model';
import { EntityService } from '../../../platform/src/crud/entity.service';
import type { RequestContext } from '../../../platform/src/crud/types';
import { releaseCreatesLotAndSerials } from '../../../platform/src/domain/production/work-order-release';
import { traceReport } from '../../../platform/src/trace/trace-service';
import { WorkflowService } from '../../../platform/src/workflow/workflow.service';
import { WorkflowEventsTraceTables1764061200000 } from '../../../database/migrations/1764061200000-workflow-events-trace-tables';
import {
  ENGINE_DIALECTS,
  openEngineDatabase,
  type EngineTestDatabase,
} from '../../fixtures/engine/engine-database';
import { coreModel } from '../../fixtures/security/core-model';
import { actor } from '../../fixtures/workflow/purchase-order-workflow';

const planner = actor('planner', ['PLANNER'], ['work_order:release']);

describe.each(ENGINE_DIALECTS)('work order release on the core modules (%s)', (dialect) => {
  let database: EngineTestDatabase;
  let model: Model;
  let ctx: RequestContext;
  let entities: EntityService;
  let workflows: WorkflowService;
  const audits: { action: string; transition?: string; recordId: unknown }[] = [];
  let uomId: unknown;
  let lineId: unknown;

  beforeAll(async () => {
    model = coreModel();
    database = await openEngineDatabase(dialect, 'release', model);
    await database.db.withQueryRunner((runner) => new WorkflowEventsTraceTables1764061200000().up(runner));
    ctx = { tenantId: 'T1', userId: 'planner', traceId: 'trace-release', model };
    entities = new EntityService(database.db);
    workflows = new WorkflowService(database.db, entities, {
      verifyPassword: async () => false,
      transitionHooks: [releaseCreatesLotAndSerials],
    });
    registerOutboxHooks(entities.hooks);
    entities.hooks.on('inTransaction', { entity: '*', action: 'transition' }, ({ transition, record }) => {
      audits.push({ action: 'TRANSITION', transition: transition?.action, recordId: record.id });
    });
    uomId = (await entities.create('unit_of_measure', { uomCode: 'PCS', uomName: 'Pieces' }, ctx)).id;
    const plant = await entities.create('plant', { plantCode: 'P1', plantName: 'Plant 1' }, ctx);
    lineId = (
      await entities.create(
        'production_line',
        { lineCode: 'A01', lineName: 'Line A', plantId: plant.id },
        ctx,
      )
    ).id;
  });
  afterAll(() => database?.drop());

  async function releasedOrder(serialized: boolean, plannedQuantity: number) {
    const item = await entities.create(
      'item_master',
      { itemName: 'Counter', itemType: 'FINISHED', uomId, serialized },
      ctx,
    );
    const order = await entities.create(
      'work_order',
      { itemId: item.id, lineId, plannedQuantity, plannedStart: '2026-12-01T08:00:00Z' },
      ctx,
    );
    return {
      order,
      result: await workflows.fire(ctx, planner, 'work_order', order.id as number, 'release', {}),
    };
  }

  it('creates the lot and one serial per unit in the seed formats, with genealogy and events', async () => {
    const { order, result } = await releasedOrder(true, 3);
    expect(result.record.status).toBe('RELEASED');
    const sql = database.db.executor();
    const lots = await sql.query<{ lot_no: string; lot_quantity: number | string }>(
      `SELECT lot_no, lot_quantity FROM ${model.entities.get('production_lot')!.table} WHERE work_order_id = ?`,
      [order.id],
    );
    expect(lots).toHaveLength(1);
    expect(lots[0]!.lot_no).toMatch(/^LOT-[0-9]{8}-[0-9]{3}$/);
    expect(Number(lots[0]!.lot_quantity)).toBe(3);
    const forward = await traceReport(sql, {
      tenant: 'T1',
      direction: 'forward',
      query: { lotId: lots[0]!.lot_no },
    });
    expect(forward.serials).toHaveLength(3);
    for (const serial of forward.serials) expect(serial.key).toMatch(/^SN-LOT-[0-9]{8}-[0-9]{3}-[0-9]{4}$/);
    const reverse = await traceReport(sql, {
      tenant: 'T1',
      direction: 'reverse',
      query: { sn: forward.serials[0]!.key },
    });
    expect(reverse.workOrders.map((n) => n.key)).toEqual([order.woNo]);
    // The events of the release's transaction (the setup's creates come before it).
    const types = await sql.query<{ event_type: string }>(
      'SELECT event_type FROM evt_outbox WHERE id > (SELECT MAX(id) FROM evt_outbox WHERE event_type = ?) ORDER BY id',
      ['work_order.created'],
    );
    expect(types.map((row) => row.event_type)).toEqual([
      'production_lot.created',
      'serial_number.created',
      'serial_number.created',
      'serial_number.created',
      'work_order.released',
    ]);
  });

  it('creates no serials for an item that is not serial-tracked', async () => {
    const { order } = await releasedOrder(false, 5);
    const serials = await database.db
      .executor()
      .query(`SELECT id FROM ${model.entities.get('serial_number')!.table} WHERE work_order_id = ?`, [
        order.id,
      ]);
    expect(serials).toHaveLength(0);
  });

  it('refuses a fractional quantity of serial-tracked units and keeps the order in DRAFT', async () => {
    const item = await entities.create(
      'item_master',
      { itemName: 'Cash box', itemType: 'FINISHED', uomId, serialized: true },
      ctx,
    );
    const order = await entities.create(
      'work_order',
      { itemId: item.id, lineId, plannedQuantity: 2.5, plannedStart: '2026-12-01T08:00:00Z' },
      ctx,
    );
    await expect(
      workflows.fire(ctx, planner, 'work_order', order.id as number, 'release', {}),
    ).rejects.toMatchObject({
      code: 'BUSINESS_RULE',
    });
    expect((await entities.get('work_order', order.id as number, ctx)).status).toBe('DRAFT');
  });
});
