import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { DEMO_PLANT } from '../../../database/seeds/demo-plant';
import { startServer, type RunningServer } from '../../../platform/src/bootstrap/start-server';

const quiet = new Writable({ write: (_chunk, _encoding, done) => done() });

/** The real startup on the real core metadata and migrations: an empty SQLite file gets the demo plant. */
describe('demo plant seed', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mes-demo-'));
  const env = { DATABASE_URL: `sqlite:${join(dir, 'mes.sqlite')}`, LOG_LEVEL: 'warn', MES_AUTH: 'off' };
  let server: RunningServer;

  beforeAll(async () => {
    server = await startServer({ env, listen: false, logDestination: quiet, demoPlant: DEMO_PLANT });
  }, 120_000);
  afterAll(async () => {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const total = async (path: string, query = '') => {
    const response = await server.app.inject({
      method: 'GET',
      url: `/api/${path}?count=exact&pageSize=1${query}`,
    });
    expect(response.statusCode).toBe(200);
    return response.json<{ data: { total: number } }>().data.total;
  };

  it('seeds plants, lines, stations, items, suppliers, work orders, lots, serials, inspections, stock and genealogy', async () => {
    expect(await total('plants')).toBeGreaterThanOrEqual(2);
    expect(await total('production-lines')).toBeGreaterThanOrEqual(5);
    expect(await total('workstations')).toBeGreaterThanOrEqual(20);
    expect(await total('items')).toBeGreaterThanOrEqual(100);
    expect(await total('suppliers')).toBeGreaterThanOrEqual(20);
    expect(await total('work-orders')).toBeGreaterThanOrEqual(500);
    expect(await total('production-lots')).toBeGreaterThan(0);
    expect(await total('serial-numbers')).toBeGreaterThanOrEqual(5000);
    expect(await total('inspections')).toBeGreaterThan(0);
    expect(await total('stock')).toBeGreaterThan(0);
    expect(await total('trace-links')).toBeGreaterThan(0);
    expect(await total('map-sns')).toBeGreaterThanOrEqual(5000);
  });

  it('seeds three shop-floor days: machines with their state history, work reports and a plant OEE', async () => {
    expect(await total('equipment')).toBe(20);
    expect(
      await total(
        'equipment-states',
        '&filter[state][in]=BREAKDOWN,STOPPED&filter[startTime][lt]=2026-11-01T00:00:00Z',
      ),
    ).toBe(30);
    expect(await total('work-reports')).toBeGreaterThan(30);
    const response = await server.app.inject({ method: 'GET', url: '/api/bi/kpis/oee?groupBy=line' });
    expect(response.statusCode).toBe(200);
    const oee = response.json<{ data: { value: number; points: { key: string; value: number }[] } }>().data;
    // Computed from the seeded rows: some of the planned time was lost, and the output fills part of the rest.
    expect(oee.value).toBeGreaterThan(0);
    expect(oee.value).toBeLessThan(100);
    expect(oee.points).toHaveLength(5);
  });

  it('seeds the genealogy graph: a serial traces back to its lot, work order, supplier lots and receipts', async () => {
    // A serial the demo plant at work packed: its box is reached from its supplier lots.
    const serials = await server.app.inject({
      method: 'GET',
      url: '/api/map-sns?pageSize=1&sort=id&filter[boxNo][notNull]=true',
    });
    const [serial] = serials.json<{ data: { items: { sn: string; boxNo: string }[] } }>().data.items;
    const trace = await server.app.inject({ method: 'GET', url: `/api/trace/reverse?sn=${serial!.sn}` });
    expect(trace.statusCode).toBe(200);
    const report = trace.json<{ data: Record<string, { key: string }[]> }>().data;
    expect(report.lots).toHaveLength(1);
    expect(report.workOrders).toHaveLength(1);
    expect(report.supplierLots).toHaveLength(3);
    expect(report.receipts.length).toBeGreaterThanOrEqual(1);
    const forward = await server.app.inject({
      method: 'GET',
      url: `/api/trace/forward?lotId=${report.supplierLots[0]!.key}`,
    });
    expect(forward.statusCode).toBe(200);
    const reached = forward.json<{ data: Record<string, { key: string }[]> }>().data;
    expect(reached.serials.map((node) => node.key)).toContain(serial!.sn);
    expect(reached.boxes.map((node) => node.key)).toContain(serial!.boxNo);
  });

  it('numbers users <TENANT>-<DEPT>-NNNN per department, and refuses a user without a department', async () => {
    const users = await server.app.inject({
      method: 'GET',
      url: '/api/users?pageSize=100&fields=username,userCode',
    });
    const codes = Object.fromEntries(
      users
        .json<{ data: { items: { username: string; userCode: string }[] } }>()
        .data.items.map((u) => [u.username, u.userCode]),
    );
    expect(codes['li.wei']).toBe('DEMO-PRD-0001');
    expect(codes['chen.jie']).toBe('DEMO-QC-0001');
    expect(Object.values(codes).every((code) => /^DEMO-[A-Z]+-[0-9]{4}$/.test(code))).toBe(true);

    const homeless = await server.app.inject({
      method: 'POST',
      url: '/api/users',
      payload: { username: 'no.dept', realName: 'No Department' },
    });
    expect(homeless.statusCode).toBe(422);
    expect(homeless.json()).toMatchObject({
      errors: [{ field: 'departmentId', path: '/departmentId', rule: 'required' }],
    });
  });

  it('gives the demo users what their jobs need: the supplier contact its supplier, the operator the lines, QC a manager', async () => {
    const one = async (path: string, query: string) => {
      const response = await server.app.inject({ method: 'GET', url: `/api/${path}?${query}` });
      expect(response.statusCode).toBe(200);
      const [row] = response.json<{ data: { items: Record<string, unknown>[] } }>().data.items;
      return row!;
    };
    const supplier = await one('users', 'filter[username][eq]=supplier');
    expect(supplier).toMatchObject({ userType: 'EXTERNAL', supplierId: expect.any(Number) });
    const { id } = await one('users', 'filter[username][eq]=operator');
    const operator = await server.app.inject({ method: 'GET', url: `/api/users/${String(id)}?expand=lines` });
    const { lines } = operator.json<{ data: { lines: unknown[] } }>().data;
    expect(lines).toHaveLength(await total('production-lines'));
    const qmanager = await one('users', 'filter[username][eq]=qmanager');
    expect((await one('departments', 'filter[deptCode][eq]=QC')).managerId).toBe(qmanager.id);
  });

  it('covers every work order status', async () => {
    const meta = await server.app.inject({ method: 'GET', url: '/api/meta/entities/work_order' });
    const status = meta
      .json<{ data: { fields: { name: string; enumValues?: { value: string }[] }[] } }>()
      .data.fields.find((f) => f.name === 'status');
    const counts: Record<string, number> = {};
    for (const { value } of status?.enumValues ?? [])
      counts[value] = await total('work-orders', `&filter[status][eq]=${value}`);
    expect(Object.values(counts).filter((n) => n === 0)).toEqual([]);
    expect(Object.keys(counts).length).toBeGreaterThanOrEqual(6);
  });

  it('generates identifiers through the engine (work order numbers follow the line)', async () => {
    const response = await server.app.inject({ method: 'GET', url: '/api/work-orders/by-code/WO-A01-0001' });
    expect(response.statusCode).toBe(200);
  });

  it('seeds the reference and process data: QMS codes, shifts, customers, equipment, active routings and BOMs', async () => {
    expect(await total('qms-codes', '&filter[codeType][eq]=DEFECT')).toBe(10);
    expect(await total('qms-codes', '&filter[codeType][eq]=CAUSE')).toBe(10);
    expect(await total('qms-codes', '&filter[codeType][eq]=ACTION')).toBe(10);
    expect(await total('shifts')).toBeGreaterThanOrEqual(2);
    expect(await total('calendars')).toBeGreaterThanOrEqual(1);
    expect(await total('units', '&filter[uomClass][eq]=MASS')).toBe(2);
    const grams = await server.app.inject({ method: 'GET', url: '/api/units?filter[uomCode][eq]=G' });
    const [gram] = grams.json<{ data: { items: { baseUnitId: number; conversionFactor: number }[] } }>().data
      .items;
    expect(gram).toMatchObject({ baseUnitId: expect.any(Number) });
    expect(Number(gram!.conversionFactor)).toBe(0.001);
    expect(await total('customers')).toBeGreaterThanOrEqual(5);
    expect(await total('equipment')).toBe(await total('workstations'));
    const finished = await total('items', '&filter[itemType][eq]=FINISHED');
    expect(await total('routings', '&filter[status][eq]=ACTIVE')).toBe(finished);
    expect(await total('boms', '&filter[status][eq]=ACTIVE')).toBe(finished);
    const list = await server.app.inject({ method: 'GET', url: '/api/routings?pageSize=1&sort=routingCode' });
    const [first] = list.json<{ data: { items: { id: number }[] } }>().data.items;
    const routing = await server.app.inject({
      method: 'GET',
      url: `/api/routings/${first!.id}?expand=operations`,
    });
    const operations = routing.json<{ data: { operations: { opSeq: number; opCode: string }[] } }>().data
      .operations;
    expect(operations.map((op) => [op.opSeq, op.opCode])).toEqual([
      [1, 'SMT'],
      [2, 'DIP'],
      [3, 'ASSY'],
      [4, 'TEST1'],
      [5, 'TEST2'],
      [6, 'PACK'],
    ]);
  });

  it('numbers receipts, boxes and pallets with the day: GRN-, BOX-, PLT-YYYYMMDD-SEQ', async () => {
    const rows = async (path: string, query: string) => {
      const response = await server.app.inject({ method: 'GET', url: `/api/${path}?pageSize=100&${query}` });
      expect(response.statusCode).toBe(200);
      return response.json<{ data: { items: Record<string, string>[] } }>().data.items;
    };
    const iqc = await rows('inspections', 'filter[refType][eq]=GRN');
    expect(iqc.length).toBeGreaterThan(0);
    for (const inspection of iqc) expect(inspection.refId).toMatch(/^GRN-[0-9]{8}-[0-9]{3}$/);
    const receipts = await rows('stock-transactions', 'filter[referenceType][eq]=GRN');
    expect(receipts.length).toBeGreaterThan(0);
    for (const receipt of receipts) expect(receipt.referenceId).toMatch(/^GRN-[0-9]{8}-[0-9]{3}$/);
    const packed = await rows('map-sns', 'filter[boxNo][notNull]=true&sort=id');
    expect(packed.length).toBe(100);
    for (const map of packed) {
      expect(map.boxNo).toMatch(/^BOX-[0-9]{8}-[0-9]{3}$/);
      expect(map.palletNo).toMatch(/^PLT-[0-9]{8}-[0-9]{3}$/);
    }
    // Five serials a box: the first hundred packed fill at least twenty boxes.
    expect(new Set(packed.map((map) => map.boxNo)).size).toBeGreaterThanOrEqual(20);
    for (const box of await rows('boxes', 'sort=id')) expect(box.boxNo).toMatch(/^BOX-[0-9]{8}-[0-9]{3}$/);
    for (const pallet of await rows('pallets', 'sort=id'))
      expect(pallet.palletNo).toMatch(/^PLT-[0-9]{8}-[0-9]{3}$/);
    for (const shipment of await rows('shipments', 'sort=id'))
      expect(shipment.shipmentNo).toMatch(/^SHP-[0-9]{8}-[0-9]{3}$/);
  });

  it('does not seed again when the database already holds data', async () => {
    const before = await total('work-orders');
    await server.close();
    server = await startServer({ env, listen: false, logDestination: quiet, demoPlant: DEMO_PLANT });
    expect(await total('work-orders')).toBe(before);
  }, 120_000);
});
