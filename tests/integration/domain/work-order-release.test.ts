import { registerOutboxHooks } from '../../../platform/src/events/register-outbox-hooks';
import { registerDomainHooks } from '../../../platform/src/generated/domain-hook-registry';
import type { Model } from '../../../metadata/src/model';
import { EntityService } from '../../../platform/src/crud/entity.service';
import type { RequestContext } from '../../../platform/src/crud/types';
import {
  lotStartReleasesSerials,
  releaseCreatesLot,
} from '../../../platform/src/domain/production/work-order-release';
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

const planner = actor('planner', ['PLANNER'], ['work_order:release', 'production_lot:start']);

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
      transitionHooks: [releaseCreatesLot, lotStartReleasesSerials],
    });
    registerDomainHooks(entities.hooks);
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

  /** Passes the lot's first article (as the engine) and starts its mass production. */
  async function startedLot(lotId: number) {
    const sql = database.db.executor();
    await entities.transaction((tx) =>
      entities.updateIn(tx, 'production_lot', lotId, { faiStatus: 'PASS' }, ctx),
    );
    await workflows.fire(ctx, planner, 'production_lot', lotId, 'start', {});
    return sql;
  }

  it('creates the lot at release and one serial per unit only once its FAI passed', async () => {
    const { order, result } = await releasedOrder(true, 3);
    expect(result.record.status).toBe('RELEASED');
    const sql = database.db.executor();
    const lots = await sql.query<{ id: number; lot_no: string; lot_quantity: number | string }>(
      `SELECT id, lot_no, lot_quantity FROM ${model.entities.get('production_lot')!.table} WHERE work_order_id = ?`,
      [order.id],
    );
    expect(lots).toHaveLength(1);
    expect(lots[0]!.lot_no).toMatch(/^LOT-[0-9]{8}-[0-9]{3}$/);
    expect(Number(lots[0]!.lot_quantity)).toBe(3);
    const serialsOf = () =>
      sql.query(`SELECT id FROM ${model.entities.get('serial_number')!.table} WHERE work_order_id = ?`, [
        order.id,
      ]);
    expect(await serialsOf()).toHaveLength(0);
    // The lot's mass production (and with it the serial release) waits for a passed first article.
    await expect(
      workflows.fire(ctx, planner, 'production_lot', Number(lots[0]!.id), 'start', {}),
    ).rejects.toMatchObject({ code: 'BUSINESS_RULE' });
    expect(await serialsOf()).toHaveLength(0);
    await startedLot(Number(lots[0]!.id));
    expect(await serialsOf()).toHaveLength(3);
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
    // The events since the order was created: the release, then the lot's start.
    const events = await sql.query<{ event_type: string; envelope: string }>(
      'SELECT event_type, envelope FROM evt_outbox WHERE id > (SELECT MAX(id) FROM evt_outbox WHERE event_type = ?) ORDER BY id',
      ['work_order.created'],
    );
    expect(events.map((row) => row.event_type)).toEqual([
      'production_lot.created',
      'work_order.released',
      'production_lot.updated',
      'serial_number.created',
      'serial_number.created',
      'serial_number.created',
      'production_lot.started',
    ]);
    const payloadOf = (row: { envelope: string }) =>
      (JSON.parse(row.envelope) as { payload: Record<string, unknown> }).payload;
    expect(payloadOf(events[1]!).wo_no).toBe(order.woNo);
    expect(payloadOf(events[3]!)).toMatchObject({ lot_no: lots[0]!.lot_no, wo_no: order.woNo });
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
