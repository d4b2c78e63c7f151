/**
 * The supplier-lot-to-serial scenario end to end through the HTTP API of the real server, on SQLite (events
 * dispatched in-process) and on MariaDB + Redis (events through the outbox and BullMQ):
 *
 * item and supplier → supplier lot received, IQC passes → work order created, released (lot and
 * serials) and started → the supplier lot issued to it → work reported, order completed into stock →
 * FQC fails one serial → the NCR holds it (its shipment is refused) → rework (repair record) →
 * re-inspection passes → NCR closed → shipped → reverse trace from the serial reaches the supplier
 * lot, forward trace from the supplier lot reaches the serial; every step is in the (intact) audit
 * trail and every event was delivered to the test's webhook consumer exactly once.
 */
import { expectIntactAuditChain } from '../../support/sealed-audit';
import { EngineDatabase } from '../../../platform/src/data/database';
import {
  PASSWORD,
  receiveEvents,
  startMesServer,
  type EventReceiver,
  type MesServer,
  type ScenarioDialect,
} from './mes-server';
import { waitFor } from '../../support/wait-for';
import { TEST_DIALECTS } from '../../support/test-dialects';

type Row = Record<string, unknown>;

const ITEM_FIELDS = ['id', 'lineNo', 'itemKey', 'itemName', 'characteristic', 'standardValue'];
const LIMIT_FIELDS = ['lowerLimit', 'upperLimit', 'unit', 'method'];

