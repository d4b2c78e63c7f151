import type { Model } from '../../../metadata/src/model';
import { EntityService } from '../../../platform/src/crud/entity.service';
import { HookRegistry } from '../../../platform/src/crud/hooks';
import type { EntityRecord, RequestContext } from '../../../platform/src/crud/types';
import { hooks as stockTransactionHooks } from '../../../platform/src/domain/inventory/stock-transaction.hooks';
import { hooks as productionLotHooks } from '../../../platform/src/domain/production/production-lot.hooks';
import { workOrderTransitionHooks } from '../../../platform/src/domain/production/work-order-transitions';
import { hooks as workReportHooks } from '../../../platform/src/domain/production/work-report.hooks';
import { registerAuditHooks } from '../../../platform/src/audit/audit-hooks';
import { registerOutboxHooks } from '../../../platform/src/events/register-outbox-hooks';
import { registerEntityHooks } from '../../../platform/src/generated/domain-hooks';
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

const supervisor = actor(
  '7',
  ['SUPERVISOR'],
  ['work_order:release', 'work_order:start', 'work_order:complete'],
);

describe.each(ENGINE_DIALECTS)('work reports and completion on the core modules (%s)', (dialect) => {
  let database: EngineTestDatabase;
  let model: Model;
  let ctx: RequestContext;
  let entities: EntityService;
  let workflows: WorkflowService;
  const ids: Record<string, number> = {};

  const table = (entity: string) => model.entities.get(entity)!.table;
  const sql = () => database.db.executor();
  const count = async (from: string, where = '1 = 1', params: unknown[] = []) =>
    Number(
      (await sql().query<{ n: number }>(`SELECT COUNT(*) AS n FROM ${from} WHERE ${where}`, params))[0]!.n,
    );
  const row = async (entity: string, id: number) =>
    (await sql().query<Record<string, unknown>>(`SELECT * FROM ${table(entity)} WHERE id = ?`, [id]))[0]!;
  /** Everything a refused step could have written, to compare before and after. */
  const footprint = async () => ({
    reports: await count(table('work_report')),
    traceEvents: await count(table('trace_event')),
    movements: await count(table('stock_transaction')),
    stock: await count(table('stock')),
    edges: await count('trace_genealogy'),
    events: await count('evt_outbox'),
  });

  beforeAll(async () => {
    model = coreModel();
    database = await openEngineDatabase(dialect, 'wo_reports', model);
    await database.db.withQueryRunner((runner) => new WorkflowEventsTraceTables1764061200000().up(runner));
    ctx = { tenantId: 'T1', userId: '7', traceId: 'trace-reports', model };
    const hooks = new HookRegistry();
    registerEntityHooks(hooks, 'stock_transaction', stockTransactionHooks);
    registerEntityHooks(hooks, 'production_lot', productionLotHooks);
    registerEntityHooks(hooks, 'work_report', workReportHooks);
    registerOutboxHooks(hooks);
    entities = new EntityService(database.db, hooks);
    workflows = new WorkflowService(database.db, entities, {
      verifyPassword: async () => false,
      transitionHooks: workOrderTransitionHooks(entities),
    });
    const create = async (entity: string, body: EntityRecord) =>
      (await entities.create(entity, body, ctx)).id as number;
    const production = await create('department', { deptCode: 'PRD', deptName: 'Production' });
    ids.operator = await create('user', { username: 'li.wei', realName: 'Li Wei', departmentId: production });
    ids.uom = await create('unit_of_measure', { uomCode: 'PCS', uomName: 'Pieces' });
    ids.defect = await create('qms_code', {
      codeType: 'DEFECT',
      code: 'SOLDER-01',
      description: 'Solder bridge',
    });
    const plant = await create('plant', { plantCode: 'P1', plantName: 'Plant 1' });
    ids.line = await create('production_line', { lineCode: 'A01', lineName: 'Line A', plantId: plant });
    ids.station = await create('workstation', {
      stationCode: 'ST-1',
      stationName: 'SMT 1',
      lineId: ids.line,
    });
    ids.product = await create('item_master', {
      itemName: 'Banknote counter',
      itemType: 'FINISHED',
      uomId: ids.uom,
      unitCost: 12.5,
    });
    ids.routing = await create('routing', {
      routingCode: 'RT-COUNTER',
      itemId: ids.product,
      operations: [
        { opSeq: 10, opCode: 'SMT', opName: 'Surface mount', workstationId: ids.station },
        { opSeq: 20, opCode: 'ASSY', opName: 'Assembly' },
      ],
    });
    ids.finished = await create('location', { locationName: 'FG store', locationType: 'WAREHOUSE' });
    ids.blocked = await create('location', {
      locationName: 'FG store B',
      locationType: 'WAREHOUSE',
      status: 'BLOCKED',
    });
  });
  afterAll(() => database?.drop());

  async function startedOrder(plannedQuantity = 10) {
    const order = await entities.create(
      'work_order',
      {
        itemId: ids.product,
        lineId: ids.line,
        routingId: ids.routing,
        plannedQuantity,
        plannedStart: '2026-12-01T08:00:00Z',
      },
      ctx,
    );
    const id = order.id as number;
    await workflows.fire(ctx, supervisor, 'work_order', id, 'release', {});
    await workflows.fire(ctx, supervisor, 'work_order', id, 'start', {});
    const operations = await sql().query<{ id: number; op_seq: number; op_code: string }>(
      `SELECT id, op_seq, op_code FROM ${table('wo_operation')} WHERE work_order_id = ? ORDER BY op_seq`,
      [id],
    );
    const [lot] = await sql().query<{ id: number; lot_no: string }>(
      `SELECT id, lot_no FROM ${table('production_lot')} WHERE work_order_id = ?`,
      [id],
    );
    return { id, woNo: String(order.woNo), operations: operations.map((op) => Number(op.id)), lot: lot! };
  }

  const report = (workOrderId: number, woOperationId: number, body: EntityRecord) =>
    entities.create(
      'work_report',
      {
        workOrderId,
        woOperationId,
        operatorId: ids.operator,
        workstationId: ids.station,
        startTime: '2026-12-01T08:00:00Z',
        endTime: '2026-12-01T09:30:00Z',
        // Scrap needs its reason (metadata requiredWhen).
        ...(Number(body.scrapQuantity ?? 0) > 0 ? { defectCodeId: ids.defect } : {}),
        ...body,
      },
      ctx,
    );

  it('snapshots the routing at start and books good and scrap on operation, lot and order with genealogy and events', async () => {
    const order = await startedOrder(10);
    expect(order.operations).toHaveLength(2);
    const [smt, assy] = order.operations as [number, number];
    expect(await row('wo_operation', smt)).toMatchObject({ op_code: 'SMT', status: 'PENDING' });
    expect(Number((await row('wo_operation', smt)).planned_quantity)).toBe(10);
    const eventsBefore = await count('evt_outbox');

    const first = await report(order.id, smt, { goodQuantity: 8, scrapQuantity: 1 });
    expect(first.reportNo).toMatch(/^WR-[0-9]{8}-[0-9]{4}$/);
    const smtRow = await row('wo_operation', smt);
    expect([Number(smtRow.completed_quantity), Number(smtRow.rejected_quantity), smtRow.status]).toEqual([
      8,
      1,
      'IN_PROGRESS',
    ]);
    // Only the last operation's good output is the order's; scrap of every operation is.
    let wo = await row('work_order', order.id);
    expect([Number(wo.actual_quantity), Number(wo.scrap_quantity)]).toEqual([0, 1]);

    const second = await report(order.id, assy, { goodQuantity: 7, scrapQuantity: 1 });
    wo = await row('work_order', order.id);
    expect([Number(wo.actual_quantity), Number(wo.scrap_quantity)]).toEqual([7, 2]);
    const lot = await row('production_lot', order.lot.id);
    expect([Number(lot.good_quantity), Number(lot.scrap_quantity)]).toEqual([7, 2]);
    expect(Number((await row('work_report', second.id as number)).lot_id)).toBe(order.lot.id);

    const reverse = await traceReport(sql(), {
      tenant: 'T1',
      direction: 'reverse',
      query: { lotId: order.lot.lot_no },
    });
    expect(reverse.operations.map((node) => node.key).sort()).toEqual(
      [first.reportNo, second.reportNo].sort(),
    );
    expect(reverse.workOrders.map((node) => node.key)).toEqual([order.woNo]);
    const traceEvents = await sql().query<{ op_code: string; operator_id: number; workstation_id: number }>(
      `SELECT op_code, operator_id, workstation_id FROM ${table('trace_event')} WHERE ref_id IN (?, ?) ORDER BY op_code`,
      [first.reportNo, second.reportNo],
    );
    expect(traceEvents.map((e) => [e.op_code, Number(e.operator_id), Number(e.workstation_id)])).toEqual([
      ['ASSY', ids.operator, ids.station],
      ['SMT', ids.operator, ids.station],
    ]);
    const types = await sql().query<{ event_type: string }>(
      'SELECT event_type FROM evt_outbox WHERE id > ? ORDER BY id',
      [eventsBefore],
    );
    // The counters change through the record-change path: each report updates the order, the
    // operation and the lot, with their events.
    expect(types.map((e) => e.event_type).sort()).toEqual([
      'production_lot.updated',
      'production_lot.updated',
      'trace.event.created',
      'trace.event.created',
      'wo_operation.updated',
      'wo_operation.updated',
      'work_order.updated',
      'work_order.updated',
      'work_report.created',
      'work_report.created',
    ]);

    // 7 + 1 are booked on ASSY, and SMT delivered 8 good: one more is an over-report, and writes nothing.
    const before = await footprint();
    await expect(report(order.id, assy, { goodQuantity: 1 })).rejects.toMatchObject({
      code: 'BUSINESS_RULE',
      details: { rule: 'over-report', limit: 8, reported: 8 },
    });
    expect(await footprint()).toEqual(before);
    wo = await row('work_order', order.id);
    expect([Number(wo.actual_quantity), Number(wo.scrap_quantity)]).toEqual([7, 2]);
    expect(Number((await row('wo_operation', assy)).completed_quantity)).toBe(7);
  });

  it('refuses a report on a draft order, on another order’s operation, of nothing, or above the plan', async () => {
    const draft = await entities.create(
      'work_order',
      {
        itemId: ids.product,
        lineId: ids.line,
        plannedQuantity: 5,
        plannedStart: '2026-12-01T08:00:00Z',
        operations: [{ opSeq: 10, opCode: 'ASSY', opName: 'Assembly', plannedQuantity: 5 }],
      },
      ctx,
    );
    const [draftOperation] = await sql().query<{ id: number }>(
      `SELECT id FROM ${table('wo_operation')} WHERE work_order_id = ?`,
      [draft.id],
    );
    const order = await startedOrder(10);
    const before = await footprint();
    await expect(
      report(draft.id as number, Number(draftOperation!.id), { goodQuantity: 1 }),
    ).rejects.toMatchObject({ code: 'BUSINESS_RULE', details: { rule: 'work-order-state', state: 'DRAFT' } });
    await expect(report(order.id, Number(draftOperation!.id), { goodQuantity: 1 })).rejects.toMatchObject({
      code: 'BUSINESS_RULE',
      details: { rule: 'belongs-to', errors: [{ path: '/woOperationId' }] },
    });
    await expect(report(order.id, order.operations[0]!, { goodQuantity: 0 })).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
      details: { errors: [{ path: '/goodQuantity', rule: 'positive-total' }] },
    });
    await expect(report(order.id, order.operations[0]!, { goodQuantity: -2 })).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
      details: { errors: [expect.objectContaining({ path: '/goodQuantity' })] },
    });
    await expect(
      report(order.id, order.operations[0]!, { goodQuantity: 10, scrapQuantity: 1 }),
    ).rejects.toMatchObject({ code: 'BUSINESS_RULE', details: { rule: 'over-report', limit: 10 } });
    expect(await footprint()).toEqual(before);
    expect(await row('work_order', draft.id as number)).toMatchObject({ status: 'DRAFT' });
  });

  it('lets a tenant allow over-reporting by a configured percentage', async () => {
    const order = await startedOrder(10);
    const setting = await entities.create(
      'sys_config',
      { configKey: 'production.over_report_tolerance_percent', configValue: '10', valueType: 'NUMBER' },
      ctx,
    );
    try {
      await report(order.id, order.operations[0]!, { goodQuantity: 11 });
      await expect(report(order.id, order.operations[0]!, { goodQuantity: 1 })).rejects.toMatchObject({
        details: { rule: 'over-report', limit: 11 },
      });
      expect(await row('wo_operation', order.operations[0]!)).toMatchObject({ status: 'COMPLETED' });
    } finally {
      await entities.remove('sys_config', setting.id as number, ctx);
    }
  });

  it('lets concurrent reports on one operation book at most what it may take', async () => {
    const order = await startedOrder(10);
    const outcomes = await Promise.allSettled(
      Array.from({ length: 4 }, () => report(order.id, order.operations[0]!, { goodQuantity: 3 })),
    );
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(3);
    const refused = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
    expect(refused.map((o) => (o.reason as { details?: { rule?: string } }).details?.rule)).toEqual([
      'over-report',
    ]);
    expect(Number((await row('wo_operation', order.operations[0]!)).completed_quantity)).toBe(9);
    expect(await count(table('work_report'), 'work_order_id = ?', [order.id])).toBe(3);
  });

  it('books the counters as record changes: a work order hook sees them, and each has its audit record', async () => {
    const order = await startedOrder(10);
    const seen: [unknown, unknown][] = [];
    const removeHook = entities.hooks.on(
      'inTransaction',
      { entity: 'work_order', action: 'update' },
      ({ record, previous }) => {
        if (record.id === order.id) seen.push([previous?.scrapQuantity, record.scrapQuantity]);
      },
    );
    const removeAudit = registerAuditHooks(entities.hooks);
    try {
      const posted = await report(order.id, order.operations[0]!, { goodQuantity: 4, scrapQuantity: 2 });
      expect(seen).toEqual([[0, 2]]);
      // Audited only while this report is posted: its own records, each once.
      const audits = await sql().query<{ entity_name: string; record_id: string; action: string }>(
        `SELECT entity_name, record_id, action FROM audit_log
          WHERE entity_name IN ('work_order', 'wo_operation', 'production_lot', 'work_report')`,
      );
      expect(audits.map((a) => `${a.entity_name}/${a.record_id}/${a.action}`).sort()).toEqual(
        [
          `production_lot/${order.lot.id}/UPDATE`,
          `wo_operation/${order.operations[0]}/UPDATE`,
          `work_order/${order.id}/UPDATE`,
          `work_report/${String(posted.id)}/CREATE`,
        ].sort(),
      );
    } finally {
      removeHook();
      removeAudit();
    }
  });

  it('writes the lot a report books into with the report, so its response and its event carry it', async () => {
    const order = await startedOrder(10);
    const posted = await report(order.id, order.operations[0]!, { goodQuantity: 2 });
    expect(posted.lotId).toBe(order.lot.id);
    expect(Number((await row('work_report', posted.id as number)).lot_id)).toBe(order.lot.id);
    const [created] = await sql().query<{ envelope: string }>(
      "SELECT envelope FROM evt_outbox WHERE event_type = 'work_report.created' AND entity_id = ?",
      [String(posted.id)],
    );
    const { payload } = JSON.parse(created!.envelope) as { payload: Record<string, unknown> };
    expect(payload.lotId).toBe(order.lot.id);
  });

  it('keeps what a posted report booked', async () => {
    const order = await startedOrder(10);
    const posted = await report(order.id, order.operations[0]!, { goodQuantity: 2 });
    await expect(
      entities.update('work_report', posted.id as number, { goodQuantity: 5, version: posted.version }, ctx),
    ).rejects.toMatchObject({ code: 'BUSINESS_RULE', details: { errors: [{ path: '/goodQuantity' }] } });
    await expect(entities.remove('work_report', posted.id as number, ctx)).rejects.toMatchObject({
      code: 'BUSINESS_RULE',
    });
    const edited = await entities.update(
      'work_report',
      posted.id as number,
      { remarks: 'nozzle changed', version: posted.version },
      ctx,
    );
    expect(edited.remarks).toBe('nozzle changed');
  });

  it('completion receives the good quantity into the lot through the stock hooks, or nothing at all', async () => {
    const order = await startedOrder(6);
    const [smt, assy] = order.operations as [number, number];
    await report(order.id, smt, { goodQuantity: 6 });
    await report(order.id, assy, { goodQuantity: 5, scrapQuantity: 1 });
    const complete = (receiptLocationId?: number) =>
      workflows.fire(ctx, supervisor, 'work_order', order.id, 'complete', {
        fields: receiptLocationId === undefined ? {} : { receiptLocationId },
      });

    await expect(complete()).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
      details: { errors: [{ path: '/fields/receiptLocationId' }] },
    });
    // A receipt into a blocked location is refused, and the completion with it.
    const before = await footprint();
    await expect(complete(ids.blocked)).rejects.toMatchObject({
      code: 'BUSINESS_RULE',
      details: { rule: 'active-location' },
    });
    expect(await footprint()).toEqual(before);
    expect(await row('work_order', order.id)).toMatchObject({ status: 'IN_PROGRESS' });

    const result = await complete(ids.finished);
    expect(result.record).toMatchObject({ status: 'COMPLETED', actualQuantity: 5 });
    expect(Number(result.record.yieldRate)).toBeCloseTo(83.33, 2);
    const receipts = await sql().query<{ transaction_type: string; lot_no: string; quantity: number }>(
      `SELECT transaction_type, lot_no, quantity FROM ${table('stock_transaction')} WHERE work_order_id = ?`,
      [order.id],
    );
    expect(receipts.map((r) => [r.transaction_type, r.lot_no, Number(r.quantity)])).toEqual([
      ['PRODUCTION_RECEIPT', order.lot.lot_no, 5],
    ]);
    const [balance] = await sql().query<{ quantity: number; available_quantity: number }>(
      `SELECT quantity, available_quantity FROM ${table('stock')} WHERE lot_no = ? AND location_id = ?`,
      [order.lot.lot_no, ids.finished],
    );
    expect([Number(balance!.quantity), Number(balance!.available_quantity)]).toEqual([5, 5]);
    const types = await sql().query<{ event_type: string }>(
      'SELECT event_type FROM evt_outbox WHERE id > (SELECT MAX(id) FROM evt_outbox) - 2 ORDER BY id',
    );
    expect(types.map((e) => e.event_type)).toEqual(['stock.transaction_posted', 'work_order.completed']);
    await expect(report(order.id, assy, { scrapQuantity: 0.5 })).rejects.toMatchObject({
      details: { rule: 'work-order-state', state: 'COMPLETED' },
    });
  });
});
