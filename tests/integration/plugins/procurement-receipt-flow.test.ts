/**
 * Procurement end to end on the real server: purchase order (amounts derived) → approval → order →
 * goods receipt → IQC inspection in core → on pass the stock receipt through the inventory engine
 * (balance and GRN → supplier lot genealogy) → order lines and status rolled up; a failed lot is
 * rejected and leaves stock alone; supplier KPIs and the evaluation computed from the receipts.
 */
import type { TestDialect } from './plugin-harness';
import { bootBusinessServer, ok, type BusinessServer, type Call } from './business-plugins-harness';
import { TEST_DIALECTS } from '../../support/test-dialects';

type Rec = Record<string, unknown> & { id: number; version: number };
type Lines = { lines: Rec[] };

describe.each<TestDialect>(TEST_DIALECTS)('procurement receipt → IQC → stock on %s', (dialect) => {
  let env: BusinessServer;
  let admin: Call;
  let buyer: Call;
  let approver: Call;
  let receiver: Call;
  let inspector: Call;
  const masters: Record<string, number> = {};
  let order: Rec & Lines;

  beforeAll(async () => {
    env = await bootBusinessServer(dialect, 'procurement_flow');
    admin = env.as('admin');
    ok(await admin('POST', '/api/admin/plugins', { source: 'procurement', enable: true }));
    await env.addUser('buyer1', ['buyer']);
    await env.addUser('approver1', ['purchase_approver']);
    await env.addUser('receiver1', ['warehouse_clerk', 'goods_receiver']);
    [buyer, approver, receiver, inspector] = ['buyer1', 'approver1', 'receiver1', 'inspector'].map((u) =>
      env.as(u),
    );
    const uom = ok(await admin<Rec>('POST', '/api/units', { uomCode: 'PCS', uomName: 'Pieces' }));
    for (const [key, name] of [
      ['bearing', 'Bearing 6204'],
      ['spring', 'Spring S-12'],
    ]) {
      masters[key] = ok(
        await admin<Rec>('POST', '/api/items', { itemName: name, itemType: 'RAW', uomId: uom.id }),
      ).id;
    }
    masters.supplier = ok(await admin<Rec>('POST', '/api/suppliers', { supplierName: 'Acme Bearings' })).id;
    masters.location = ok(
      await admin<Rec>('POST', '/api/locations', { locationName: 'Raw store', locationType: 'WAREHOUSE' }),
    ).id;
  }, 240_000);
  afterAll(async () => {
    await env?.close();
  });

  const grnBody = (grnDate: string, lines: { poLine: number; quantity: number; lot: string }[]) => ({
    purchaseOrderId: order.id,
    supplierId: masters.supplier,
    grnDate,
    locationId: masters.location,
    iqcInspectorId: env.userId('inspector'),
    lines: lines.map((line, i) => ({
      lineNo: i + 1,
      poLineId: order.lines[line.poLine]!.id,
      itemId: order.lines[line.poLine]!.itemId,
      supplierLot: line.lot,
      quantity: line.quantity,
    })),
  });

  /** Creates and receives a GRN; returns it with its IQC inspection. */
  async function receive(grnDate: string, lines: { poLine: number; quantity: number; lot: string }[]) {
    const draft = ok(await receiver<Rec>('POST', '/api/goods-receipts', grnBody(grnDate, lines)));
    const received = ok(
      await receiver<{ status: string }>('POST', `/api/goods-receipts/${draft.id}/actions/receive`),
    );
    expect(received.status).toBe('APPLIED');
    const grn = ok(await receiver<Rec & Lines>('GET', `/api/goods-receipts/${draft.id}?expand=lines`));
    const inspection = ok(await inspector<Rec>('GET', `/api/inspections/${String(grn.iqcInspectionId)}`));
    ok(await inspector('POST', `/api/inspections/${inspection.id}/actions/start`));
    return { grn, inspection };
  }

  it('derives line amounts and totals, and sends the order through approval to the supplier', async () => {
    order = ok(
      await buyer<Rec & Lines>('POST', '/api/purchase-orders', {
        supplierId: masters.supplier,
        poDate: '2026-11-01',
        promisedDate: '2026-11-20',
        buyerId: env.userId('buyer1'),
        taxRate: 13,
        lines: [
          { lineNo: 1, itemId: masters.bearing, quantity: 100, unitPrice: 12.5 },
          { lineNo: 2, itemId: masters.spring, quantity: 50, unitPrice: 20 },
        ],
      }),
    );
    expect(order.lines.map((l) => l.amount)).toEqual([1250, 1000]);
    expect(order).toMatchObject({ subtotalAmount: 2250, totalAmount: 2542.5, supplierName: 'Acme Bearings' });
    ok(await buyer('POST', `/api/purchase-orders/${order.id}/actions/submit`));
    expect(
      ok(await approver<{ status: string }>('POST', `/api/purchase-orders/${order.id}/actions/approve`))
        .status,
    ).toBe('APPLIED');
    ok(await buyer('POST', `/api/purchase-orders/${order.id}/actions/place`));
    order = ok(await buyer<Rec & Lines>('GET', `/api/purchase-orders/${order.id}?expand=lines`));
    expect(order.status).toBe('ORDERED');
  });

  it('refuses a receipt above the open quantity, naming the line, and one from another supplier', async () => {
    const tooMuch = await receiver(
      'POST',
      '/api/goods-receipts',
      grnBody('2026-11-18', [{ poLine: 0, quantity: 101, lot: 'X' }]),
    );
    expect(tooMuch.status).toBe(422);
    expect(tooMuch.body).toMatchObject({
      code: 'VALIDATION_FAILED',
      errors: [expect.objectContaining({ path: '/lines/0/quantity', rule: 'over-receipt' })],
    });
    const other = ok(await admin<Rec>('POST', '/api/suppliers', { supplierName: 'Other Springs' }));
    const wrong = await receiver('POST', '/api/goods-receipts', {
      ...grnBody('2026-11-18', [{ poLine: 0, quantity: 1, lot: 'X' }]),
      supplierId: other.id,
    });
    expect(wrong.status).toBe(422);
    expect(wrong.body).toMatchObject({
      errors: [expect.objectContaining({ field: 'supplierId', rule: 'supplier-mismatch' })],
    });
  });

  it('receives into quarantine with an IQC inspection sized by the lot, then a pass puts the lot in stock', async () => {
    const { grn, inspection } = await receive('2026-11-18', [{ poLine: 0, quantity: 60, lot: 'SL-A1' }]);
    expect(grn).toMatchObject({ status: 'RECEIVED', onTime: true });
    expect(inspection).toMatchObject({
      inspectionType: 'IQC',
      refType: 'GRN',
      refId: grn.grnNo,
      supplierId: masters.supplier,
      itemId: masters.bearing,
      supplierLot: 'SL-A1',
      lotSize: 60,
      sampleSize: 13,
      inspectorId: env.userId('inspector'),
    });
    const stockBefore = ok(await admin<{ items: Rec[] }>('GET', '/api/stock?filter[lotNo]=SL-A1'));
    expect(stockBefore.items).toEqual([]);

    ok(await inspector('POST', `/api/inspections/${inspection.id}/actions/pass`));

    const accepted = ok(await receiver<Rec & Lines>('GET', `/api/goods-receipts/${grn.id}?expand=lines`));
    expect(accepted.status).toBe('ACCEPTED');
    expect(accepted.lines[0]).toMatchObject({
      status: 'ACCEPTED',
      acceptedQuantity: 60,
      rejectedQuantity: 0,
    });
    const movements = ok(
      await admin<{ items: Rec[] }>(
        'GET',
        `/api/stock-transactions?filter[referenceId]=${String(grn.grnNo)}`,
      ),
    ).items;
    expect(movements).toEqual([
      expect.objectContaining({
        transactionType: 'IN',
        transactionNo: accepted.lines[0]!.transactionNo,
        itemId: masters.bearing,
        lotNo: 'SL-A1',
        toLocationId: masters.location,
        quantity: 60,
        unitCost: 12.5,
        referenceType: 'GRN',
      }),
    ]);
    const stock = ok(await admin<{ items: Rec[] }>('GET', '/api/stock?filter[lotNo]=SL-A1')).items;
    expect(stock).toEqual([
      expect.objectContaining({ locationId: masters.location, quantity: 60, availableQuantity: 60 }),
    ]);
    const trace = ok(await admin<{ receipts: { key: string }[] }>('GET', '/api/trace/reverse?lotId=SL-A1'));
    expect(trace.receipts.map((r) => r.key)).toEqual([grn.grnNo]);

    const rolled = ok(await buyer<Rec & Lines>('GET', `/api/purchase-orders/${order.id}?expand=lines`));
    expect(rolled.status).toBe('PARTIALLY_RECEIVED');
    expect(rolled.lines.map((l) => [l.receivedQuantity, l.status])).toEqual([
      [60, 'PARTIALLY_RECEIVED'],
      [0, 'PENDING'],
    ]);
  });

  it('keeps a failed lot out of stock until it is rejected; the order stays partially received', async () => {
    const { grn, inspection } = await receive('2026-11-25', [{ poLine: 0, quantity: 40, lot: 'SL-A2' }]);
    expect(grn.onTime).toBe(false);
    const started = ok(await inspector<Rec>('GET', `/api/inspections/${inspection.id}`));
    ok(
      await inspector('PATCH', `/api/inspections/${inspection.id}`, {
        defectQuantity: 4,
        version: started.version,
      }),
    );
    ok(
      await inspector('POST', `/api/inspections/${inspection.id}/actions/fail`, {
        fields: { failureReason: 'Outer ring out of tolerance', problemSeverity: 'HIGH' },
      }),
    );
    expect(ok(await receiver<Rec>('GET', `/api/goods-receipts/${grn.id}?expand=lines`)).status).toBe(
      'INSPECTED',
    );
    const refused = await receiver('POST', `/api/goods-receipts/${grn.id}/actions/accept`);
    expect(refused.status).toBe(422);
    ok(
      await receiver('POST', `/api/goods-receipts/${grn.id}/actions/reject`, {
        reason: 'IQC failed',
        fields: { rejectReason: 'Returned to supplier' },
      }),
    );
    const rejected = ok(await receiver<Rec & Lines>('GET', `/api/goods-receipts/${grn.id}?expand=lines`));
    expect(rejected.lines.map((l) => [l.status, l.acceptedQuantity, l.rejectedQuantity])).toEqual([
      ['REJECTED', 0, 40],
    ]);
    expect(ok(await admin<{ items: Rec[] }>('GET', '/api/stock?filter[lotNo]=SL-A2')).items).toEqual([]);
    expect(ok(await buyer<Rec>('GET', `/api/purchase-orders/${order.id}?expand=lines`)).status).toBe(
      'PARTIALLY_RECEIVED',
    );
  });

  it('receives the replacement: the order is fully received', async () => {
    const { grn, inspection } = await receive('2026-11-26', [
      { poLine: 0, quantity: 40, lot: 'SL-A3' },
      { poLine: 1, quantity: 50, lot: 'SL-B2' },
    ]);
    ok(await inspector('POST', `/api/inspections/${inspection.id}/actions/pass`));
    expect(ok(await receiver<Rec>('GET', `/api/goods-receipts/${grn.id}?expand=lines`)).status).toBe(
      'ACCEPTED',
    );
    const done = ok(await buyer<Rec & Lines>('GET', `/api/purchase-orders/${order.id}?expand=lines`));
    expect(done.status).toBe('RECEIVED');
    expect(done.lines.map((l) => [l.receivedQuantity, l.status])).toEqual([
      [100, 'RECEIVED'],
      [50, 'RECEIVED'],
    ]);
    const closed = await buyer('POST', `/api/purchase-orders/${order.id}/actions/close`, {
      reason: 'Complete',
    });
    expect(ok(closed)).toMatchObject({ status: 'APPLIED', to: 'CLOSED' });
  });

  it('computes supplier KPIs from the receipts and their IQC results, and fills the evaluation', async () => {
    const kpi = ok(
      await approver<Record<string, unknown>>(
        'GET',
        `/api/plugins/procurement/suppliers/${masters.supplier}/kpi?from=2026-11-01&to=2026-11-30`,
      ),
    );
    // 3 receipts: 18 Nov on time, 25 and 26 Nov after the promised 20 Nov; IQC pass, fail, pass;
    // decided quantity 60 + 40 + 90 = 190 of which 40 rejected: 40 / 190 × 10⁶ = 210 526.32 PPM.
    expect(kpi).toMatchObject({
      deliveries: 3,
      onTimeDeliveries: 1,
      onTimeRate: 33.33,
      inspectedLots: 3,
      passedLots: 2,
      passRate: 66.67,
      receivedQuantity: 190,
      rejectedQuantity: 40,
      qualityPpm: 210526.32,
    });
    const badRange = await approver(
      'GET',
      `/api/plugins/procurement/suppliers/${masters.supplier}/kpi?from=November`,
    );
    expect(badRange.status).toBe(422);

    const evaluation = ok(
      await approver<Rec>('POST', '/api/supplier-evaluations', {
        supplierId: masters.supplier,
        period: '2026-11',
        serviceScore: 80,
        costScore: 90,
      }),
    );
    // Overall = 40 % quality (pass rate 66.67) + 30 % delivery (on-time 33.33) + 15 % service + 15 % cost.
    expect(evaluation).toMatchObject({
      deliveries: 3,
      onTimeRate: 33.33,
      passRate: 66.67,
      qualityPpm: 210526.32,
      qualityScore: 66.67,
      deliveryScore: 33.33,
      overallScore: 62.17,
      rating: 'D',
    });
  });
});