describe.each<ScenarioDialect>(TEST_DIALECTS)('supplier lot to serial and back (%s)', (dialect) => {
  let mes: MesServer;
  let events: EventReceiver;
  /** Records every step wrote, as [entity, id, audit action, workflow action?] to find in the audit trail. */
  const steps: [string, unknown, string, string?][] = [];

  beforeAll(async () => {
    mes = await startMesServer(dialect, 'scenario');
    events = await receiveEvents(mes);
  }, 180_000);
  afterAll(async () => {
    await mes?.stop();
    await events?.close();
  });

  async function create(who: Parameters<MesServer['create']>[0], url: string, entity: string, body: object) {
    const record = await mes.create(who, url, body);
    steps.push([entity, record.id, 'CREATE']);
    return record;
  }
  async function act(
    who: Parameters<MesServer['act']>[0],
    path: string,
    entity: string,
    id: unknown,
    action: string,
    body: object = {},
  ) {
    const record = await mes.act(who, `/api/${path}/${String(id)}/actions/${action}`, body);
    steps.push([entity, id, 'TRANSITION', action]);
    return record;
  }
  /** Records check values on an inspection (a PATCH carries its items whole) and returns it judged. */
  async function record(inspection: Row, values: Record<string, string>): Promise<Row> {
    const current = await mes.get('inspector', `/api/inspections/${String(inspection.id)}?expand=items`);
    const items = (current.items as Row[]).map((item) => ({
      ...Object.fromEntries(
        [...ITEM_FIELDS, ...LIMIT_FIELDS].filter((f) => item[f] !== null).map((f) => [f, item[f]]),
      ),
      actualValue: values[String(item.itemKey)],
    }));
    const response = await mes.call('inspector', 'PATCH', `/api/inspections/${String(inspection.id)}`, {
      version: current.version,
      items,
    });
    if (response.statusCode !== 200) throw new Error(`record: ${response.statusCode} ${response.body}`);
    steps.push(['inspection', inspection.id, 'UPDATE']);
    return response.json().data as Row;
  }
  async function inspect(
    type: 'IQC' | 'FQC',
    reference: Row,
    values: Record<string, string>,
    verdict: 'pass' | 'fail',
  ) {
    const inspection = await create('inspector', '/api/inspections', 'inspection', {
      inspectionType: type,
      inspectorId: mes.userIds.inspector,
      inspectionDate: '2026-11-25T09:00:00Z',
      ...reference,
    });
    await act('inspector', 'inspections', 'inspection', inspection.id, 'start');
    const judged = await record(inspection, values);
    expect(judged.result).toBe(verdict === 'pass' ? 'PASS' : 'FAIL');
    const fields =
      verdict === 'fail' ? { fields: { failureReason: 'Output voltage high', problemSeverity: 'HIGH' } } : {};
    return act('inspector', 'inspections', 'inspection', inspection.id, verdict, fields);
  }

  it('runs from the supplier lot to a reworked serial and traces back and forth', async () => {
    // Master data: units, line, locations, supplier, the purchased PCB and the serialized product.
    const uom = await create('admin', '/api/units', 'unit_of_measure', {
      uomCode: 'E2E-PCS',
      uomName: 'Pieces',
    });
    const plant = await create('admin', '/api/plants', 'plant', {
      plantCode: 'E2E-P1',
      plantName: 'Plant E2E',
    });
    const line = await create('admin', '/api/production-lines', 'production_line', {
      lineCode: 'E2EA01',
      lineName: 'Line E2E',
      plantId: plant.id,
    });
    const warehouse = await create('admin', '/api/locations', 'location', {
      locationName: 'Raw',
      locationType: 'WAREHOUSE',
    });
    const lineSide = await create('admin', '/api/locations', 'location', {
      locationName: 'Line side',
      locationType: 'LINE_SIDE',
    });
    const finishedGoods = await create('admin', '/api/locations', 'location', {
      locationName: 'FG',
      locationType: 'WAREHOUSE',
    });
    const supplier = await create('admin', '/api/suppliers', 'supplier_master', {
      supplierName: 'ACME Electronics',
    });
    const pcb = await create('admin', '/api/items', 'item_master', {
      itemName: 'PCB',
      itemType: 'RAW',
      uomId: uom.id,
    });
    const counter = await create('admin', '/api/items', 'item_master', {
      itemName: 'Coin counter',
      itemType: 'FINISHED',
      uomId: uom.id,
      serialized: true,
    });
    await create('admin', '/api/inspection-plans', 'inspection_plan', {
      planCode: 'E2E-IQC-PCB',
      itemId: pcb.id,
      inspectionType: 'IQC',
      status: 'ACTIVE',
      checkItems: [
        {
          item_key: 'THICKNESS',
          lower_limit: 1.5,
          upper_limit: 1.7,
          standard_value: '1.6',
          unit: 'mm',
          method: 'Caliper',
        },
        { item_key: 'VISUAL', method: 'Visual' },
      ],
    });
    await create('admin', '/api/inspection-plans', 'inspection_plan', {
      planCode: 'E2E-FQC-CTR',
      itemId: counter.id,
      inspectionType: 'FQC',
      status: 'ACTIVE',
      checkItems: [
        {
          item_key: 'VOLTAGE',
          lower_limit: 4.9,
          upper_limit: 5.1,
          standard_value: '5.0',
          unit: 'V',
          method: 'DMM',
        },
        { item_key: 'FUNCTION', method: 'Count 100 coins' },
      ],
    });
    const voltageHigh = await create('admin', '/api/qms-codes', 'qms_code', {
      codeType: 'DEFECT',
      code: 'VOLT-01',
      description: 'Output voltage out of tolerance',
    });
    const replaceRegulator = await create('admin', '/api/qms-codes', 'qms_code', {
      codeType: 'ACTION',
      code: 'REPL-U3',
      description: 'Replace the voltage regulator',
    });
    const routing = await create('admin', '/api/routings', 'routing', {
      routingCode: 'E2E-RT',
      itemId: counter.id,
      operations: [{ opSeq: 10, opCode: 'ASSY', opName: 'Assembly' }],
    });

    // Receive the supplier lot; IQC passes and releases its stock.
    const supplierLot = 'ACME-L2611-07';
    await create('clerk', '/api/stock-transactions', 'stock_transaction', {
      transactionType: 'IN',
      itemId: pcb.id,
      lotNo: supplierLot,
      toLocationId: warehouse.id,
      quantity: 100,
      referenceType: 'GRN',
      referenceId: 'GRN-E2E-0001',
      occurredAt: '2026-11-25T08:00:00Z',
    });
    const iqc = await inspect(
      'IQC',
      { refType: 'GRN', refId: 'GRN-E2E-0001', itemId: pcb.id, supplierId: supplier.id, supplierLot },
      { THICKNESS: '1.61', VISUAL: 'OK' },
      'pass',
    );
    expect(iqc).toMatchObject({ status: 'COMPLETED', result: 'PASS' });
    const raw = (await mes.get('clerk', `/api/stock?filter[lotNo][eq]=${supplierLot}`)).items as Row[];
    expect(raw.map((row) => row.status)).toEqual(['AVAILABLE']);

    // Work order: created, released (its lot), started; the supplier lot is issued to it.
    const order = await create('planner', '/api/work-orders', 'work_order', {
      itemId: counter.id,
      lineId: line.id,
      routingId: routing.id,
      plannedQuantity: 3,
      plannedStart: '2026-12-01T08:00:00Z',
    });
    await act('planner', 'work-orders', 'work_order', order.id, 'release');
    await act('admin', 'work-orders', 'work_order', order.id, 'start');
    await create('clerk', '/api/stock-transactions', 'stock_transaction', {
      transactionType: 'ISSUE',
      itemId: pcb.id,
      lotNo: supplierLot,
      fromLocationId: warehouse.id,
      toLocationId: lineSide.id,
      quantity: 3,
      workOrderId: order.id,
      referenceType: 'WO',
      occurredAt: '2026-12-01T08:10:00Z',
    });
    const [lot] = (
      await mes.get('planner', `/api/production-lots?filter[workOrderId][eq]=${String(order.id)}`)
    ).items as Row[];
    await act('inspector', 'production-lots', 'production_lot', lot!.id, 'fai_pass', { password: PASSWORD });
    await act('planner', 'production-lots', 'production_lot', lot!.id, 'start');
    const serials = (
      await mes.get('admin', `/api/serial-numbers?filter[workOrderId][eq]=${String(order.id)}&sort=sn`)
    ).items as Row[];
    expect(serials).toHaveLength(3);

    // Completion: the operation's work report (the serials were released with the lot), the order
    // completed into finished-goods stock.
    const [operation] = await mes.query<{ id: number }>(
      `SELECT id FROM ${mes.table('wo_operation')} WHERE work_order_id = ?`,
      [order.id],
    );
    await create('admin', '/api/work-reports', 'work_report', {
      workOrderId: order.id,
      woOperationId: Number(operation!.id),
      goodQuantity: 3,
      startTime: '2026-12-01T08:15:00Z',
      endTime: '2026-12-01T11:00:00Z',
    });
    const completed = await act('admin', 'work-orders', 'work_order', order.id, 'complete', {
      fields: { receiptLocationId: finishedGoods.id },
    });
    expect(Number(completed.actualQuantity)).toBe(3);

    // FQC of each serial: the second fails, which opens an NCR holding that serial.
    const failing = serials[1]!;
    for (const serial of serials) {
      const bad = serial.id === failing.id;
      await inspect(
        'FQC',
        { refType: 'SN', refId: serial.sn },
        { VOLTAGE: bad ? '5.42' : '5.02', FUNCTION: 'OK' },
        bad ? 'fail' : 'pass',
      );
    }
    const [ncr] = (await mes.get('inspector', `/api/ncrs?filter[serialNumberId][eq]=${String(failing.id)}`))
      .items as Row[];
    expect(ncr).toMatchObject({ source: 'FQC', status: 'OPEN', lotNo: lot!.lotNo, itemId: counter.id });
    steps.push(['ncr', ncr!.id, 'CREATE']);
    const holds = await mes.query<{ id: number | string; status: string }>(
      `SELECT id, status FROM ${mes.table('quality_hold')} WHERE serial_number_id = ?`,
      [failing.id],
    );
    expect(holds.map((hold) => hold.status)).toEqual(['ACTIVE']);
    steps.push(['quality_hold', Number(holds[0]!.id), 'CREATE']);

    // The held serial cannot ship. (No packing API yet: the serials are boxed onto the shipment in SQL.)
    const customer = await create('admin', '/api/customers', 'customer', { customerName: 'Bank of Coins' });
    const shipment = await create('admin', '/api/shipments', 'shipment', {
      customerId: customer.id,
      shipmentDate: '2026-12-02',
    });
    const box = await create('admin', '/api/boxes', 'box', {
      itemId: counter.id,
      workOrderId: order.id,
      lotId: lot!.id,
    });
    // OQC of the box is not part of this scenario: the box is marked passed.
    await mes.query(`UPDATE ${mes.table('box')} SET shipment_id = ?, oqc_result = 'PASS' WHERE id = ?`, [
      shipment.id,
      box.id,
    ]);
    await mes.query(`UPDATE ${mes.table('shipment')} SET total_boxes = 1 WHERE id = ?`, [shipment.id]);
    await mes.query(`UPDATE ${mes.table('serial_number')} SET box_id = ? WHERE work_order_id = ?`, [
      box.id,
      order.id,
    ]);
    const shipping = { fields: { carrier: 'SF Express', trackingNo: 'SF-E2E-1' } };
    const held = await mes.call(
      'admin',
      'POST',
      `/api/shipments/${String(shipment.id)}/actions/ship`,
      shipping,
    );
    expect(held.statusCode).toBe(422);
    expect(held.json().errors[0]).toMatchObject({ rule: 'quality-hold' });
    expect(held.json().message).toContain(String(ncr!.ncrNo));

    // Rework: the NCR is handled, the serial repaired (repair record), and the NCR cannot close before
    // the re-inspection passed.
    await act('inspector', 'ncrs', 'ncr', ncr!.id, 'start', {
      fields: { assigneeId: mes.userIds.inspector, dueDate: '2026-12-10' },
    });
    await act('inspector', 'ncrs', 'ncr', ncr!.id, 'resolve', {
      fields: {
        disposition: 'REWORK',
        rootCause: 'Regulator out of tolerance',
        correctiveAction: 'Replace U3',
      },
    });
    const closing = {
      password: PASSWORD,
      fields: { verificationResult: 'EFFECTIVE', verificationNote: 'Retested' },
    };
    const early = await mes.call('admin', 'POST', `/api/ncrs/${String(ncr!.id)}/actions/close`, closing);
    expect(early.statusCode).toBe(422);
    expect(early.json().errors[0]).toMatchObject({ rule: 'rework-reinspection' });
    const repair = await create('admin', '/api/repair-records', 'repair_record', {
      serialNumberId: failing.id,
      defectCodeId: voltageHigh.id,
      technicianId: mes.userIds.admin,
    });
    await act('admin', 'repair-records', 'repair_record', repair.id, 'start');
    await act('admin', 'repair-records', 'repair_record', repair.id, 'complete', {
      fields: { result: 'SUCCESS', repairType: 'REPLACE', actionCodeId: replaceRegulator.id },
    });
    await act('inspector', 'repair-records', 'repair_record', repair.id, 'verify', {
      fields: { verificationResult: 'PASS' },
    });
    const reinspection = await inspect(
      'FQC',
      { refType: 'SN', refId: failing.sn },
      { VOLTAGE: '5.01', FUNCTION: 'OK' },
      'pass',
    );
    expect(reinspection.result).toBe('PASS');
    const closed = await act('admin', 'ncrs', 'ncr', ncr!.id, 'close', closing);
    expect(closed.status).toBe('CLOSED');
    const [released] = await mes.query<{ status: string; disposition: string }>(
      `SELECT status, disposition FROM ${mes.table('quality_hold')} WHERE id = ?`,
      [holds[0]!.id],
    );
    expect(released).toEqual({ status: 'RELEASED', disposition: 'REWORK' });
    steps.push(['quality_hold', Number(holds[0]!.id), 'UPDATE']);
    const shipped = await act('admin', 'shipments', 'shipment', shipment.id, 'ship', shipping);
    expect(shipped.status).toBe('SHIPPED');
    const repaired = await mes.get('admin', `/api/repair-records/${String(repair.id)}`);
    expect(repaired).toMatchObject({ status: 'VERIFIED', result: 'SUCCESS', serialNumberId: failing.id });

    // Trace: the serial reaches the supplier lot and its receipt; the supplier lot reaches the serial.
    const reverse = await mes.get('admin', `/api/trace/reverse?sn=${String(failing.sn)}`);
    const keysOf = (nodes: unknown) => (nodes as { key: string }[]).map((node) => node.key);
    expect(keysOf(reverse.supplierLots)).toEqual([supplierLot]);
    expect(keysOf(reverse.receipts)).toEqual(['GRN-E2E-0001']);
    expect(keysOf(reverse.lots)).toEqual([lot!.lotNo]);
    expect(keysOf(reverse.workOrders)).toEqual([order.woNo]);
    expect(keysOf(reverse.inspections)).toEqual(expect.arrayContaining([iqc.inspNo, reinspection.inspNo]));
    const forward = await mes.get('admin', `/api/trace/forward?lotId=${supplierLot}`);
    expect(keysOf(forward.serials).sort()).toEqual(serials.map((serial) => serial.sn).sort());
    expect(keysOf(forward.serials)).toContain(failing.sn);

    // Every step is in the audit trail, and the trail is intact.
    const audit = await mes.query<{
      entity_name: string;
      record_id: string;
      action: string;
      transition: string | null;
    }>('SELECT entity_name, record_id, action, transition FROM audit_log');
    const trail = new Set(
      audit.map((row) => `${row.entity_name}/${row.record_id}/${row.action}/${row.transition ?? ''}`),
    );
    const missing = steps
      .map(([entity, id, action, transition]) => `${entity}/${String(id)}/${action}/${transition ?? ''}`)
      .filter((step) => !trail.has(step));
    expect(missing).toEqual([]);
    await expectIntactAuditChain(new EngineDatabase(mes.server.dataSource));

    // Every event was published (through BullMQ on MariaDB + Redis) and consumed exactly once.
    await mes.drained();
    await eventuallyDelivered(mes, events);
    if (dialect === 'mysql') expect(await mes.queueKeys()).toBeGreaterThan(0);
    else expect(await mes.queueKeys()).toBe(0);
    const outbox = await mes.query<{ event_id: string; event_type: string; dead_at: unknown }>(
      'SELECT event_id, event_type, dead_at FROM evt_outbox ORDER BY id',
    );
    expect(outbox.filter((event) => event.dead_at !== null)).toEqual([]);
    const types = new Set(outbox.map((event) => event.event_type));
    for (const type of [
      'inspection.created',
      'inspection.completed',
      'inspection.failed',
      'work_order.released',
      'serial_number.created',
      'stock.transaction_posted',
      'work_report.created',
      'ncr.created',
      'quality_hold.created',
      'quality_hold.released',
      'ncr.closed',
      'shipment.created',
    ])
      expect(types).toContain(type);
    const deliveries = outbox.map((event) => events.deliveries.get(event.event_id)?.count ?? 0);
    expect(deliveries.filter((count) => count !== 1)).toEqual([]);
    expect(events.deliveries.size).toBe(outbox.length);
    const processed = await mes.query<{ event_id: string; n: number | string }>(
      "SELECT event_id, COUNT(*) AS n FROM evt_processed WHERE consumer = 'webhooks' GROUP BY event_id",
    );
    expect(processed).toHaveLength(outbox.length);
    expect(processed.every((row) => Number(row.n) === 1)).toBe(true);
  }, 240_000);
});

/** The webhook consumer records a delivery after the receiver answered; wait until each event arrived. */
async function eventuallyDelivered(mes: MesServer, events: EventReceiver): Promise<void> {
  await waitFor('every event to reach the webhook receiver', async () => {
    const [row] = await mes.query<{ n: number | string }>('SELECT COUNT(*) AS n FROM evt_outbox');
    return events.deliveries.size >= Number(row!.n);
  });
}
