/**
 * The demo plant out of the box: a first start seeds it (with the procurement and maintenance
 * plugins) and every demo user finds their work over HTTP, signed in as themselves — the inspector
 * and the quality manager the NCRs of the failed inspections, the clerk boxes, pallets and shipments,
 * the buyer and the approver requisitions and purchase orders waiting for approval, the technician
 * maintenance orders, the supplier's contact their supplier's order — and can act on it. SQLite (events in-process) and MariaDB + Redis.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { createConnection } from 'mysql2/promise';
import { DEMO_PLANT } from '../../database/seeds/demo-plant';
import { startServer, type RunningServer } from '../../platform/src/bootstrap/start-server';
import { TEST_DIALECTS } from '../support/test-dialects';

type Row = Record<string, unknown>;
type Dialect = 'sqlite' | 'mysql';
const PASSWORD = 'Demo-Passw0rd!';
const quiet = new Writable({ write: (_chunk, _encoding, done) => done() });

describe.each<Dialect>(TEST_DIALECTS)('the demo plant, as each demo user (%s)', (dialect) => {
  let server: RunningServer;
  let drop: () => Promise<void>;
  let env: Record<string, string>;
  const tokens = new Map<string, string>();
  const ids = new Map<string, number>();

  const signIn = async (username: string) => {
    const response = await server.app.inject({
      method: 'POST',
      url: '/api/auth/login',
      payload: { username, password: PASSWORD },
    });
    if (response.statusCode !== 200) throw new Error(`login ${username}: ${response.body}`);
    tokens.set(username, (response.json().data as { accessToken: string }).accessToken);
    const me = await call(username, 'GET', '/api/auth/me');
    ids.set(username, Number((me.json().data as { user: { id: string } }).user.id));
  };
  const call = async (who: string, method: 'GET' | 'POST', url: string, payload?: object) =>
    server.app.inject({
      method,
      url,
      payload,
      headers: { authorization: `Bearer ${tokens.get(who) ?? ''}` },
    });
  const list = async (who: string, path: string, query = ''): Promise<{ items: Row[]; total: number }> => {
    const response = await call(who, 'GET', `/api/${path}?pageSize=200&count=exact${query}`);
    if (response.statusCode !== 200)
      throw new Error(`GET ${path} as ${who}: ${response.statusCode} ${response.body}`);
    return response.json().data as { items: Row[]; total: number };
  };
  const act = async (who: string, path: string, id: unknown, action: string, body: object = {}) => {
    const response = await call(who, 'POST', `/api/${path}/${String(id)}/actions/${action}`, body);
    if (response.statusCode !== 201)
      throw new Error(`${action} ${path}/${String(id)} as ${who}: ${response.statusCode} ${response.body}`);
    return response.json().data as { status: string; record: Row };
  };

  beforeAll(async () => {
    env = {
      LOG_LEVEL: 'warn',
      MES_DEMO_PASSWORD: PASSWORD,
      MES_JWT_SECRET: 'jwt-secret-for-tests-0123456789abcdef',
      MES_RATE_LIMIT_LOGIN: '1000',
      MES_RATE_LIMIT_API: '100000',
    };
    if (dialect === 'sqlite') {
      const dir = mkdtempSync(join(tmpdir(), 'mes-demo-roles-'));
      env.DATABASE_URL = `sqlite:${join(dir, 'mes.sqlite')}`;
      drop = () => Promise.resolve(rmSync(dir, { recursive: true, force: true }));
    } else {
      const name = `mes_test_demo_roles_${process.pid}_${Date.now() % 100000}`;
      env.DATABASE_URL = `mysql://root@127.0.0.1:3306/${name}`;
      env.REDIS_URL = 'redis://127.0.0.1:6379';
      env.QUEUE_PREFIX = `mes_test_${name}`;
      drop = async () => {
        const connection = await createConnection({ host: '127.0.0.1', port: 3306, user: 'root' });
        await connection.query(`DROP DATABASE IF EXISTS \`${name}\``);
        await connection.end();
      };
    }
    server = await startServer({ env, listen: false, logDestination: quiet, demoPlant: DEMO_PLANT });
    for (const user of [
      'admin',
      'inspector',
      'qmanager',
      'clerk',
      'buyer',
      'approver',
      'technician',
      'mplanner',
      'supplier',
    ])
      await signIn(user);
  }, 600_000);
  afterAll(async () => {
    await server?.close();
    await drop?.();
  });

  it('installs the procurement and maintenance plugins with the demo plant', async () => {
    const response = await call('admin', 'GET', '/api/admin/plugins');
    expect(response.statusCode).toBe(200);
    const plugins = response.json().data as { name: string; status: string }[];
    expect(plugins.map((plugin) => [plugin.name, plugin.status]).sort()).toEqual([
      ['maintenance', 'enabled'],
      ['procurement', 'enabled'],
    ]);
  });

  it('the inspector sees the NCRs of the failed inspections of their department and starts one', async () => {
    // The inspector reads the inspections of their department; the plant's failures are read as admin.
    const failed = await list('admin', 'inspections', '&filter[status][eq]=FAILED&fields=id');
    expect(failed.total).toBeGreaterThan(0);
    const ncrs = await list('inspector', 'ncrs', '&filter[inspectionId][notNull]=true');
    expect(ncrs.items.length).toBeGreaterThan(0);
    const failedIds = new Set(failed.items.map((row) => row.id));
    for (const ncr of ncrs.items) {
      expect(ncr.ncrNo).toMatch(/^NCR-[0-9]{8}-[0-9]{3}$/);
      expect(failedIds.has(ncr.inspectionId)).toBe(true);
    }
    const mine = ncrs.items.find((ncr) => ncr.status === 'OPEN' && ncr.assigneeId === ids.get('inspector'));
    expect(mine).toBeDefined();
    const started = await act('inspector', 'ncrs', mine!.id, 'start');
    expect(started).toMatchObject({ status: 'APPLIED', record: { status: 'IN_PROGRESS' } });
  });

  it('the quality manager sees an NCR for every failed inspection and closes a resolved one with a signature', async () => {
    const failed = await list('admin', 'inspections', '&filter[status][eq]=FAILED&fields=id');
    const ncrs = await list('qmanager', 'ncrs', '&filter[inspectionId][notNull]=true');
    expect(new Set(ncrs.items.map((ncr) => ncr.inspectionId)).size).toBe(failed.total);
    expect(new Set(ncrs.items.map((ncr) => ncr.status))).toEqual(
      new Set(['OPEN', 'IN_PROGRESS', 'RESOLVED']),
    );
    const resolved = ncrs.items.find((ncr) => ncr.status === 'RESOLVED')!;
    const closed = await act('qmanager', 'ncrs', resolved.id, 'close', {
      fields: { verificationResult: 'EFFECTIVE', verificationNote: 'No recurrence in the next three lots' },
      password: PASSWORD,
    });
    expect(closed.record).toMatchObject({ status: 'CLOSED', verifiedById: ids.get('qmanager') });
  });

  it('the clerk sees boxes on pallets and shipments, and ships the one waiting', async () => {
    const boxes = await list('clerk', 'boxes');
    expect(boxes.total).toBeGreaterThan(0);
    for (const box of boxes.items) {
      expect(box.boxNo).toMatch(/^BOX-[0-9]{8}-[0-9]{3}$/);
      expect(Number(box.quantity)).toBeGreaterThan(0);
      expect(box.palletId).not.toBeNull();
    }
    const pallets = await list('clerk', 'pallets');
    expect(pallets.items.every((pallet) => Number(pallet.boxCount) > 0)).toBe(true);
    const shipments = await list('clerk', 'shipments', '&sort=id');
    expect(shipments.items.map((shipment) => shipment.status)).toEqual(
      expect.arrayContaining(['DELIVERED', 'SHIPPED', 'PENDING']),
    );
    const waiting = shipments.items.find((shipment) => shipment.status === 'PENDING')!;
    expect(Number(waiting.totalBoxes)).toBeGreaterThan(0);
    const shipped = await act('clerk', 'shipments', waiting.id, 'ship', {
      fields: { carrier: 'SF Express', trackingNo: 'SF7100099999' },
    });
    expect(shipped.record).toMatchObject({ status: 'SHIPPED', shippedById: ids.get('clerk') });
    // One pallet still waits for its OQC: its boxes cannot ship yet.
    expect(boxes.items.some((box) => box.oqcResult !== 'PASS')).toBe(true);
  });

  it('the buyer sees requisitions and purchase orders, some waiting for approval', async () => {
    const requisitions = await list('buyer', 'purchase-requisitions');
    expect(requisitions.items.map((pr) => pr.status)).toEqual(
      expect.arrayContaining(['DRAFT', 'SUBMITTED', 'APPROVED']),
    );
    const orders = await list('buyer', 'purchase-orders');
    for (const order of orders.items) expect(order.poNo).toMatch(/^PO-[0-9]{8}-[0-9]{3}$/);
    expect(orders.items.map((order) => order.status)).toEqual(
      expect.arrayContaining(['DRAFT', 'SUBMITTED', 'ORDERED']),
    );
    const [receipt] = (await list('buyer', 'goods-receipts')).items;
    expect(receipt).toMatchObject({
      status: 'RECEIVED',
      grnNo: expect.stringMatching(/^GRN-[0-9]{8}-[0-9]{3}$/),
    });
    // Its IQC waits for the inspector named on the receipt.
    const iqc = await call('inspector', 'GET', `/api/inspections/${String(receipt!.iqcInspectionId)}`);
    expect(iqc.statusCode).toBe(200);
    expect(iqc.json().data).toMatchObject({
      inspectionType: 'IQC',
      refId: receipt!.grnNo,
      status: 'CREATED',
    });
  });

  it('the approver approves a submitted purchase order and a requisition', async () => {
    const waiting = await list(
      'approver',
      'purchase-orders',
      '&filter[status][eq]=SUBMITTED&sort=totalAmount',
    );
    expect(waiting.total).toBeGreaterThanOrEqual(2);
    const small = waiting.items.find((order) => Number(order.totalAmount) <= 100_000)!;
    expect((await act('approver', 'purchase-orders', small.id, 'approve')).record).toMatchObject({
      status: 'APPROVED',
      approvedById: ids.get('approver'),
    });
    const requisition = (await list('approver', 'purchase-requisitions', '&filter[status][eq]=SUBMITTED'))
      .items[0]!;
    expect((await act('approver', 'purchase-requisitions', requisition.id, 'approve')).record).toMatchObject({
      status: 'APPROVED',
    });
  });

  it("the supplier's contact sees the order placed with their supplier, and no other", async () => {
    const all = await list('admin', 'purchase-orders');
    const mine = await list('supplier', 'purchase-orders');
    expect(mine.total).toBeGreaterThanOrEqual(1);
    expect(mine.total).toBeLessThan(all.total);
    expect(new Set(mine.items.map((order) => order.supplierId)).size).toBe(1);
    expect(mine.items.map((order) => order.status)).toContain('ORDERED');
  });

  it('the technician sees the maintenance orders and plans of the lines and starts a scheduled order', async () => {
    const orders = await list('technician', 'maintenance-orders');
    expect(orders.items.map((order) => order.status)).toEqual(
      expect.arrayContaining(['REQUESTED', 'SCHEDULED', 'IN_PROGRESS', 'VERIFIED']),
    );
    for (const order of orders.items) expect(order.moNo).toMatch(/^MO-[0-9]{8}-[0-9]{3}$/);
    expect((await list('technician', 'maintenance-plans')).total).toBeGreaterThan(0);
    const scheduled = orders.items.find(
      (order) => order.status === 'SCHEDULED' && order.assigneeId === ids.get('technician'),
    )!;
    expect((await act('technician', 'maintenance-orders', scheduled.id, 'start')).record).toMatchObject({
      status: 'IN_PROGRESS',
    });
    // The requested order waits for the maintenance planner's approval.
    const requested = orders.items.find((order) => order.status === 'REQUESTED')!;
    expect((await act('mplanner', 'maintenance-orders', requested.id, 'approve')).record).toMatchObject({
      status: 'APPROVED',
    });
  });

  it('molds at their suppliers are numbered MLD-<supplier>-NNNN', async () => {
    const molds = await list('inspector', 'molds');
    expect(molds.total).toBeGreaterThan(0);
    for (const mold of molds.items) expect(mold.moldCode).toMatch(/^MLD-SUP-[A-Z0-9]+-[0-9]{4}$/);
  });

  it('adds nothing on a restart', async () => {
    const paths = ['ncrs', 'boxes', 'shipments', 'molds', 'purchase-orders', 'maintenance-orders'];
    const counts = async () => {
      const result: number[] = [];
      for (const path of paths) result.push((await list('admin', path)).total);
      return result;
    };
    const before = await counts();
    expect(before.every((count) => count > 0)).toBe(true);
    await server.close();
    server = await startServer({ env, listen: false, logDestination: quiet, demoPlant: DEMO_PLANT });
    await signIn('admin');
    expect(await counts()).toEqual(before);
  }, 600_000);
});
