/**
 * The plant acceptance scenarios over HTTP, each step as the role the scenario names, on SQLite
 * (events in-process) and on MariaDB + Redis (events through BullMQ): one server per dialect, the
 * scenarios in order on one plant, each building on the records of the ones before.
 */
import { EngineDatabase } from '../../platform/src/data/database';
import { expectIntactAuditChain } from '../support/sealed-audit';
import { waitFor, waitForValue } from '../support/wait-for';
import {
  PASSWORD,
  startMesServer,
  type MesServer,
  type ScenarioDialect,
  type Who,
} from '../integration/scenario/mes-server';
import { TEST_DIALECTS } from '../support/test-dialects';

type Row = Record<string, unknown>;

const SUPPLIER_CODE = /^SUP-[A-Z0-9]{5}$/;
const ITEM_CODE = /^ITM-[0-9]{6}-[0-9]{4}$/;
const WO_NO = /^WO-L1-[0-9]{4}$/;
const LOT_NO = /^LOT-[0-9]{8}-[0-9]{3}$/;
const SN = /^SN-LOT-[0-9]{8}-[0-9]{3}-[0-9]{4}$/;
const LOT_SIZE = 500;

describe.each<ScenarioDialect>(TEST_DIALECTS)('plant acceptance scenarios (%s)', (dialect) => {
  let mes: MesServer;
  /** What the scenarios made, for the ones after them. */
  const plant: Record<string, Row> = {};

  beforeAll(async () => {
    mes = await startMesServer(dialect, 'acceptance');
  }, 180_000);
  afterAll(async () => {
    await mes?.stop();
  });

  const act = (who: Who, path: string, id: unknown, action: string, body: object = {}) =>
    mes.act(who, `/api/${path}/${String(id)}/actions/${action}`, body);
  const items = async (who: Who, url: string) => (await mes.get(who, url)).items as Row[];
  /** The outbox events about a record, oldest first, with their payloads. */
  const eventsOf = async (entity: string, id: unknown) =>
    (
      await mes.query<{ event_type: string; envelope: string }>(
        'SELECT event_type, envelope FROM evt_outbox WHERE entity = ? AND entity_id = ? ORDER BY id',
        [entity, String(id)],
      )
    ).map((row) => ({
      type: row.event_type,
      payload: (JSON.parse(row.envelope) as { payload: Row }).payload,
    }));
  const auditOf = (entity: string, id: unknown) =>
    mes.query<{ action: string; transition: string | null; actor_id: string }>(
      'SELECT action, transition, actor_id FROM audit_log WHERE entity_name = ? AND record_id = ? ORDER BY id',
      [entity, String(id)],
    );

  it('1 master data: client codes from an ERP are kept, generated ones follow their pattern, a duplicate is 409', async () => {
    const uom = await mes.create('admin', '/api/units', { uomCode: 'PCS', uomName: 'Pieces' });
    const supplier = await mes.create('admin', '/api/suppliers', {
      supplierCode: 'SUP-ACME1',
      supplierName: 'ACME Electronics',
      qualityRating: 4.8,
    });
    expect(supplier).toMatchObject({ supplierCode: 'SUP-ACME1', qualityRating: 4.8 });
    const pcb = await mes.create('admin', '/api/items', {
      itemCode: 'ITM-202501-0001',
      itemName: 'PCB',
      itemType: 'RAW',
      uomId: uom.id,
      defaultSupplierId: supplier.id,
    });
    expect(pcb.itemCode).toBe('ITM-202501-0001');
    const counter = await mes.create('admin', '/api/items', {
      itemCode: 'ITM-202501-2001',
      itemName: 'Coin counter',
      itemType: 'FINISHED',
      uomId: uom.id,
      serialized: true,
    });
    const mold = await mes.create('admin', '/api/molds', {
      moldName: 'Housing mold',
      supplierId: supplier.id,
      moldType: 'INJECTION',
    });
    expect(mold.moldCode).toBe('MLD-SUP-ACME1-0001');
    // A code without a client value is generated; one that does not match the pattern is refused.
    const generated = await mes.create('admin', '/api/suppliers', { supplierName: 'Bolt Works' });
    expect(generated.supplierCode).toMatch(SUPPLIER_CODE);
    const malformed = await mes.call('admin', 'POST', '/api/items', {
      itemCode: 'PCB-1',
      itemName: 'Bad code',
      itemType: 'RAW',
      uomId: uom.id,
    });
    expect(malformed.statusCode).toBe(422);
    expect(malformed.json().errors[0]).toMatchObject({ field: 'itemCode', rule: 'pattern' });
    const duplicate = await mes.call('admin', 'POST', '/api/items', {
      itemCode: 'ITM-202501-0001',
      itemName: 'PCB again',
      itemType: 'RAW',
      uomId: uom.id,
    });
    expect(duplicate.statusCode).toBe(409);
    expect(duplicate.json()).toMatchObject({ code: 'DUPLICATE_VALUE' });
    // The code is the client's only on create.
    const renamed = await mes.call('admin', 'PATCH', `/api/items/${String(pcb.id)}`, {
      version: pcb.version,
      itemCode: 'ITM-202501-0009',
    });
    expect(renamed.statusCode).toBe(422);
    for (const code of [supplier.supplierCode, generated.supplierCode]) expect(code).toMatch(SUPPLIER_CODE);
    for (const code of [pcb.itemCode, counter.itemCode]) expect(code).toMatch(ITEM_CODE);
    Object.assign(plant, { uom, supplier, pcb, counter, mold });
  });

  it('2 routing: the process engineer lays down six operations with their sampling plans and activates them with a signature; a duplicate sequence is refused', async () => {
    // SMT, DIP and ASSY are sampled at AQL II with 32 pieces; the two tests check every unit.
    const operations = ['SMT', 'DIP', 'ASSY', 'TEST1', 'TEST2', 'PACK'].map((code, index) => ({
      opSeq: index + 1,
      opCode: code,
      opName: code,
      opType: code.startsWith('TEST') ? 'TEST' : code === 'PACK' ? 'PACK' : 'PROCESS',
      samplePlan: code.startsWith('TEST') ? { type: 'FULL' } : { type: 'AQL', level: 'II', sample_size: 32 },
    }));
    const duplicate = await mes.call('engineer', 'POST', '/api/routings', {
      routingCode: 'RT-CTR-DUP',
      itemId: plant.counter!.id,
      operations: [...operations, { opSeq: 6, opCode: 'PACK2', opName: 'Pack again' }],
    });
    expect(duplicate.statusCode).toBe(409);
    expect(duplicate.json()).toMatchObject({ code: 'DUPLICATE_VALUE' });
    // Routings belong to process engineering: the planner reads them and writes none.
    const planned = await mes.call('planner', 'POST', '/api/routings', {
      routingCode: 'RT-CTR-PLN',
      itemId: plant.counter!.id,
      operations,
    });
    expect(planned.statusCode).toBe(403);
    const routing = await mes.create('engineer', '/api/routings', {
      routingCode: 'RT-CTR',
      itemId: plant.counter!.id,
      operations,
    });
    expect(routing.status).toBe('DRAFT');
    const active = await act('engineer', 'routings', routing.id, 'activate', { password: PASSWORD });
    expect(active.status).toBe('ACTIVE');
    const stored = await mes.get('planner', `/api/routings/${String(routing.id)}?expand=operations`);
    expect((stored.operations as Row[]).map((op) => [op.opSeq, op.opCode, op.samplePlan])).toEqual(
      operations.map((op) => [op.opSeq, op.opCode, op.samplePlan]),
    );
    expect(
      (await auditOf('routing', routing.id)).map((row) => [row.action, row.transition, row.actor_id]),
    ).toEqual([
      ['CREATE', null, String(mes.userIds.engineer)],
      ['TRANSITION', 'activate', String(mes.userIds.engineer)],
    ]);
    plant.routing = routing;
  });

  it('6 work order lifecycle: DRAFT → RELEASED → IN_PROGRESS with events and audit; DRAFT → COMPLETED is 422', async () => {
    const factory = await mes.create('admin', '/api/plants', { plantCode: 'P1', plantName: 'Plant 1' });
    const line = await mes.create('admin', '/api/production-lines', {
      lineCode: 'L1',
      lineName: 'Line 1',
      plantId: factory.id,
    });
    const operator = await mes.get('admin', `/api/users/${mes.userIds.operator}`);
    const member = await mes.call('admin', 'PATCH', `/api/users/${mes.userIds.operator}`, {
      version: operator.version,
      linesIds: [line.id],
    });
    expect(member.statusCode).toBe(200);
    const leader = await mes.get('admin', `/api/users/${mes.userIds.leader}`);
    const leads = await mes.call('admin', 'PATCH', `/api/users/${mes.userIds.leader}`, {
      version: leader.version,
      linesIds: [line.id],
    });
    expect(leads.statusCode).toBe(200);
    await mes.signIn('operator');
    await mes.signIn('leader');
    const order = await mes.create('planner', '/api/work-orders', {
      itemId: plant.counter!.id,
      lineId: line.id,
      routingId: plant.routing!.id,
      plannedQuantity: LOT_SIZE,
      priority: 'HIGH',
      plannedStart: '2026-12-01T08:00:00Z',
    });
    expect(order.woNo).toMatch(WO_NO);
    const early = await mes.call(
      'planner',
      'POST',
      `/api/work-orders/${String(order.id)}/actions/complete`,
      {},
    );
    expect(early.statusCode).toBe(403);
    const skipped = await mes.call('admin', 'POST', `/api/work-orders/${String(order.id)}/actions/complete`, {
      fields: {},
    });
    expect(skipped.statusCode).toBe(422);
    expect(skipped.json()).toMatchObject({ code: 'BUSINESS_RULE' });
    expect((await act('planner', 'work-orders', order.id, 'release')).status).toBe('RELEASED');
    const started = await act('operator', 'work-orders', order.id, 'start');
    expect(started.status).toBe('IN_PROGRESS');
    expect(started.actualStart).toEqual(expect.any(String));
    const events = await eventsOf('work_order', order.id);
    expect(events.map((event) => event.type)).toEqual([
      'work_order.created',
      'work_order.released',
      'work_order.started',
    ]);
    for (const event of events.slice(1)) expect(event.payload.wo_no).toBe(order.woNo);
    const audit = await auditOf('work_order', order.id);
    expect(audit.map((row) => [row.action, row.transition])).toEqual([
      ['CREATE', null],
      ['TRANSITION', 'release'],
      ['TRANSITION', 'start'],
    ]);
    expect(audit.map((row) => row.actor_id)).toEqual(
      [mes.userIds.planner, mes.userIds.planner, mes.userIds.operator].map(String),
    );
    // The routing snapshot the start took.
    const snapshot = (await mes.get('operator', `/api/work-orders/${String(order.id)}?expand=operations`))
      .operations as Row[];
    expect(snapshot.map((op) => op.opCode)).toEqual(['SMT', 'DIP', 'ASSY', 'TEST1', 'TEST2', 'PACK']);
    Object.assign(plant, { line, order: started, operations: snapshot });
  });

  it('6 work order completion: the operator completes it, the yield is stored at its scale, and it is locked', async () => {
    const housing = await mes.create('admin', '/api/items', {
      itemName: 'Counter housing',
      itemType: 'COMPONENT',
      uomId: plant.uom!.id,
    });
    const scratch = await mes.create('admin', '/api/qms-codes', {
      codeType: 'DEFECT',
      code: 'SCRATCH-01',
      description: 'Scratched surface',
    });
    const store = await mes.create('admin', '/api/locations', {
      locationName: 'FG store',
      locationType: 'WAREHOUSE',
    });
    const order = await mes.create('planner', '/api/work-orders', {
      itemId: housing.id,
      lineId: plant.line!.id,
      plannedQuantity: 6,
      plannedStart: '2026-12-01T08:00:00Z',
      operations: [{ opSeq: 1, opCode: 'MOLD', opName: 'Moulding', plannedQuantity: 6 }],
    });
    await act('planner', 'work-orders', order.id, 'release');
    await act('operator', 'work-orders', order.id, 'start');
    const [operation] = (await mes.get('operator', `/api/work-orders/${String(order.id)}?expand=operations`))
      .operations as Row[];
    await mes.create('operator', '/api/work-reports', {
      workOrderId: order.id,
      woOperationId: operation!.id,
      goodQuantity: 5,
      scrapQuantity: 1,
      defectCodeId: scratch.id,
      startTime: '2026-12-01T08:10:00Z',
      endTime: '2026-12-01T09:10:00Z',
    });
    const completed = await act('operator', 'work-orders', order.id, 'complete', {
      fields: { receiptLocationId: store.id },
    });
    expect(completed).toMatchObject({
      status: 'COMPLETED',
      actualQuantity: 5,
      scrapQuantity: 1,
      yieldRate: 83.33,
    });
    const [stored] = await mes.query<{ yield_rate: number | string }>(
      `SELECT yield_rate FROM ${mes.table('work_order')} WHERE id = ?`,
      [order.id],
    );
    expect(Number(stored!.yield_rate)).toBe(83.33);
    // Completed: only the remarks may change, and the order cannot be deleted.
    const edit = await mes.call('planner', 'PATCH', `/api/work-orders/${String(order.id)}`, {
      version: completed.version,
      plannedQuantity: 7,
    });
    expect(edit.statusCode).toBe(422);
    expect(edit.json()).toMatchObject({ code: 'BUSINESS_RULE' });
    expect(edit.json().message).toContain('COMPLETED');
    expect(edit.json().errors[0]).toMatchObject({
      field: 'plannedQuantity',
      rule: 'state-locked',
      limit: 'COMPLETED',
    });
    const remark = await mes.call('planner', 'PATCH', `/api/work-orders/${String(order.id)}`, {
      version: completed.version,
      remarks: 'Mould cavity 2 scratched one part',
    });
    expect(remark.statusCode).toBe(200);
    const removal = await mes.call('admin', 'DELETE', `/api/work-orders/${String(order.id)}`);
    expect(removal.statusCode).toBe(422);
    expect(removal.json().message).toContain('COMPLETED');
    Object.assign(plant, { store, scratch });
  });

  it('4 and 7 IQC releases the received lot; quarantined stock never moves; the clerk kits the line for the work order', async () => {
    const warehouse = await mes.create('admin', '/api/locations', {
      locationName: 'Raw store',
      locationType: 'WAREHOUSE',
    });
    const lineSide = await mes.create('admin', '/api/locations', {
      locationName: 'L1 line side',
      locationType: 'LINE_SIDE',
    });
    await mes.create('admin', '/api/inspection-plans', {
      planCode: 'IQC-PCB',
      itemId: plant.pcb!.id,
      inspectionType: 'IQC',
      status: 'ACTIVE',
    });
    const supplierLot = 'ACME-L2612-01';
    const grnNo = 'GRN-20261201-001';
    await mes.create('clerk', '/api/stock-transactions', {
      transactionType: 'IN',
      itemId: plant.pcb!.id,
      lotNo: supplierLot,
      toLocationId: warehouse.id,
      quantity: 600,
      referenceType: 'GRN',
      referenceId: grnNo,
      occurredAt: '2026-12-01T07:00:00Z',
    });
    const stockOf = async (locationId: unknown) =>
      items(
        'clerk',
        `/api/stock?filter[lotNo][eq]=${supplierLot}&filter[locationId][eq]=${String(locationId)}`,
      );
    expect(await stockOf(warehouse.id)).toEqual([
      expect.objectContaining({
        status: 'QUARANTINE',
        quantity: 600,
        availableQuantity: 600,
        reservedQuantity: 0,
      }),
    ]);
    const kit = {
      transactionType: 'TRANSFER',
      itemId: plant.pcb!.id,
      lotNo: supplierLot,
      fromLocationId: warehouse.id,
      toLocationId: lineSide.id,
      quantity: 100,
      workOrderId: plant.order!.id,
      referenceType: 'WO',
      referenceId: plant.order!.woNo,
      occurredAt: '2026-12-01T07:30:00Z',
    };
    const quarantined = await mes.call('clerk', 'POST', '/api/stock-transactions', kit);
    expect(quarantined.statusCode).toBe(422);
    expect(quarantined.json().errors[0]).toMatchObject({ rule: 'stock-status', limit: 'QUARANTINE' });

    const iqc = await mes.create('inspector', '/api/inspections', {
      inspectionType: 'IQC',
      refType: 'GRN',
      refId: grnNo,
      itemId: plant.pcb!.id,
      supplierId: plant.supplier!.id,
      supplierLot,
      lotSize: 600,
      sampleSize: 32,
      inspectorId: mes.userIds.inspector,
      inspectionDate: '2026-12-01T08:00:00Z',
    });
    expect(iqc.inspNo).toMatch(/^INSP-IQC-[0-9]{8}-[0-9]{3}$/);
    await act('inspector', 'inspections', iqc.id, 'start');
    expect(await act('inspector', 'inspections', iqc.id, 'pass')).toMatchObject({
      status: 'COMPLETED',
      result: 'PASS',
    });
    expect((await eventsOf('inspection', iqc.id)).map((event) => event.type)).toEqual(
      expect.arrayContaining(['inspection.created', 'inspection.started', 'inspection.completed']),
    );
    expect((await stockOf(warehouse.id))[0]).toMatchObject({ status: 'AVAILABLE', quantity: 600 });

    const moved = await mes.create('clerk', '/api/stock-transactions', kit);
    expect(moved).toMatchObject({ transactionType: 'TRANSFER', workOrderId: plant.order!.id });
    expect((await stockOf(warehouse.id))[0]).toMatchObject({ quantity: 500, availableQuantity: 500 });
    expect((await stockOf(lineSide.id))[0]).toMatchObject({ status: 'AVAILABLE', quantity: 100 });
    const tooMuch = await mes.call('clerk', 'POST', '/api/stock-transactions', { ...kit, quantity: 501 });
    expect(tooMuch.statusCode).toBe(422);
    expect(tooMuch.json().errors[0]).toMatchObject({ rule: 'no-negative-stock' });
    // The bin-to-bin history of the lot, as the clerk reads it.
    const history = await items(
      'clerk',
      `/api/stock-transactions?filter[lotNo][eq]=${supplierLot}&sort=occurredAt`,
    );
    expect(history.map((row) => [row.transactionType, row.fromLocationId ?? null, row.toLocationId])).toEqual(
      [
        ['IN', null, warehouse.id],
        ['TRANSFER', warehouse.id, lineSide.id],
      ],
    );
    // Two clerks pick 300 each for the same order and item at once: the picks serialise on the
    // balance, one goes through, the other is refused, and available stock never goes below zero.
    const picks = await Promise.all(
      [0, 1].map(() =>
        mes.call('clerk', 'POST', '/api/stock-transactions', {
          ...kit,
          quantity: 300,
          occurredAt: '2026-12-01T07:45:00Z',
        }),
      ),
    );
    expect(picks.map((pick) => pick.statusCode).sort()).toEqual([201, 422]);
    expect(picks.find((pick) => pick.statusCode === 422)!.json().errors[0]).toMatchObject({
      rule: 'no-negative-stock',
    });
    expect((await stockOf(warehouse.id))[0]).toMatchObject({ quantity: 200, availableQuantity: 200 });
    expect((await stockOf(lineSide.id))[0]).toMatchObject({ quantity: 400 });
    const picked = await items(
      'clerk',
      `/api/stock-transactions?filter[workOrderId][eq]=${String(plant.order!.id)}&filter[itemId][eq]=${String(plant.pcb!.id)}`,
    );
    expect(picked.map((row) => [row.transactionType, row.referenceId]).sort()).toEqual([
      ['TRANSFER', plant.order!.woNo],
      ['TRANSFER', plant.order!.woNo],
    ]);
    Object.assign(plant, { warehouse, lineSide, supplierLot });
  });

  it('10 hold: the line leader holds the work order with a reason and resumes it after the fix', async () => {
    const order = plant.order!;
    const held = await act('leader', 'work-orders', order.id, 'hold', {
      reason: 'IPQC failure rate over threshold',
    });
    expect(held.status).toBe('ON_HOLD');
    const refused = await mes.call(
      'operator',
      'POST',
      `/api/work-orders/${String(order.id)}/actions/complete`,
      {
        fields: { receiptLocationId: plant.store!.id },
      },
    );
    expect(refused.statusCode).toBe(422);
    expect((await act('leader', 'work-orders', order.id, 'resume')).status).toBe('IN_PROGRESS');
    const events = await eventsOf('work_order', order.id);
    expect(
      events.slice(-2).map((event) => [event.type, event.payload.wo_no, event.payload.reason ?? null]),
    ).toEqual([
      ['work_order.held', order.woNo, 'IPQC failure rate over threshold'],
      ['work_order.resumed', order.woNo, null],
    ]);
  });

  it('8 lot and FAI gate: serials are released only after the first article passed', async () => {
    const [lot] = await items(
      'planner',
      `/api/production-lots?filter[workOrderId][eq]=${String(plant.order!.id)}`,
    );
    expect(lot).toMatchObject({ lotQuantity: LOT_SIZE, faiStatus: 'PENDING', status: 'PLANNED' });
    expect(lot!.lotNo).toMatch(LOT_NO);
    expect((await eventsOf('production_lot', lot!.id))[0]).toMatchObject({
      type: 'production_lot.created',
      payload: { lot_no: lot!.lotNo, wo_no: plant.order!.woNo },
    });
    const serialsOfLot = async () =>
      Number(
        (await mes.get('planner', `/api/serial-numbers?filter[lotId][eq]=${String(lot!.id)}&pageSize=1`))
          .total,
      );
    const refused = await mes.call(
      'planner',
      'POST',
      `/api/production-lots/${String(lot!.id)}/actions/start`,
      {},
    );
    expect(refused.statusCode).toBe(422);
    expect(refused.json().message).toBe(
      'Mass production and serial release need a passed first-article inspection',
    );
    // The guard message in the planner's language, once they choose Chinese (the preference
    // travels in the token, so they sign in again).
    expect((await mes.call('planner', 'PUT', '/api/auth/locale', { locale: 'zh' })).statusCode).toBe(200);
    await mes.signIn('planner');
    const inChinese = await mes.call(
      'planner',
      'POST',
      `/api/production-lots/${String(lot!.id)}/actions/start`,
      {},
    );
    expect(inChinese.statusCode).toBe(422);
    expect(inChinese.json().message).toBe('首件检验合格后才能量产和释放序列号');
    expect((await mes.call('planner', 'PUT', '/api/auth/locale', { locale: 'en' })).statusCode).toBe(200);
    await mes.signIn('planner');
    expect(await serialsOfLot()).toBe(0);
    await act('inspector', 'production-lots', lot!.id, 'fai_fail', {
      reason: 'Solder bridge on U3',
      fields: { faiRemarks: 'Reflow profile too hot' },
    });
    await act('inspector', 'production-lots', lot!.id, 'fai_retest', { reason: 'Profile adjusted' });
    const passed = await act('inspector', 'production-lots', lot!.id, 'fai_pass', { password: PASSWORD });
    expect(passed).toMatchObject({ faiStatus: 'PASS', faiById: mes.userIds.inspector });
    const started = await act('planner', 'production-lots', lot!.id, 'start');
    expect(started.status).toBe('IN_PROGRESS');
    expect(await serialsOfLot()).toBe(LOT_SIZE);
    const first = await items(
      'planner',
      `/api/serial-numbers?filter[lotId][eq]=${String(lot!.id)}&sort=sn&pageSize=3`,
    );
    expect(first.map((serial) => serial.sn)).toEqual([
      `SN-${String(lot!.lotNo)}-0001`,
      `SN-${String(lot!.lotNo)}-0002`,
      `SN-${String(lot!.lotNo)}-0003`,
    ]);
    for (const serial of first) expect(serial.sn).toMatch(SN);
    const [created] = await mes.query<{ n: number | string }>(
      "SELECT COUNT(*) AS n FROM evt_outbox WHERE event_type = 'serial_number.created'",
    );
    expect(Number(created!.n)).toBe(LOT_SIZE);
    Object.assign(plant, { lot: started, serials: first });
  }, 120_000);

  it('9 test and repair: a failed test sends the serial to rework, repair brings it back, the limit rejects it; every step is traced', async () => {
    const station = await mes.create('admin', '/api/workstations', {
      stationCode: 'L1-TEST2',
      stationName: 'Final test',
      lineId: plant.line!.id,
    });
    await mes.create('admin', '/api/shifts', {
      shiftCode: 'DAY',
      shiftName: 'Day',
      startTime: '06:00',
      endTime: '18:00',
    });
    await mes.create('admin', '/api/shifts', {
      shiftCode: 'NIGHT',
      shiftName: 'Night',
      startTime: '18:00',
      endTime: '06:00',
      crossesMidnight: true,
    });
    const defect = await mes.create('admin', '/api/qms-codes', {
      codeType: 'DEFECT',
      code: 'TEST-01',
      description: 'Final test failed',
    });
    const repairAction = await mes.create('admin', '/api/qms-codes', {
      codeType: 'ACTION',
      code: 'RESOLDER',
      description: 'Resolder joint',
    });
    const serial = plant.serials![0] as Row;
    const at = { currentOpCode: 'TEST2', currentStationId: station.id };
    await act('operator', 'serial-numbers', serial.id, 'start', { fields: at });
    const test = (result: 'PASS' | 'FAIL', testedAt: string) =>
      mes.create('operator', '/api/test-records', {
        serialNumberId: serial.id,
        workstationId: station.id,
        opCode: 'TEST2',
        result,
        ...(result === 'FAIL' ? { defectCodeId: defect.id } : {}),
        testData: { voltage: result === 'PASS' ? 5.01 : 5.42 },
        testedAt,
      });
    const failed = await test('FAIL', '2026-12-01T09:30:00Z');
    expect(failed).toMatchObject({
      lotId: plant.lot!.id,
      workOrderId: plant.order!.id,
      operatorId: mes.userIds.operator,
      attempt: 1,
    });
    expect(
      (await mes.get('operator', `/api/test-records/${String(failed.id)}?expand=shift`)).shift,
    ).toMatchObject({ shiftCode: 'DAY' });
    expect((await mes.get('operator', `/api/serial-numbers/${String(serial.id)}`)).status).toBe('REWORK');
    // The line leader repairs it; the repair record is verified by quality; the unit goes back to the line.
    const repair = await mes.create('leader', '/api/repair-records', {
      serialNumberId: serial.id,
      testRecordId: failed.id,
      defectCodeId: defect.id,
      technicianId: mes.userIds.leader,
    });
    await act('leader', 'repair-records', repair.id, 'start');
    await act('leader', 'repair-records', repair.id, 'complete', {
      fields: { result: 'SUCCESS', repairType: 'REPAIR', actionCodeId: repairAction.id },
    });
    await act('inspector', 'repair-records', repair.id, 'verify', { fields: { verificationResult: 'PASS' } });
    expect(await act('leader', 'serial-numbers', serial.id, 'repaired', { fields: at })).toMatchObject({
      status: 'IN_PROGRESS',
      repairCount: 1,
    });
    const retest = await test('PASS', '2026-12-01T20:15:00Z');
    expect(retest.attempt).toBe(2);
    const completed = await act('operator', 'serial-numbers', serial.id, 'complete', { fields: at });
    expect(completed.status).toBe('COMPLETED');
    const trace = await mes.query<{
      action: string;
      result: string | null;
      operator_id: number | string;
      workstation_id: number | string | null;
      shift_code: string | null;
      op_code: string | null;
    }>(
      `SELECT action, result, operator_id, workstation_id, shift_code, op_code FROM ${mes.table('trace_event')} WHERE entity_type = 'SN' AND entity_id = ? ORDER BY id`,
      [serial.sn],
    );
    expect(trace.map((row) => [row.action, row.result])).toEqual([
      ['START', null],
      ['TEST', 'FAIL'],
      ['REWORK', 'REWORK'],
      ['REPAIRED', null],
      ['TEST', 'PASS'],
      ['END', 'PASS'],
    ]);
    for (const row of trace) {
      expect(Number(row.workstation_id)).toBe(station.id);
      expect(row.op_code).toBe('TEST2');
      expect(row.shift_code).toMatch(/^(DAY|NIGHT)$/);
    }
    expect(trace.map((row) => Number(row.operator_id))).toEqual([
      mes.userIds.operator,
      mes.userIds.operator,
      mes.userIds.operator,
      mes.userIds.leader,
      mes.userIds.operator,
      mes.userIds.operator,
    ]);
    expect(trace[4]!.shift_code).toBe('NIGHT');
    // The repair limit is the tenant's: with one repair allowed, a second return from repair is refused.
    await mes.create('admin', '/api/configs', { configKey: 'production.max_repairs', configValue: '1' });
    const second = plant.serials![1] as Row;
    await act('operator', 'serial-numbers', second.id, 'start', { fields: at });
    await act('operator', 'serial-numbers', second.id, 'fail_test', { reason: 'Visual defect', fields: at });
    await act('leader', 'serial-numbers', second.id, 'repaired', { fields: at });
    await act('operator', 'serial-numbers', second.id, 'fail_test', {
      reason: 'Visual defect again',
      fields: at,
    });
    const over = await mes.call(
      'leader',
      'POST',
      `/api/serial-numbers/${String(second.id)}/actions/repaired`,
      { fields: at },
    );
    expect(over.statusCode).toBe(422);
    expect(over.json().message).toContain('Repair limit of 1');
    const scrapped = await act('leader', 'serial-numbers', second.id, 'reject', {
      reason: 'Repair limit reached',
      fields: { rejectReason: 'Failed twice after repair' },
    });
    expect(scrapped.status).toBe('REJECTED');
    // Only the line leader repairs: the operator may not.
    const third = plant.serials![2] as Row;
    expect(
      (await mes.call('operator', 'POST', `/api/serial-numbers/${String(third.id)}/actions/repaired`, {}))
        .statusCode,
    ).toBe(403);
  });

  it('11 pack, OQC and ship: 100 serials into 10 boxes on a pallet; only OQC-passed boxes ship', async () => {
    const serials = await items(
      'operator',
      `/api/serial-numbers?filter[lotId][eq]=${String(plant.lot!.id)}&sort=sn&pageSize=100&page=2`,
    );
    expect(serials).toHaveLength(100);
    const boxes: Row[] = [];
    for (let i = 0; i < 10; i++)
      boxes.push(
        await mes.create('operator', '/api/boxes', {
          itemId: plant.counter!.id,
          workOrderId: plant.order!.id,
          lotId: plant.lot!.id,
          capacity: 10,
        }),
      );
    for (const box of boxes) expect(box.boxNo).toMatch(/^BOX-[0-9]{8}-[0-9]{3}$/);
    for (const [i, serial] of serials.entries()) {
      const box = boxes[Math.floor(i / 10)]!;
      await mes.create('operator', '/api/map-box-sns', {
        boxId: box.id,
        boxNo: box.boxNo,
        sn: serial.sn,
        packedAt: '2026-12-02T08:00:00Z',
      });
    }
    const overfull = await mes.call('operator', 'POST', '/api/map-box-sns', {
      boxId: boxes[0]!.id,
      boxNo: boxes[0]!.boxNo,
      sn: (plant.serials![2] as Row).sn,
      packedAt: '2026-12-02T08:00:00Z',
    });
    expect(overfull.statusCode).toBe(422);
    const packed = await mes.get('operator', `/api/boxes/${String(boxes[0]!.id)}`);
    expect(packed).toMatchObject({ quantity: 10, oqcResult: 'PENDING' });
    expect((await mes.get('operator', `/api/serial-numbers/${String(serials[0]!.id)}`)).boxId).toBe(
      boxes[0]!.id,
    );

    const pallet = await mes.create('clerk', '/api/pallets', { maxBoxes: 10 });
    expect(pallet.palletNo).toMatch(/^PLT-[0-9]{8}-[0-9]{3}$/);
    for (const box of boxes)
      await mes.create('clerk', '/api/map-pallet-boxes', {
        palletId: pallet.id,
        palletNo: pallet.palletNo,
        boxNo: box.boxNo,
        loadedAt: '2026-12-02T09:00:00Z',
      });
    const loaded = await mes.get('clerk', `/api/pallets/${String(pallet.id)}`);
    expect(loaded.boxCount).toBe(10);
    expect((await mes.get('clerk', `/api/boxes/${String(boxes[9]!.id)}`)).status).toBe('PALLETIZED');

    const customer = await mes.create('admin', '/api/customers', { customerName: 'Bank of Coins' });
    const shipment = await mes.create('clerk', '/api/shipments', {
      customerId: customer.id,
      shipmentDate: '2026-12-03',
    });
    expect(shipment.shipmentNo).toMatch(/^SHP-[0-9]{8}-[0-9]{3}$/);
    const early = await mes.call('clerk', 'PATCH', `/api/pallets/${String(pallet.id)}`, {
      version: loaded.version,
      shipmentId: shipment.id,
    });
    expect(early.statusCode).toBe(422);
    expect(early.json().errors[0]).toMatchObject({ rule: 'oqc-passed' });

    for (const box of boxes) {
      const oqc = await mes.create('inspector', '/api/inspections', {
        inspectionType: 'OQC',
        refType: 'BOX',
        refId: box.boxNo,
        itemId: plant.counter!.id,
        inspectorId: mes.userIds.inspector,
        inspectionDate: '2026-12-02T10:00:00Z',
      });
      expect(oqc.inspNo).toMatch(/^INSP-OQC-[0-9]{8}-[0-9]{3}$/);
      await act('inspector', 'inspections', oqc.id, 'start');
      await act('inspector', 'inspections', oqc.id, 'pass');
    }
    expect((await mes.get('clerk', `/api/boxes/${String(boxes[0]!.id)}`)).oqcResult).toBe('PASS');
    const onShipment = await mes.call('clerk', 'PATCH', `/api/pallets/${String(pallet.id)}`, {
      version: (await mes.get('clerk', `/api/pallets/${String(pallet.id)}`)).version,
      shipmentId: shipment.id,
    });
    expect(onShipment.statusCode).toBe(200);
    expect(await mes.get('clerk', `/api/shipments/${String(shipment.id)}`)).toMatchObject({
      totalPallets: 1,
      totalBoxes: 10,
      totalQuantity: 100,
    });
    const shipped = await act('clerk', 'shipments', shipment.id, 'ship', {
      fields: { carrier: 'SF Express', trackingNo: 'SF1234567890' },
    });
    expect(shipped.status).toBe('SHIPPED');
    expect((await mes.get('clerk', `/api/boxes/${String(boxes[3]!.id)}`)).status).toBe('SHIPPED');
    expect((await mes.get('clerk', `/api/pallets/${String(pallet.id)}`)).status).toBe('SHIPPED');
    expect((await eventsOf('shipment', shipment.id)).map((event) => event.type)).toContain(
      'shipment.created',
    );
    Object.assign(plant, { boxes, pallet, shipment, customer, packedSerials: serials });
  }, 120_000);

  it('13 forward trace from the lot and from a packed serial reaches boxes, the pallet and the shipment', async () => {
    const keysOf = (nodes: unknown) => (nodes as { key: string }[]).map((node) => node.key);
    const fromSerial = await mes.get(
      'inspector',
      `/api/trace/forward?sn=${String((plant.packedSerials![0] as Row).sn)}`,
    );
    expect(keysOf(fromSerial.boxes)).toEqual([(plant.boxes![0] as Row).boxNo]);
    expect(keysOf(fromSerial.pallets)).toEqual([plant.pallet!.palletNo]);
    expect(keysOf(fromSerial.shipments)).toEqual([plant.shipment!.shipmentNo]);
    const fromLot = await mes.get('inspector', `/api/trace/forward?lotId=${String(plant.lot!.lotNo)}`);
    expect(keysOf(fromLot.boxes)).toHaveLength(10);
    expect(keysOf(fromLot.shipments)).toEqual([plant.shipment!.shipmentNo]);
    const fromShipment = await mes.get(
      'inspector',
      `/api/trace/reverse?shipmentNo=${String(plant.shipment!.shipmentNo)}`,
    );
    expect(keysOf(fromShipment.serials)).toHaveLength(100);
    expect(keysOf(fromShipment.lots)).toEqual([plant.lot!.lotNo]);
  });

  it('12 reverse trace from a serial reaches its lot and work order', async () => {
    const serial = plant.serials![0] as Row;
    const reverse = await mes.get('inspector', `/api/trace/reverse?sn=${String(serial.sn)}`);
    const keysOf = (nodes: unknown) => (nodes as { key: string }[]).map((node) => node.key);
    expect(keysOf(reverse.lots)).toEqual([plant.lot!.lotNo]);
    expect(keysOf(reverse.workOrders)).toEqual([plant.order!.woNo]);
  });

  it('10 IPQC hold: an IPQC failure rate over 20 % puts the order on hold with a critical alert to the line supervisor and doubles the IPQC sampling frequency; the line leader resumes it after the fix', async () => {
    const order = plant.order!;
    // Quality's IPQC plan for the counter: a patrol inspection of 5 pieces every hour.
    const plan = await mes.create('qmanager', '/api/inspection-plans', {
      planCode: 'IPQC-CTR',
      planName: 'Coin counter patrol',
      itemId: plant.counter!.id,
      inspectionType: 'IPQC',
      opCode: 'ASSY',
      samplingMethod: 'FIXED',
      sampleSize: 5,
      frequencyMinutes: 60,
      status: 'ACTIVE',
    });
    const line = await mes.get('admin', `/api/production-lines/${String(plant.line!.id)}`);
    const assigned = await mes.call('admin', 'PATCH', `/api/production-lines/${String(line.id)}`, {
      version: line.version,
      supervisorId: mes.userIds.leader,
    });
    expect(assigned.statusCode).toBe(200);
    expect((await mes.get('leader', `/api/work-orders/${String(order.id)}`)).status).toBe('IN_PROGRESS');
    const [serial] = await items(
      'inspector',
      `/api/serial-numbers?filter[lotId][eq]=${String(plant.lot!.id)}&sort=sn&pageSize=100&page=4`,
    );
    const ipqc = await mes.create('inspector', '/api/inspections', {
      inspectionType: 'IPQC',
      refType: 'SN',
      refId: serial!.sn,
      itemId: plant.counter!.id,
      workOrderId: order.id,
      inspectorId: mes.userIds.inspector,
      inspectionDate: new Date().toISOString(),
    });
    expect(ipqc.planId).toBe(plan.id);
    await act('inspector', 'inspections', ipqc.id, 'start');
    const [defect] = await items('inspector', '/api/qms-codes?filter[code][eq]=TEST-01');
    const recorded = await mes.call('inspector', 'PATCH', `/api/inspections/${String(ipqc.id)}`, {
      version: (await mes.get('inspector', `/api/inspections/${String(ipqc.id)}`)).version,
      defectQuantity: 1,
      items: [
        {
          lineNo: 1,
          itemKey: 'SOLDER',
          itemName: 'Solder joints',
          actualValue: 'NG',
          defectCount: 1,
          result: 'FAIL',
          defectCodeId: defect!.id,
        },
      ],
    });
    expect(recorded.statusCode).toBe(200);
    await act('inspector', 'inspections', ipqc.id, 'fail', {
      fields: { failureReason: 'Solder voids on U7', problemSeverity: 'MEDIUM' },
    });
    const held = await waitForValue('the IPQC hold', async () => {
      const current = await mes.get('leader', `/api/work-orders/${String(order.id)}`);
      return current.status === 'ON_HOLD' ? current : undefined;
    });
    expect(held.status).toBe('ON_HOLD');
    const [alert] = await waitForValue('the IPQC alert', async () => {
      const raised = await items(
        'leader',
        `/api/alert-events?filter[dedupKey][eq]=rule:ipqc_failure_rate_hold:inspection:${String(ipqc.id)}`,
      );
      return raised.length > 0 ? raised : undefined;
    });
    expect(alert).toMatchObject({
      severity: 'CRITICAL',
      alertType: 'QUALITY',
      status: 'ACTIVE',
      assigneeId: mes.userIds.leader,
    });
    const failed = (await eventsOf('inspection', ipqc.id)).find(
      (event) => event.type === 'inspection.failed',
    );
    expect(failed?.payload).toMatchObject({ insp_no: ipqc.inspNo, failure_reason: 'Solder voids on U7' });
    expect(ipqc.inspNo).toMatch(/^INSP-IPQC-[0-9]{8}-[0-9]{3}$/);
    const events = await eventsOf('work_order', order.id);
    expect(events.at(-1)).toMatchObject({
      type: 'work_order.held',
      payload: { wo_no: order.woNo, reason: 'IPQC failure rate above 20 % within 8 hours' },
    });
    // Tightened sampling: the inspector now finds the plan's interval halved, written by the rule.
    const tightened = await waitForValue('the tightened IPQC plan', async () => {
      const current = await mes.get('inspector', `/api/inspection-plans/${String(plan.id)}`);
      return current.frequencyMinutes === 30 ? current : undefined;
    });
    expect(tightened).toMatchObject({ frequencyMinutes: 30, sampleSize: 5, status: 'ACTIVE' });
    expect((await auditOf('inspection_plan', plan.id)).map((row) => [row.action, row.actor_id])).toEqual([
      ['CREATE', String(mes.userIds.qmanager)],
      // The rule writes as the inspector whose failed inspection fired it.
      ['UPDATE', String(mes.userIds.inspector)],
    ]);
    // The line leader sees the alert assigned to them, fixes the cause, resumes the order and resolves it.
    await act('leader', 'alert-events', alert!.id, 'acknowledge');
    expect((await act('leader', 'work-orders', order.id, 'resume')).status).toBe('IN_PROGRESS');
    const resolved = await act('leader', 'alert-events', alert!.id, 'resolve', {
      fields: { resolution: 'Reflow profile corrected; next IPQC passed' },
    });
    expect(resolved).toMatchObject({ status: 'RESOLVED', resolvedById: mes.userIds.leader });
  });

  it('15 BI: HQ reads the dashboards and changes nothing; a finished test reaches the production and quality dashboards; a defect rate over 5 % raises a critical alert that quality acknowledges and resolves; the monthly ABC report', async () => {
    const dashboards = (await mes.get('hq', '/api/bi/dashboards')) as unknown as Row[];
    expect(dashboards.map((dashboard) => dashboard.name)).toEqual(
      expect.arrayContaining(['production', 'quality', 'plant_overview', 'inventory']),
    );
    const today = new Date().toISOString().slice(0, 10);
    const tomorrow = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
    /** A KPI measure as the HQ user reads it on a dashboard today. */
    const onDashboard = async (dashboard: string, kpi: string, measure: string) => {
      const data = await mes.get('hq', `/api/bi/dashboards/${dashboard}?from=${today}&to=${tomorrow}`);
      const widget = (data.widgets as Row[]).find((w) => (w.kpi as Row | undefined)?.name === kpi);
      return Number(((widget!.kpi as Row).measures as Row)[measure] ?? 0);
    };
    const testedBefore = await onDashboard('production', 'first_pass_yield', 'tested');
    const finalBefore = await onDashboard('quality', 'final_yield', 'tested_units');

    const station = await mes.create('admin', '/api/workstations', {
      stationCode: 'L1-FCT',
      stationName: 'Functional test',
      lineId: plant.line!.id,
    });
    const defect = (await items('operator', '/api/qms-codes?filter[code][eq]=TEST-01'))[0]!;
    const units = await items(
      'operator',
      `/api/serial-numbers?filter[lotId][eq]=${String(plant.lot!.id)}&sort=sn&pageSize=100&page=5`,
    );
    const at = { currentOpCode: 'FCT', currentStationId: station.id };
    const test = async (serial: Row, result: 'PASS' | 'FAIL') => {
      await act('operator', 'serial-numbers', serial.id, 'start', { fields: at });
      return mes.create('operator', '/api/test-records', {
        serialNumberId: serial.id,
        workstationId: station.id,
        opCode: 'FCT',
        testType: 'FINAL',
        result,
        ...(result === 'FAIL' ? { defectCodeId: defect.id } : {}),
        testedAt: new Date().toISOString(),
      });
    };
    // The first finished test shows on the production dashboard within 2 min, on quality within 3.
    await test(units[0]!, 'PASS');
    await waitFor(
      'the test on the production dashboard',
      async () => (await onDashboard('production', 'first_pass_yield', 'tested')) === testedBefore + 1,
      120_000,
    );
    await waitFor(
      'the test on the quality dashboard',
      async () => (await onDashboard('quality', 'final_yield', 'tested_units')) === finalBefore + 1,
      180_000,
    );
    // 19 passes and one failure: 5 % is not over the threshold; the second failure is.
    for (const serial of units.slice(1, 19)) await test(serial, 'PASS');
    const criticalAlerts = () =>
      items(
        'hq',
        `/api/alert-events?filter[dedupKey][eq]=rule:test_defect_rate_alert:test_record.workstation:${String(station.id)}`,
      );
    await test(units[19]!, 'FAIL');
    await mes.drained();
    expect(await criticalAlerts()).toEqual([]);
    await test(units[20]!, 'FAIL');
    const [alert] = await waitForValue('the defect rate alert', async () => {
      const raised = await criticalAlerts();
      return raised.length > 0 ? raised : undefined;
    });
    expect(alert).toMatchObject({ severity: 'CRITICAL', alertType: 'QUALITY', status: 'ACTIVE' });
    expect(alert!.title).toContain('L1-FCT');
    expect(Number(alert!.currentValue)).toBeCloseTo(2 / 21, 4);
    // One open alert per station: a third failure counts as an occurrence of it.
    await test(units[21]!, 'FAIL');
    await waitFor(
      'the second occurrence',
      async () => (await mes.get('hq', `/api/alert-events/${String(alert!.id)}`)).occurrenceCount === 2,
    );
    expect(await criticalAlerts()).toHaveLength(1);
    // HQ reads but changes nothing; quality acknowledges, then resolves.
    const hqAck = await mes.call(
      'hq',
      'POST',
      `/api/alert-events/${String(alert!.id)}/actions/acknowledge`,
      {},
    );
    expect(hqAck.statusCode).toBe(403);
    expect((await mes.call('hq', 'POST', '/api/test-records', {})).statusCode).toBe(403);
    const acknowledged = await act('qmanager', 'alert-events', alert!.id, 'acknowledge');
    expect(acknowledged).toMatchObject({ status: 'ACKNOWLEDGED', acknowledgedById: mes.userIds.qmanager });
    const resolved = await act('qmanager', 'alert-events', alert!.id, 'resolve', {
      fields: { resolution: 'Fixture pins replaced; retest passed' },
    });
    expect(resolved).toMatchObject({ status: 'RESOLVED', resolvedById: mes.userIds.qmanager });
    expect((await eventsOf('alert_event', alert!.id)).map((event) => event.type)).toEqual(
      expect.arrayContaining(['alert.acknowledged', 'alert.resolved']),
    );

    // The monthly ABC report for November: consumption value 800, 150 and 50 ⇒ A (to 80 %), B (to 95 %), C.
    const abc: Row[] = [];
    for (const [name, cost, used] of [
      ['Capacitor', 10, 80],
      ['Resistor', 5, 30],
      ['Screw', 1, 50],
    ] as const) {
      const item = await mes.create('admin', '/api/items', {
        itemName: name,
        itemType: 'RAW',
        uomId: plant.uom!.id,
        unitCost: cost,
      });
      const movement = { itemId: item.id, referenceType: 'MANUAL' };
      await mes.create('clerk', '/api/stock-transactions', {
        ...movement,
        transactionType: 'IN',
        toLocationId: plant.store!.id,
        quantity: used,
        occurredAt: '2026-11-03T08:00:00Z',
      });
      await mes.create('clerk', '/api/stock-transactions', {
        ...movement,
        transactionType: 'CONSUME',
        fromLocationId: plant.store!.id,
        quantity: used,
        occurredAt: '2026-11-20T08:00:00Z',
      });
      abc.push(item);
    }
    expect(
      (await mes.call('hq', 'POST', '/api/inventory/abc-analysis', { from: '2026-11-01', to: '2026-12-01' }))
        .statusCode,
    ).toBe(403);
    const report = (
      await mes.call('admin', 'POST', '/api/inventory/abc-analysis', { from: '2026-11-01', to: '2026-12-01' })
    ).json().data as { items: Row[]; totalValue: number };
    expect(report.totalValue).toBe(1000);
    expect(report.items.map((row) => [row.itemId, row.cumulativeShare, row.abcClass])).toEqual([
      [abc[0]!.id, 80, 'A'],
      [abc[1]!.id, 95, 'B'],
      [abc[2]!.id, 100, 'C'],
    ]);
    const classOf = async (item: Row) => (await mes.get('hq', `/api/items/${String(item.id)}`)).abcClass;
    expect([await classOf(abc[0]!), await classOf(abc[1]!), await classOf(abc[2]!)]).toEqual(['A', 'B', 'C']);
  }, 300_000);

  it('15 administration: a role taken from a user can be granted again', async () => {
    const userUrl = `/api/users/${mes.userIds.clerk}?expand=roles`;
    const clerk = await mes.get('admin', userUrl);
    const roles = clerk.roles as Row[];
    expect(roles).toHaveLength(1);
    const roleId = roles[0]!.roleId;
    const clerkToken = await mes.signIn('clerk');
    const revoked = await mes.call('admin', 'PATCH', `/api/users/${mes.userIds.clerk}`, {
      version: clerk.version,
      roles: [],
    });
    expect(revoked.statusCode).toBe(200);
    const granted = await mes.call('admin', 'PATCH', `/api/users/${mes.userIds.clerk}`, {
      version: (revoked.json().data as Row).version,
      roles: [{ roleId }],
    });
    expect(granted.statusCode).toBe(200);
    expect(((await mes.get('admin', userUrl)).roles as Row[]).map((role) => role.roleId)).toEqual([roleId]);
    // The clerk's token predates both changes: it is refused until renewed (the helper renews it).
    const stale = await mes.server.app.inject({
      method: 'GET',
      url: '/api/auth/me',
      headers: { authorization: `Bearer ${clerkToken}` },
    });
    expect(stale.statusCode).toBe(401);
    expect(stale.json().code).toBe('TOKEN_STALE');
    expect((await mes.call('clerk', 'GET', '/api/auth/me')).statusCode).toBe(200);
  });

  it('15 administration: a menu the administrator adds through /api/menus reaches the users it is for', async () => {
    const board = await mes.create('admin', '/api/menus', {
      menuCode: 'SHIFT-BOARD',
      menuName: '班次看板',
      menuNameEn: 'Shift board',
      menuType: 'DIRECTORY',
      moduleCode: 'production',
    });
    await mes.create('admin', '/api/menus', {
      menuCode: 'SHIFT-HANDOVER',
      menuName: '交接班',
      menuNameEn: 'Shift handover',
      parentId: board.id,
      menuType: 'MENU',
      moduleCode: 'production',
      routePath: '/x/shift-handover',
      permissionCode: 'work_report:create',
    });
    const menuOf = async (who: 'operator' | 'clerk') => {
      const reply = await mes.call(who, 'GET', '/api/auth/me');
      expect(reply.statusCode).toBe(200);
      const menus = reply.json().data.menu as { menu: string; items: { id: string; route?: string }[] }[];
      return menus.find((menu) => menu.menu === 'SHIFT-BOARD');
    };
    // The operator reports work, so sees the entry; the clerk has no grant it needs, so no directory.
    expect((await menuOf('operator'))?.items).toEqual([
      expect.objectContaining({ id: 'SHIFT-HANDOVER', route: '/x/shift-handover' }),
    ]);
    expect(await menuOf('clerk')).toBeUndefined();
  });

  it('keeps an intact audit chain', async () => {
    await expectIntactAuditChain(new EngineDatabase(mes.server.dataSource));
  });
});
