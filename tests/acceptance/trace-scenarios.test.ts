/**
 * Traceability acceptance scenarios over HTTP, each step as the role the scenario names, on SQLite and on
 * MariaDB + Redis (one server per dialect): material from a supplier receipt is kitted to the line
 * (7), consumed into a production lot (8, `map_lot_material`), built, tested, packed, OQC-passed on
 * its pallet and shipped (9, 11); then the reverse trace from a serial and from its box (12), the
 * forward trace from the receipt and the customer impact report (13).
 */
import { EngineDatabase } from '../../platform/src/data/database';
import { expectIntactAuditChain } from '../support/sealed-audit';
import {
  PASSWORD,
  startMesServer,
  type MesServer,
  type ScenarioDialect,
  type Who,
} from '../integration/scenario/mes-server';
import { TEST_DIALECTS } from '../support/test-dialects';

type Row = Record<string, unknown>;

const LOT_SIZE = 20;
const GRN = 'GRN-20261201-001';
const QUARANTINED_GRN = 'GRN-20261201-002';
const SUPPLIER_LOT = 'ACME-L2612-01';
const HELD_LOT = 'ACME-L2612-02';

describe.each<ScenarioDialect>(TEST_DIALECTS)('traceability acceptance scenarios (%s)', (dialect) => {
  let mes: MesServer;
  const plant: Record<string, Row> = {};
  const serials: Row[] = [];

  beforeAll(async () => {
    mes = await startMesServer(dialect, 'trace');
  }, 180_000);
  afterAll(async () => {
    await mes?.stop();
  });

  const act = (who: Who, path: string, id: unknown, action: string, body: object = {}) =>
    mes.act(who, `/api/${path}/${String(id)}/actions/${action}`, body);
  const items = async (who: Who, url: string) => (await mes.get(who, url)).items as Row[];
  const keysOf = (nodes: unknown) => (nodes as { key: string }[]).map((node) => node.key);

  it('master data, a receipt that passed IQC and one still in quarantine', async () => {
    const uom = await mes.create('admin', '/api/units', { uomCode: 'PCS', uomName: 'Pieces' });
    const supplier = await mes.create('admin', '/api/suppliers', {
      supplierCode: 'SUP-ACME1',
      supplierName: 'ACME Electronics',
    });
    const pcb = await mes.create('admin', '/api/items', {
      itemName: 'PCB',
      itemType: 'RAW',
      uomId: uom.id,
      defaultSupplierId: supplier.id,
    });
    const counter = await mes.create('admin', '/api/items', {
      itemName: 'Coin counter',
      itemType: 'FINISHED',
      uomId: uom.id,
      serialized: true,
    });
    const mold = await mes.create('admin', '/api/molds', {
      moldName: 'PCB panel fixture',
      supplierId: supplier.id,
      itemId: pcb.id,
      moldType: 'STAMPING',
    });
    const factory = await mes.create('admin', '/api/plants', { plantCode: 'P1', plantName: 'Plant 1' });
    const line = await mes.create('admin', '/api/production-lines', {
      lineCode: 'L1',
      lineName: 'Line 1',
      plantId: factory.id,
    });
    for (const who of ['operator', 'leader'] as const) {
      const user = await mes.get('admin', `/api/users/${mes.userIds[who]}`);
      const member = await mes.call('admin', 'PATCH', `/api/users/${mes.userIds[who]}`, {
        version: user.version,
        linesIds: [line.id],
      });
      expect(member.statusCode).toBe(200);
      await mes.signIn(who);
    }
    const station = await mes.create('admin', '/api/workstations', {
      stationCode: 'L1-TEST',
      stationName: 'Final test',
      lineId: line.id,
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
    const customer = await mes.create('admin', '/api/customers', { customerName: 'Bank of Coins' });
    const warehouse = await mes.create('admin', '/api/locations', {
      locationName: 'Raw store',
      locationType: 'WAREHOUSE',
    });
    const lineSide = await mes.create('admin', '/api/locations', {
      locationName: 'L1 line side',
      locationType: 'LINE_SIDE',
    });
    // PCBs are inspected on receipt: they wait in quarantine until their IQC passed.
    await mes.create('admin', '/api/inspection-plans', {
      planCode: 'IQC-PCB',
      itemId: pcb.id,
      inspectionType: 'IQC',
      status: 'ACTIVE',
    });
    for (const [grnNo, lotNo, quantity] of [
      [GRN, SUPPLIER_LOT, 600],
      [QUARANTINED_GRN, HELD_LOT, 50],
    ] as const)
      await mes.create('clerk', '/api/stock-transactions', {
        transactionType: 'IN',
        itemId: pcb.id,
        lotNo,
        toLocationId: warehouse.id,
        quantity,
        referenceType: 'GRN',
        referenceId: grnNo,
        occurredAt: '2026-12-01T07:00:00Z',
      });
    const iqc = await mes.create('inspector', '/api/inspections', {
      inspectionType: 'IQC',
      refType: 'GRN',
      refId: GRN,
      itemId: pcb.id,
      supplierId: supplier.id,
      supplierLot: SUPPLIER_LOT,
      lotSize: 600,
      sampleSize: 32,
      inspectorId: mes.userIds.inspector,
      inspectionDate: '2026-12-01T08:00:00Z',
    });
    await act('inspector', 'inspections', iqc.id, 'start');
    await act('inspector', 'inspections', iqc.id, 'pass');
    Object.assign(plant, {
      supplier,
      pcb,
      counter,
      mold,
      line,
      station,
      customer,
      warehouse,
      lineSide,
      iqc,
    });
  });

  it('8 the planner releases the order; its lot passes FAI and releases the serials', async () => {
    const order = await mes.create('planner', '/api/work-orders', {
      itemId: plant.counter!.id,
      lineId: plant.line!.id,
      plannedQuantity: LOT_SIZE,
      plannedStart: '2026-12-01T08:00:00Z',
      operations: [
        { opSeq: 1, opCode: 'ASSY', opName: 'Assembly', plannedQuantity: LOT_SIZE },
        { opSeq: 2, opCode: 'TEST', opName: 'Final test', plannedQuantity: LOT_SIZE },
      ],
    });
    await act('planner', 'work-orders', order.id, 'release');
    await act('operator', 'work-orders', order.id, 'start');
    const [lot] = await items('planner', `/api/production-lots?filter[workOrderId][eq]=${String(order.id)}`);
    await act('inspector', 'production-lots', lot!.id, 'fai_pass', { password: PASSWORD });
    await act('planner', 'production-lots', lot!.id, 'start');
    serials.push(
      ...(await items(
        'planner',
        `/api/serial-numbers?filter[lotId][eq]=${String(lot!.id)}&sort=sn&pageSize=${LOT_SIZE}`,
      )),
    );
    expect(serials).toHaveLength(LOT_SIZE);
    Object.assign(plant, { order, lot });
  });

  it('7 kitting: the clerk moves released stock to the line side, audited; quarantined stock never moves', async () => {
    const move = {
      transactionType: 'TRANSFER',
      itemId: plant.pcb!.id,
      fromLocationId: plant.warehouse!.id,
      toLocationId: plant.lineSide!.id,
      quantity: 100,
      workOrderId: plant.order!.id,
      referenceType: 'WO',
      referenceId: plant.order!.woNo,
      occurredAt: '2026-12-01T08:30:00Z',
    };
    const held = await mes.call('clerk', 'POST', '/api/stock-transactions', {
      ...move,
      lotNo: HELD_LOT,
      quantity: 10,
    });
    expect(held.statusCode).toBe(422);
    expect(held.json().errors[0]).toMatchObject({ rule: 'stock-status', limit: 'QUARANTINE' });
    const moved = await mes.create('clerk', '/api/stock-transactions', { ...move, lotNo: SUPPLIER_LOT });
    expect(moved).toMatchObject({ transactionType: 'TRANSFER', workOrderId: plant.order!.id });
    const audit = await mes.query<{ action: string; actor_id: string }>(
      "SELECT action, actor_id FROM audit_log WHERE entity_name = 'stock_transaction' AND record_id = ?",
      [String(moved.id)],
    );
    expect(audit).toEqual([{ action: 'CREATE', actor_id: String(mes.userIds.clerk) }]);
    const lineStock = await items(
      'clerk',
      `/api/stock?filter[lotNo][eq]=${SUPPLIER_LOT}&filter[locationId][eq]=${String(plant.lineSide!.id)}`,
    );
    expect(lineStock).toEqual([expect.objectContaining({ status: 'AVAILABLE', quantity: 100 })]);
  });

  it('8 consumption: material issued to the lot and to the order is recorded with its supplier, GRN, IQC and mold', async () => {
    const issue = {
      transactionType: 'ISSUE',
      itemId: plant.pcb!.id,
      lotNo: SUPPLIER_LOT,
      fromLocationId: plant.lineSide!.id,
      workOrderId: plant.order!.id,
      occurredAt: '2026-12-01T09:00:00Z',
    };
    const wrongLot = await mes.call('clerk', 'POST', '/api/stock-transactions', {
      ...issue,
      quantity: 5,
      referenceType: 'LOT',
      referenceId: 'LOT-19990101-001',
    });
    expect(wrongLot.statusCode).toBe(422);
    expect(wrongLot.json().errors[0]).toMatchObject({ field: 'referenceId', rule: 'exists' });
    const toLot = await mes.create('clerk', '/api/stock-transactions', {
      ...issue,
      quantity: 15,
      referenceType: 'LOT',
      referenceId: plant.lot!.lotNo,
    });
    await mes.create('clerk', '/api/stock-transactions', { ...issue, quantity: 5 });
    const uses = await items(
      'inspector',
      `/api/map-lot-materials?filter[lotId][eq]=${String(plant.lot!.id)}&sort=qtyUsed`,
    );
    expect(uses).toHaveLength(2);
    for (const use of uses)
      expect(use).toMatchObject({
        itemId: plant.pcb!.id,
        materialLotNo: SUPPLIER_LOT,
        supplierId: plant.supplier!.id,
        grnNo: GRN,
        moldId: plant.mold!.id,
        iqcInspectionId: plant.iqc!.id,
      });
    expect(uses.map((use) => use.qtyUsed)).toEqual([5, 15]);
    const [event] = await mes.query<{ envelope: string }>(
      "SELECT envelope FROM evt_outbox WHERE event_type = 'material.consumption' AND entity = 'map_lot_material' ORDER BY id",
    );
    expect(JSON.parse(event!.envelope).payload).toMatchObject({
      transaction_no: toLot.transactionNo,
      lot_id: plant.lot!.id,
      production_lot_no: plant.lot!.lotNo,
      lot_no: SUPPLIER_LOT,
      supplier_id: plant.supplier!.id,
      grn_no: GRN,
      mold_id: plant.mold!.id,
      wo_no: plant.order!.woNo,
      qty_used: 15,
    });
    const audited = await mes.query<{ n: number | string }>(
      "SELECT COUNT(*) AS n FROM audit_log WHERE entity_name = 'map_lot_material'",
    );
    expect(Number(audited[0]!.n)).toBe(2);
  });

  it('9 and 11 the line builds, tests and packs; OQC passes the pallet; the clerk ships it', async () => {
    const [assembly, testOp] = (
      await mes.get('operator', `/api/work-orders/${String(plant.order!.id)}?expand=operations`)
    ).operations as Row[];
    for (const [operation, start, end] of [
      [assembly!, '2026-12-01T09:10:00Z', '2026-12-01T10:10:00Z'],
      [testOp!, '2026-12-01T10:20:00Z', '2026-12-01T11:20:00Z'],
    ] as const)
      await mes.create('operator', '/api/work-reports', {
        workOrderId: plant.order!.id,
        woOperationId: operation.id,
        workstationId: plant.station!.id,
        goodQuantity: LOT_SIZE,
        startTime: start,
        endTime: end,
      });
    const at = { currentOpCode: 'TEST', currentStationId: plant.station!.id };
    const tested = serials[0]!;
    await act('operator', 'serial-numbers', tested.id, 'start', { fields: at });
    await mes.create('operator', '/api/test-records', {
      serialNumberId: tested.id,
      workstationId: plant.station!.id,
      opCode: 'TEST',
      result: 'PASS',
      testData: { voltage: 5.01, current: 0.42 },
      testedAt: new Date().toISOString(),
    });
    await act('operator', 'serial-numbers', tested.id, 'complete', { fields: at });

    const boxes: Row[] = [];
    for (let b = 0; b < 2; b++) {
      const box = await mes.create('operator', '/api/boxes', {
        itemId: plant.counter!.id,
        workOrderId: plant.order!.id,
        lotId: plant.lot!.id,
        capacity: LOT_SIZE / 2,
      });
      for (const serial of serials.slice(b * (LOT_SIZE / 2), (b + 1) * (LOT_SIZE / 2)))
        await mes.create('operator', '/api/map-box-sns', {
          boxId: box.id,
          boxNo: box.boxNo,
          sn: serial.sn,
          packedAt: '2026-12-01T12:00:00Z',
        });
      boxes.push(box);
    }
    const pallet = await mes.create('clerk', '/api/pallets', { maxBoxes: 2 });
    for (const box of boxes)
      await mes.create('clerk', '/api/map-pallet-boxes', {
        palletId: pallet.id,
        palletNo: pallet.palletNo,
        boxNo: box.boxNo,
        loadedAt: '2026-12-01T13:00:00Z',
      });
    // OQC on the pallet judges every box on it.
    const oqc = await mes.create('inspector', '/api/inspections', {
      inspectionType: 'OQC',
      refType: 'PLT',
      refId: pallet.palletNo,
      itemId: plant.counter!.id,
      inspectorId: mes.userIds.inspector,
      inspectionDate: '2026-12-01T14:00:00Z',
    });
    const unknownPallet = await mes.call('inspector', 'POST', '/api/inspections', {
      inspectionType: 'OQC',
      refType: 'PLT',
      refId: 'PLT-19990101-001',
      inspectorId: mes.userIds.inspector,
      inspectionDate: '2026-12-01T14:00:00Z',
    });
    expect(unknownPallet.statusCode).toBe(422);
    expect(unknownPallet.json().errors[0]).toMatchObject({ field: 'refId', rule: 'exists' });
    await act('inspector', 'inspections', oqc.id, 'start');
    await act('inspector', 'inspections', oqc.id, 'pass');
    for (const box of boxes)
      expect(await mes.get('clerk', `/api/boxes/${String(box.id)}`)).toMatchObject({ oqcResult: 'PASS' });

    const shipment = await mes.create('clerk', '/api/shipments', {
      customerId: plant.customer!.id,
      shipmentDate: '2026-12-02',
    });
    const onShipment = await mes.call('clerk', 'PATCH', `/api/pallets/${String(pallet.id)}`, {
      version: (await mes.get('clerk', `/api/pallets/${String(pallet.id)}`)).version,
      shipmentId: shipment.id,
    });
    expect(onShipment.statusCode).toBe(200);
    const shipped = await act('clerk', 'shipments', shipment.id, 'ship', {
      fields: { carrier: 'SF Express', trackingNo: 'SF1234567890' },
    });
    expect(shipped.status).toBe('SHIPPED');
    Object.assign(plant, { boxes: { list: boxes }, pallet, shipment: shipped, oqc });
  }, 120_000);

  it('12 reverse trace from a serial: lot, order, steps with operator, station, shift and times, test data, material with supplier, GRN, mold and IQC, OQC, box, pallet and shipment', async () => {
    const serial = serials[0]!;
    const boxes = (plant.boxes as { list: Row[] }).list;
    const reverse = await mes.get('inspector', `/api/trace/reverse?sn=${String(serial.sn)}`);
    expect(keysOf(reverse.lots)).toEqual([plant.lot!.lotNo]);
    expect(keysOf(reverse.workOrders)).toEqual([plant.order!.woNo]);
    expect(keysOf(reverse.supplierLots)).toEqual([SUPPLIER_LOT]);
    expect(keysOf(reverse.receipts)).toEqual([GRN]);
    const details = reverse.details as Row;
    const steps = details.processes as Row[];
    const serialSteps = steps.filter((step) => step.entityId === serial.sn);
    expect(serialSteps.map((step) => [step.action, step.result])).toEqual([
      ['START', null],
      ['TEST', 'PASS'],
      ['END', 'PASS'],
    ]);
    for (const step of serialSteps)
      expect(step).toMatchObject({
        operator: { id: mes.userIds.operator, key: 'operator', label: 'Line operator' },
        station: { id: plant.station!.id, key: 'L1-TEST', label: 'Final test' },
        shift: expect.stringMatching(/^(DAY|NIGHT)$/),
        opCode: 'TEST',
        occurredAt: expect.any(String),
      });
    const reports = steps.filter((step) => step.entityId === plant.lot!.lotNo && step.action === 'REPORT');
    expect(reports.map((step) => [step.opCode, step.opStartAt, step.opEndAt])).toEqual([
      ['ASSY', '2026-12-01T09:10:00.000Z', '2026-12-01T10:10:00.000Z'],
      ['TEST', '2026-12-01T10:20:00.000Z', '2026-12-01T11:20:00.000Z'],
    ]);
    for (const report of reports)
      expect(report).toMatchObject({
        operator: { id: mes.userIds.operator, label: 'Line operator' },
        station: { key: 'L1-TEST' },
      });
    expect(details.testResults).toEqual([
      expect.objectContaining({
        sn: serial.sn,
        result: 'PASS',
        testData: { voltage: 5.01, current: 0.42 },
        operator: expect.objectContaining({ id: mes.userIds.operator, label: 'Line operator' }),
        station: expect.objectContaining({ key: 'L1-TEST' }),
        shift: expect.objectContaining({ key: expect.stringMatching(/^(DAY|NIGHT)$/) }),
        testedAt: expect.any(String),
      }),
    ]);
    const materials = details.materials as Row[];
    expect(materials).toHaveLength(2);
    expect(materials[0]).toMatchObject({
      lotNo: plant.lot!.lotNo,
      materialLotNo: SUPPLIER_LOT,
      grnNo: GRN,
      item: { id: plant.pcb!.id, key: plant.pcb!.itemCode, label: 'PCB' },
      supplier: { id: plant.supplier!.id, key: 'SUP-ACME1', label: 'ACME Electronics' },
      mold: { id: plant.mold!.id, key: plant.mold!.moldCode },
      iqc: { inspNo: plant.iqc!.inspNo, result: 'PASS' },
    });
    const quality = details.quality as Record<string, Row[]>;
    expect(quality.iqc!.map((i) => [i.inspNo, i.result])).toEqual([[plant.iqc!.inspNo, 'PASS']]);
    expect(quality.oqc!.map((i) => [i.inspNo, i.refType, i.result])).toEqual([
      [plant.oqc!.inspNo, 'PLT', 'PASS'],
    ]);
    expect(quality.oqc![0]!.inspector).toMatchObject({
      id: mes.userIds.inspector,
      label: 'Quality inspector',
    });
    expect(details.serials).toEqual([
      expect.objectContaining({
        sn: serial.sn,
        status: 'COMPLETED',
        boxNo: boxes[0]!.boxNo,
        palletNo: plant.pallet!.palletNo,
        shipmentNo: plant.shipment!.shipmentNo,
      }),
    ]);
    const shipping = details.shipping as Record<string, Row[]>;
    expect(shipping.boxes!.map((box) => [box.boxNo, box.oqcResult, box.status])).toEqual([
      [boxes[0]!.boxNo, 'PASS', 'SHIPPED'],
    ]);
    expect(shipping.shipments).toEqual([
      expect.objectContaining({
        shipmentNo: plant.shipment!.shipmentNo,
        status: 'SHIPPED',
        customer: expect.objectContaining({ id: plant.customer!.id, label: 'Bank of Coins' }),
        shippedAt: expect.any(String),
        trackingNo: 'SF1234567890',
      }),
    ]);
    // From the box: its serials, and where it went.
    const fromBox = await mes.get('inspector', `/api/trace/reverse?boxNo=${String(boxes[1]!.boxNo)}`);
    expect(keysOf(fromBox.serials)).toHaveLength(LOT_SIZE / 2);
    expect(((fromBox.details as Row).shipping as Record<string, Row[]>).shipments![0]).toMatchObject({
      shipmentNo: plant.shipment!.shipmentNo,
    });
  });

  it('13 forward trace from the GRN reaches the lot, serials, boxes, pallet and shipment; the complaint report names the customer', async () => {
    const forward = await mes.get('inspector', `/api/trace/forward?grnNo=${GRN}`);
    expect(keysOf(forward.supplierLots)).toEqual([SUPPLIER_LOT]);
    expect(keysOf(forward.lots)).toEqual([plant.lot!.lotNo]);
    expect(keysOf(forward.serials)).toHaveLength(LOT_SIZE);
    expect(keysOf(forward.boxes)).toHaveLength(2);
    expect(keysOf(forward.pallets)).toEqual([plant.pallet!.palletNo]);
    expect(keysOf(forward.shipments)).toEqual([plant.shipment!.shipmentNo]);

    const impact = await mes.get('inspector', `/api/trace/impact?grnNo=${GRN}`);
    expect(impact).toMatchObject({
      start: `GRN:${GRN}`,
      affected: { serials: LOT_SIZE, lots: 1, boxes: 2, pallets: 1, shipments: 1, customers: 1 },
      lots: [plant.lot!.lotNo],
      unshipped: { boxes: [], unpackedSerials: 0 },
    });
    expect(impact.customers).toEqual([
      {
        customer: expect.objectContaining({ id: plant.customer!.id, label: 'Bank of Coins' }),
        shipments: [plant.shipment!.shipmentNo],
        serials: LOT_SIZE,
      },
    ]);
    expect((impact.shipments as Row[])[0]).toMatchObject({
      shipmentNo: plant.shipment!.shipmentNo,
      pallets: [plant.pallet!.palletNo],
      serials: LOT_SIZE,
      carrier: 'SF Express',
    });
    // From the supplier lot and from one serial.
    const fromLot = await mes.get('inspector', `/api/trace/impact?lotId=${SUPPLIER_LOT}`);
    expect(fromLot.affected).toEqual(impact.affected);
    const fromSerial = await mes.get('inspector', `/api/trace/impact?sn=${String(serials[3]!.sn)}`);
    expect(fromSerial.affected).toMatchObject({ serials: 1, boxes: 1, shipments: 1, customers: 1 });
    expect((fromSerial.shipments as Row[])[0]).toMatchObject({ serials: 1 });
    // Complaint analysis is the quality inspector's, not the clerk's; a start is required.
    const clerk = await mes.call('clerk', 'GET', `/api/trace/impact?grnNo=${GRN}`);
    expect(clerk.statusCode).toBe(403);
    expect(clerk.json().message).toContain('trace:analyse');
    const none = await mes.call('inspector', 'GET', '/api/trace/impact');
    expect(none.statusCode).toBe(400);
    const unknown = await mes.call('inspector', 'GET', '/api/trace/impact?grnNo=GRN-19990101-001');
    expect(unknown.statusCode).toBe(404);
  });

  it('keeps an intact audit chain', async () => {
    await expectIntactAuditChain(new EngineDatabase(mes.server.dataSource));
  });
});
