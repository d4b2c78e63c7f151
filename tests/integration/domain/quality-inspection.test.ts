/**
 * Quality behaviour through the real server (SQLite; MariaDB + Redis): inspections copy their plan's
 * check items, recorded values are judged against the spec limits, a failed IQC opens an NCR that
 * holds the supplier lot (issuing it is refused), and the NCR's disposition releases or scraps it.
 */
import { startMesServer, PASSWORD, type MesServer, type ScenarioDialect } from '../scenario/mes-server';
import { TEST_DIALECTS } from '../../support/test-dialects';

type Row = Record<string, unknown>;

/** The writable fields of an inspection item: a PATCH of the inspection sends its items whole. */
const ITEM_FIELDS = [
  'id',
  'lineNo',
  'itemKey',
  'itemName',
  'characteristic',
  'standardValue',
  'lowerLimit',
  'upperLimit',
  'unit',
  'method',
  'actualValue',
];
const pick = (row: Row, fields: readonly string[]) =>
  Object.fromEntries(fields.filter((field) => row[field] !== null).map((field) => [field, row[field]]));

describe.each<ScenarioDialect>(TEST_DIALECTS)('quality inspections, NCRs and holds (%s)', (dialect) => {
  let mes: MesServer;
  let itemId: unknown;
  let supplierId: unknown;
  let warehouseId: unknown;
  let lineSideId: unknown;
  let orderId: unknown;
  let grn = 0;

  beforeAll(async () => {
    mes = await startMesServer(dialect, 'quality');
    const uom = await mes.create('admin', '/api/units', { uomCode: 'Q-PCS', uomName: 'Pieces' });
    const plant = await mes.create('admin', '/api/plants', { plantCode: 'Q-P1', plantName: 'Plant Q' });
    const line = await mes.create('admin', '/api/production-lines', {
      lineCode: 'QA01',
      lineName: 'Line Q',
      plantId: plant.id,
    });
    const supplier = await mes.create('admin', '/api/suppliers', { supplierName: 'Acme Boards' });
    supplierId = supplier.id;
    const item = await mes.create('admin', '/api/items', { itemName: 'PCB', itemType: 'RAW', uomId: uom.id });
    itemId = item.id;
    const product = await mes.create('admin', '/api/items', {
      itemName: 'Counter',
      itemType: 'FINISHED',
      uomId: uom.id,
    });
    warehouseId = (
      await mes.create('admin', '/api/locations', { locationName: 'Main', locationType: 'WAREHOUSE' })
    ).id;
    lineSideId = (
      await mes.create('admin', '/api/locations', { locationName: 'Line side', locationType: 'LINE_SIDE' })
    ).id;
    orderId = (
      await mes.create('planner', '/api/work-orders', {
        itemId: product.id,
        lineId: line.id,
        plannedQuantity: 5,
        plannedStart: '2026-12-01T08:00:00Z',
      })
    ).id;
    await mes.create('admin', '/api/inspection-plans', {
      planCode: 'IQC-PCB',
      itemId,
      inspectionType: 'IQC',
      status: 'ACTIVE',
      sampleSize: 5,
      samplingMethod: 'FIXED',
      aqlLevel: '2.5',
      checkItems: [
        {
          item_key: 'THICKNESS',
          item_name: 'Board thickness',
          standard_value: '1.6',
          lower_limit: 1.5,
          upper_limit: 1.7,
          unit: 'mm',
          method: 'Caliper',
        },
        { item_key: 'VISUAL', item_name: 'Solder mask', method: 'Visual, 10x loupe' },
      ],
    });
  }, 180_000);
  afterAll(() => mes?.stop());

  async function receive(lotNo: string, quantity: number): Promise<string> {
    grn += 1;
    const grnNo = `GRN-Q-${grn}`;
    await mes.create('clerk', '/api/stock-transactions', {
      transactionType: 'IN',
      itemId,
      lotNo,
      toLocationId: warehouseId,
      quantity,
      referenceType: 'GRN',
      referenceId: grnNo,
      occurredAt: '2026-11-25T08:00:00Z',
    });
    return grnNo;
  }

  async function iqc(grnNo: string, lotNo: string): Promise<Row> {
    return mes.create('inspector', '/api/inspections', {
      inspectionType: 'IQC',
      refType: 'GRN',
      refId: grnNo,
      itemId,
      supplierId,
      supplierLot: lotNo,
      inspectorId: mes.userIds.inspector,
      inspectionDate: '2026-11-25T09:00:00Z',
    });
  }

  /** Records values by item key; returns the response. */
  async function record(inspection: Row, values: Record<string, string>) {
    const current = await mes.get('inspector', `/api/inspections/${String(inspection.id)}?expand=items`);
    const items = (current.items as Row[]).map((item) => ({
      ...pick(item, ITEM_FIELDS),
      ...(values[String(item.itemKey)] !== undefined ? { actualValue: values[String(item.itemKey)] } : {}),
    }));
    return mes.call('inspector', 'PATCH', `/api/inspections/${String(inspection.id)}`, {
      version: current.version,
      items,
    });
  }

  const stockOf = async (lotNo: string) =>
    (await mes.get('clerk', `/api/stock?filter[lotNo][eq]=${lotNo}`)).items as Row[];
  const issue = (lotNo: string, quantity: number) =>
    mes.call('clerk', 'POST', '/api/stock-transactions', {
      transactionType: 'ISSUE',
      itemId,
      lotNo,
      fromLocationId: warehouseId,
      toLocationId: lineSideId,
      quantity,
      workOrderId: orderId,
      referenceType: 'WO',
      occurredAt: '2026-11-25T10:00:00Z',
    });
  const outboxTypes = async (entity: string, id: unknown) =>
    (
      await mes.query<{ event_type: string }>(
        'SELECT event_type FROM evt_outbox WHERE entity = ? AND entity_id = ? ORDER BY id',
        [entity, String(id)],
      )
    ).map((row) => row.event_type);

  it('copies the active plan’s check items (characteristic, limits, nominal, unit, method) into a new inspection', async () => {
    const grnNo = await receive('SL-COPY', 10);
    const inspection = await iqc(grnNo, 'SL-COPY');
    expect(inspection.planId).toEqual(expect.any(Number));
    expect(inspection.aqlLevel).toBe('2.5');
    expect(inspection.inspNo).toMatch(/^INSP-IQC-[0-9]{8}-[0-9]{3}$/);
    const stored = await mes.get('inspector', `/api/inspections/${String(inspection.id)}?expand=items`);
    const items = stored.items as Row[];
    expect(items).toHaveLength(2);
    expect(items[0]).toMatchObject({
      lineNo: 1,
      itemKey: 'THICKNESS',
      characteristic: 'VARIABLE',
      standardValue: '1.6',
      unit: 'mm',
      method: 'Caliper',
      result: null,
    });
    expect(Number(items[0]!.lowerLimit)).toBe(1.5);
    expect(Number(items[0]!.upperLimit)).toBe(1.7);
    expect(items[1]).toMatchObject({
      itemKey: 'VISUAL',
      characteristic: 'ATTRIBUTE',
      method: 'Visual, 10x loupe',
    });
  });

  it('refuses a plan whose check items are malformed, naming the path', async () => {
    const response = await mes.call('admin', 'POST', '/api/inspection-plans', {
      planCode: 'IQC-BAD',
      itemId,
      inspectionType: 'IQC',
      checkItems: [{ item_key: 'LEN', lower_limit: 'short', upper_limit: 2 }],
    });
    expect(response.statusCode).toBe(422);
    expect(response.json().errors).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ path: '/checkItems/0/lower_limit', rule: 'numeric' }),
      ]),
    );
  });

  it('judges recorded values against the limits and computes the result once every item is recorded', async () => {
    const grnNo = await receive('SL-JUDGE', 10);
    const inspection = await iqc(grnNo, 'SL-JUDGE');
    const invalid = await record(inspection, { THICKNESS: 'thick' });
    expect(invalid.statusCode).toBe(422);
    expect(invalid.json().errors).toEqual([
      expect.objectContaining({ path: '/items/0/actualValue', rule: 'numeric' }),
    ]);

    const partial = await record(inspection, { THICKNESS: '1.82' });
    expect(partial.statusCode).toBe(200);
    const afterOne = partial.json().data as Row;
    expect(afterOne.result).toBe('PENDING');
    expect((afterOne.items as Row[])[0]).toMatchObject({ result: 'FAIL', defectCount: 1 });

    const corrected = await record(inspection, { THICKNESS: '1.65', VISUAL: 'ok' });
    const judged = corrected.json().data as Row;
    expect((judged.items as Row[]).map((item) => item.result)).toEqual(['PASS', 'PASS']);
    expect(judged).toMatchObject({ result: 'PASS', defectQuantity: 0 });

    const failing = (await record(inspection, { VISUAL: 'NG' })).json().data as Row;
    expect(failing).toMatchObject({ result: 'FAIL', defectQuantity: 1 });
    const stored = await mes.get('inspector', `/api/inspections/${String(inspection.id)}?expand=items`);
    expect(stored.result).toBe('FAIL');

    // Each write, the plan's items and the verdicts included, is one change of the record-change
    // path: one audit record of the inspection (none for the refused recording), whose changed
    // fields carry the verdict.
    const audits = await mes.query<{ action: string; changed_fields: string }>(
      'SELECT action, changed_fields FROM audit_log WHERE entity_name = ? AND record_id = ? ORDER BY id',
      ['inspection', String(inspection.id)],
    );
    expect(audits.map((audit) => audit.action)).toEqual(['CREATE', 'UPDATE', 'UPDATE', 'UPDATE']);
    expect(audits[3]!.changed_fields).toContain('result');
    expect(await outboxTypes('inspection', inspection.id)).toEqual([
      'inspection.created',
      'inspection.updated',
      'inspection.updated',
      'inspection.updated',
    ]);
  });

  it('a failed IQC opens an NCR holding the supplier lot; issuing it is refused; use-as-is releases it', async () => {
    const grnNo = await receive('SL-HOLD', 20);
    const inspection = await iqc(grnNo, 'SL-HOLD');
    const url = `/api/inspections/${String(inspection.id)}`;
    await mes.act('inspector', `${url}/actions/start`);
    expect((await record(inspection, { THICKNESS: '1.9', VISUAL: 'OK' })).statusCode).toBe(200);

    const pass = await mes.call('inspector', 'POST', `${url}/actions/pass`, {});
    expect(pass.statusCode).toBe(422);
    const failed = await mes.act('inspector', `${url}/actions/fail`, {
      fields: { failureReason: 'Boards too thick', problemSeverity: 'HIGH' },
    });
    expect(failed).toMatchObject({ status: 'FAILED', result: 'FAIL' });

    const ncrs = (await mes.get('inspector', `/api/ncrs?filter[inspectionId][eq]=${String(inspection.id)}`))
      .items as Row[];
    expect(ncrs).toHaveLength(1);
    const ncr = ncrs[0]!;
    expect(ncr).toMatchObject({
      source: 'IQC',
      status: 'OPEN',
      severity: 'HIGH',
      category: 'MATERIAL',
      itemId,
      supplierId,
      lotNo: 'SL-HOLD',
    });
    expect(String(ncr.description)).toContain('THICKNESS');
    const holds = await mes.query<{ status: string; hold_type: string }>(
      `SELECT status, hold_type FROM ${mes.table('quality_hold')} WHERE lot_no = ?`,
      ['SL-HOLD'],
    );
    expect(holds).toEqual([{ status: 'ACTIVE', hold_type: 'SUPPLIER_LOT' }]);
    expect((await stockOf('SL-HOLD')).map((s) => s.status)).toEqual(['QUARANTINE']);
    expect(await outboxTypes('ncr', ncr.id)).toEqual(['ncr.created']);
    expect(await outboxTypes('inspection', inspection.id)).toEqual(
      expect.arrayContaining(['inspection.completed', 'inspection.failed']),
    );
    const [failedEvent] = await mes.query<{ envelope: string }>(
      "SELECT envelope FROM evt_outbox WHERE entity = 'inspection' AND entity_id = ? AND event_type = 'inspection.failed'",
      [String(inspection.id)],
    );
    expect((JSON.parse(failedEvent!.envelope) as { payload: unknown }).payload).toMatchObject({
      action: 'fail',
      failure_reason: 'Boards too thick',
      defect_summary: { total: 1, major: 0, minor: 0, critical: 0, defect_codes: [] },
    });

    const refused = await issue('SL-HOLD', 5);
    expect(refused.statusCode).toBe(422);
    expect(refused.json()).toMatchObject({
      code: 'BUSINESS_RULE',
      errors: [{ rule: 'quality-hold', field: 'lotNo', path: '/lotNo' }],
    });
    expect(refused.json().message).toContain(String(ncr.ncrNo));
    expect(Number((await stockOf('SL-HOLD'))[0]!.availableQuantity)).toBe(20);

    const ncrUrl = `/api/ncrs/${String(ncr.id)}`;
    await mes.act('inspector', `${ncrUrl}/actions/start`, {
      fields: { assigneeId: mes.userIds.inspector, dueDate: '2026-12-15' },
    });
    await mes.act('inspector', `${ncrUrl}/actions/resolve`, {
      fields: {
        disposition: 'USE_AS_IS',
        rootCause: 'Press setting',
        correctiveAction: 'Supplier recalibrated',
      },
    });
    await mes.act('admin', `${ncrUrl}/actions/close`, {
      password: PASSWORD,
      fields: { verificationResult: 'EFFECTIVE', verificationNote: 'Boards fit the fixture' },
    });
    const ended = await mes.query<{ status: string; disposition: string }>(
      `SELECT status, disposition FROM ${mes.table('quality_hold')} WHERE lot_no = ?`,
      ['SL-HOLD'],
    );
    expect(ended).toEqual([{ status: 'RELEASED', disposition: 'USE_AS_IS' }]);
    expect((await stockOf('SL-HOLD')).map((s) => s.status)).toEqual(['AVAILABLE']);
    expect((await issue('SL-HOLD', 5)).statusCode).toBe(201);
  });

  it('a passed IQC makes the supplier lot’s stock available', async () => {
    const grnNo = await receive('SL-PASS', 8);
    const inspection = await iqc(grnNo, 'SL-PASS');
    const url = `/api/inspections/${String(inspection.id)}`;
    await mes.act('inspector', `${url}/actions/start`);
    const early = await mes.call('inspector', 'POST', `${url}/actions/pass`, {});
    expect(early.statusCode).toBe(422);
    expect(early.json().errors[0].rule).toBe('inspection-items-recorded');
    await record(inspection, { THICKNESS: '1.6', VISUAL: 'OK' });
    expect(await mes.act('inspector', `${url}/actions/pass`)).toMatchObject({
      status: 'COMPLETED',
      result: 'PASS',
    });
    expect((await stockOf('SL-PASS')).map((s) => s.status)).toEqual(['AVAILABLE']);
    const closed = await record(inspection, { VISUAL: 'NG' });
    expect(closed.statusCode).toBe(422);
    // The workflow locks a completed inspection (`states.COMPLETED.editable: []`).
    expect(closed.json().errors[0]).toMatchObject({ rule: 'state-locked', limit: 'COMPLETED' });
  });

  it('a scrap disposition scraps the held lot’s stock with movements referencing the NCR', async () => {
    const grnNo = await receive('SL-SCRAP', 12);
    const inspection = await iqc(grnNo, 'SL-SCRAP');
    const url = `/api/inspections/${String(inspection.id)}`;
    await mes.act('inspector', `${url}/actions/start`);
    await record(inspection, { THICKNESS: '1.2', VISUAL: 'NG' });
    await mes.act('inspector', `${url}/actions/fail`, {
      fields: { failureReason: 'Warped', problemSeverity: 'CRITICAL' },
    });
    const [ncr] = (await mes.get('inspector', `/api/ncrs?filter[inspectionId][eq]=${String(inspection.id)}`))
      .items as Row[];
    const ncrUrl = `/api/ncrs/${String(ncr!.id)}`;
    await mes.act('inspector', `${ncrUrl}/actions/start`, {
      fields: { assigneeId: mes.userIds.inspector, dueDate: '2026-12-15' },
    });
    await mes.act('inspector', `${ncrUrl}/actions/resolve`, {
      fields: { disposition: 'SCRAP', rootCause: 'Storage humidity', correctiveAction: 'Dry packs' },
    });
    const wrongPassword = await mes.call('admin', 'POST', `${ncrUrl}/actions/close`, {
      password: 'not-the-password',
      fields: { verificationResult: 'EFFECTIVE', verificationNote: 'Scrapped' },
    });
    expect(wrongPassword.statusCode).toBe(403);
    await mes.act('admin', `${ncrUrl}/actions/close`, {
      password: PASSWORD,
      fields: { verificationResult: 'EFFECTIVE', verificationNote: 'Scrapped' },
    });
    const [stock] = await stockOf('SL-SCRAP');
    expect(stock).toMatchObject({ status: 'REJECTED' });
    expect(Number(stock!.quantity)).toBe(0);
    const movements = (
      await mes.get(
        'clerk',
        `/api/stock-transactions?filter[lotNo][eq]=SL-SCRAP&filter[transactionType][eq]=SCRAP`,
      )
    ).items as Row[];
    expect(movements).toEqual([
      expect.objectContaining({ referenceType: 'NCR', referenceId: ncr!.ncrNo, quantity: expect.anything() }),
    ]);
    expect(Number(movements[0]!.quantity)).toBe(12);
    const [hold] = await mes.query<{ status: string }>(
      `SELECT status FROM ${mes.table('quality_hold')} WHERE lot_no = ?`,
      ['SL-SCRAP'],
    );
    expect(hold).toEqual({ status: 'SCRAPPED' });
  });

  /** Starts, resolves (with `disposition`) and, when resolving was accepted, closes an NCR. */
  async function handle(ncr: Row, disposition: string) {
    const ncrUrl = `/api/ncrs/${String(ncr.id)}`;
    await mes.act('inspector', `${ncrUrl}/actions/start`, {
      fields: { assigneeId: mes.userIds.inspector, dueDate: '2026-12-15' },
    });
    const resolved = await mes.call('inspector', 'POST', `${ncrUrl}/actions/resolve`, {
      fields: { disposition, rootCause: 'Root cause', correctiveAction: 'Corrective action' },
    });
    if (resolved.statusCode !== 201) return resolved;
    return mes.call('admin', 'POST', `${ncrUrl}/actions/close`, {
      password: PASSWORD,
      fields: { verificationResult: 'EFFECTIVE', verificationNote: 'Verified' },
    });
  }

  it('returns a held supplier lot to its supplier: OUT movements referencing the NCR, hold RETURNED', async () => {
    const grnNo = await receive('SL-RETURN', 15);
    const inspection = await iqc(grnNo, 'SL-RETURN');
    const url = `/api/inspections/${String(inspection.id)}`;
    await mes.act('inspector', `${url}/actions/start`);
    await record(inspection, { THICKNESS: '2.4', VISUAL: 'NG' });
    await mes.act('inspector', `${url}/actions/fail`, {
      fields: { failureReason: 'Wrong board', problemSeverity: 'HIGH' },
    });
    const [ncr] = (await mes.get('inspector', `/api/ncrs?filter[inspectionId][eq]=${String(inspection.id)}`))
      .items as Row[];
    const shipped = await mes.call('clerk', 'POST', '/api/stock-transactions', {
      transactionType: 'OUT',
      itemId,
      lotNo: 'SL-RETURN',
      fromLocationId: warehouseId,
      quantity: 1,
      referenceType: 'SHIPMENT',
      referenceId: 'SHP-X',
      occurredAt: '2026-11-25T10:00:00Z',
    });
    expect(shipped.statusCode).toBe(422);
    expect(shipped.json().errors[0]).toMatchObject({ rule: 'quality-hold' });

    expect((await handle(ncr!, 'RETURN_TO_SUPPLIER')).statusCode).toBe(201);
    const [stock] = await stockOf('SL-RETURN');
    expect(stock).toMatchObject({ status: 'REJECTED' });
    expect(Number(stock!.quantity)).toBe(0);
    const returned = (
      await mes.get(
        'clerk',
        '/api/stock-transactions?filter[lotNo][eq]=SL-RETURN&filter[transactionType][eq]=OUT',
      )
    ).items as Row[];
    expect(returned).toEqual([expect.objectContaining({ referenceType: 'NCR', referenceId: ncr!.ncrNo })]);
    const [hold] = await mes.query<{ status: string }>(
      `SELECT status FROM ${mes.table('quality_hold')} WHERE lot_no = ?`,
      ['SL-RETURN'],
    );
    expect(hold).toEqual({ status: 'RETURNED' });
  });

  it('holds a production lot on a failed IPQC; it cannot be returned to a supplier and cannot be issued', async () => {
    await mes.act('planner', `/api/work-orders/${String(orderId)}/actions/release`);
    const [lot] = (
      await mes.get('planner', `/api/production-lots?filter[workOrderId][eq]=${String(orderId)}`)
    ).items as Row[];
    const inspection = await mes.create('inspector', '/api/inspections', {
      inspectionType: 'IPQC',
      refType: 'LOT',
      refId: lot!.lotNo,
      inspectorId: mes.userIds.inspector,
      inspectionDate: '2026-11-25T11:00:00Z',
    });
    expect(inspection).toMatchObject({
      lotId: lot!.id,
      workOrderId: orderId,
      itemId: lot!.itemId,
      planId: null,
    });
    const url = `/api/inspections/${String(inspection.id)}`;
    await mes.act('inspector', `${url}/actions/start`);
    await mes.act('inspector', `${url}/actions/fail`, {
      fields: { defectQuantity: 2, failureReason: 'Cold joints', problemSeverity: 'MEDIUM' },
    });
    const [ncr] = (await mes.get('inspector', `/api/ncrs?filter[inspectionId][eq]=${String(inspection.id)}`))
      .items as Row[];
    expect(ncr).toMatchObject({ source: 'IPQC', category: 'PROCESS', lotNo: lot!.lotNo, supplierId: null });
    const refused = await mes.call('clerk', 'POST', '/api/stock-transactions', {
      transactionType: 'ISSUE',
      itemId: lot!.itemId,
      lotNo: lot!.lotNo,
      fromLocationId: warehouseId,
      quantity: 1,
      workOrderId: orderId,
      occurredAt: '2026-11-25T12:00:00Z',
    });
    expect(refused.statusCode).toBe(422);
    expect(refused.json().errors[0]).toMatchObject({ rule: 'quality-hold', path: '/lotNo' });
    const wrongDisposition = await handle(ncr!, 'RETURN_TO_SUPPLIER');
    expect(wrongDisposition.statusCode).toBe(422);
    expect(wrongDisposition.json().errors[0]).toMatchObject({
      rule: 'disposition',
      path: '/fields/disposition',
    });
    const stillOpen = await mes.get('inspector', `/api/ncrs/${String(ncr!.id)}`);
    expect(stillOpen.status).toBe('IN_PROGRESS');
  });

  it('a refused inspection item value changes nothing', async () => {
    const grnNo = await receive('SL-ATOMIC', 5);
    const inspection = await iqc(grnNo, 'SL-ATOMIC');
    const refused = await record(inspection, { THICKNESS: '1.6', VISUAL: 'maybe' });
    expect(refused.statusCode).toBe(422);
    expect(refused.json().errors).toEqual([
      expect.objectContaining({ path: '/items/1/actualValue', rule: 'attribute-reading' }),
    ]);
    const stored = await mes.get('inspector', `/api/inspections/${String(inspection.id)}?expand=items`);
    expect((stored.items as Row[]).map((item) => [item.actualValue, item.result])).toEqual([
      [null, null],
      [null, null],
    ]);
    expect(stored.version).toBe(inspection.version);
  });

  it('an IQC naming no supplier lot holds every lot its GRN received', async () => {
    const grnNo = await receive('SL-MULTI-A', 4);
    await mes.create('clerk', '/api/stock-transactions', {
      transactionType: 'IN',
      itemId,
      lotNo: 'SL-MULTI-B',
      toLocationId: warehouseId,
      quantity: 6,
      referenceType: 'GRN',
      referenceId: grnNo,
      occurredAt: '2026-11-25T08:05:00Z',
    });
    const inspection = await mes.create('inspector', '/api/inspections', {
      inspectionType: 'IQC',
      refType: 'GRN',
      refId: grnNo,
      itemId,
      supplierId,
      inspectorId: mes.userIds.inspector,
      inspectionDate: '2026-11-25T09:00:00Z',
    });
    const url = `/api/inspections/${String(inspection.id)}`;
    await mes.act('inspector', `${url}/actions/start`);
    await record(inspection, { THICKNESS: '1.3', VISUAL: 'OK' });
    await mes.act('inspector', `${url}/actions/fail`, {
      fields: { failureReason: 'Thin boards', problemSeverity: 'LOW' },
    });
    const holds = await mes.query<{ lot_no: string; status: string }>(
      `SELECT lot_no, status FROM ${mes.table('quality_hold')} WHERE lot_no LIKE 'SL-MULTI-%' ORDER BY lot_no`,
    );
    expect(holds).toEqual([
      { lot_no: 'SL-MULTI-A', status: 'ACTIVE' },
      { lot_no: 'SL-MULTI-B', status: 'ACTIVE' },
    ]);
    const [ncr] = (await mes.get('inspector', `/api/ncrs?filter[inspectionId][eq]=${String(inspection.id)}`))
      .items as Row[];
    expect(ncr).toMatchObject({ lotNo: null, supplierId });
  });
});
