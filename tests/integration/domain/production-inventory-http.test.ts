/**
 * The production and inventory behaviour through the real server's wiring (generated hook registry,
 * workflow transition hooks, routes): a work order started, reported and completed over HTTP ends up
 * as finished goods in stock, and the ABC analysis route answers, refuses bad input with 400 and a
 * caller without the permission with 403.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { startServer, type RunningServer } from '../../../platform/src/bootstrap/start-server';
import { EngineDatabase } from '../../../platform/src/data/database';
import { seedDemoSecurity } from '../../../platform/src/security/demo-seed';
import { TestSessions } from '../../support/stale-token';

const PASSWORD = 'Demo-Passw0rd!';
const quiet = new Writable({ write: (_chunk, _encoding, done) => done() });

describe('work reports, completion and ABC analysis through the server (SQLite)', () => {
  let server: RunningServer;
  let dir: string;
  let sessions: TestSessions;

  const call = (who: string, method: 'GET' | 'POST', url: string, payload?: object) =>
    sessions.send(who, (token) =>
      server.app.inject({ method, url, payload, headers: { authorization: `Bearer ${token}` } }),
    );
  async function created(url: string, payload: object): Promise<Record<string, unknown>> {
    const response = await call('admin', 'POST', url, payload);
    if (response.statusCode !== 201) throw new Error(`${url}: ${response.statusCode} ${response.body}`);
    return response.json().data as Record<string, unknown>;
  }
  async function action(url: string, payload: object = {}): Promise<Record<string, unknown>> {
    const response = await call('admin', 'POST', url, payload);
    if (response.statusCode >= 300) throw new Error(`${url}: ${response.statusCode} ${response.body}`);
    return response.json().data as Record<string, unknown>;
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mes-production-http-'));
    server = await startServer({
      env: {
        DATABASE_URL: `sqlite:${join(dir, 'mes.sqlite')}`,
        SEED_DEMO: 'false',
        LOG_LEVEL: 'warn',
        MES_JWT_SECRET: 'jwt-secret-for-tests-0123456789abcdef',
      },
      listen: false,
      logDestination: quiet,
    });
    await seedDemoSecurity(new EngineDatabase(server.dataSource), server.registry.current(), 'DEMO', {
      MES_DEMO_PASSWORD: PASSWORD,
    });
    sessions = new TestSessions(
      (request) => server.app.inject(request),
      (username) => ({ username, password: PASSWORD }),
    );
    for (const username of ['admin', 'operator']) await sessions.signIn(username);
  }, 60_000);
  afterAll(async () => {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('starts, reports and completes a work order into stock', async () => {
    const uom = await created('/api/units', { uomCode: 'HT-PCS', uomName: 'Pieces' });
    const plant = await created('/api/plants', { plantCode: 'HT-P1', plantName: 'Plant HT' });
    const line = await created('/api/production-lines', {
      lineCode: 'HTA01',
      lineName: 'Line',
      plantId: plant.id,
    });
    const item = await created('/api/items', { itemName: 'Cash box', itemType: 'FINISHED', uomId: uom.id });
    const routing = await created('/api/routings', {
      routingCode: 'RT-HT',
      itemId: item.id,
      operations: [{ opSeq: 10, opCode: 'ASSY', opName: 'Assembly' }],
    });
    const store = await created('/api/locations', { locationName: 'FG', locationType: 'WAREHOUSE' });
    const order = await created('/api/work-orders', {
      itemId: item.id,
      lineId: line.id,
      routingId: routing.id,
      plannedQuantity: 4,
      plannedStart: '2026-12-01T08:00:00Z',
    });
    await action(`/api/work-orders/${String(order.id)}/actions/release`);
    await action(`/api/work-orders/${String(order.id)}/actions/start`);
    const [operation] = await new EngineDatabase(server.dataSource)
      .executor()
      .query<{ id: number }>('SELECT id FROM wo_operation WHERE work_order_id = ?', [order.id]);

    const report = await call('admin', 'POST', '/api/work-reports', {
      workOrderId: order.id,
      woOperationId: Number(operation!.id),
      goodQuantity: 4,
      startTime: '2026-12-01T08:00:00Z',
      endTime: '2026-12-01T10:00:00Z',
    });
    expect(report.statusCode).toBe(201);
    const over = await call('admin', 'POST', '/api/work-reports', {
      workOrderId: order.id,
      woOperationId: Number(operation!.id),
      goodQuantity: 1,
      startTime: '2026-12-01T10:00:00Z',
      endTime: '2026-12-01T10:30:00Z',
    });
    expect(over.statusCode).toBe(422);
    expect(over.json()).toMatchObject({ code: 'BUSINESS_RULE' });

    const completed = await action(`/api/work-orders/${String(order.id)}/actions/complete`, {
      fields: { receiptLocationId: store.id },
    });
    expect(completed).toMatchObject({ status: 'APPLIED', record: { actualQuantity: 4 } });
    const stock = await call('admin', 'GET', `/api/stock?filter[locationId]=${String(store.id)}`);
    const items = (stock.json().data as { items: { quantity: number }[] }).items;
    expect(items.map((row) => Number(row.quantity))).toEqual([4]);
  });

  it('answers POST /api/inventory/abc-analysis, 400 on bad input, 403 without the permission', async () => {
    const ok = await call('admin', 'POST', '/api/inventory/abc-analysis', {
      from: '2026-11-01',
      to: '2026-12-01',
    });
    expect(ok.statusCode).toBe(200);
    expect(ok.json().data).toMatchObject({ thresholds: { aPercent: 80, bPercent: 95 }, items: [] });
    const bad = await call('admin', 'POST', '/api/inventory/abc-analysis', {
      from: '2026-12-01',
      to: '2026-11-01',
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ code: 'BAD_REQUEST' });
    expect(JSON.stringify(bad.json())).toContain('/to');
    const forbidden = await call('operator', 'POST', '/api/inventory/abc-analysis', {
      from: '2026-11-01',
      to: '2026-12-01',
    });
    expect(forbidden.statusCode).toBe(403);
  });
});
