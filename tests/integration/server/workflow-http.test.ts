/**
 * The workflow, trace and event wiring of the real server on the core metadata: a planner releases a
 * work order through the action API, the release creates its lot and serials, the history and the
 * reverse trace show it, and the in-process relay delivers the release event to the consumers once.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { startServer, type RunningServer } from '../../../platform/src/bootstrap/start-server';
import { EngineDatabase } from '../../../platform/src/data/database';
import { seedDemoSecurity } from '../../../platform/src/security/demo-seed';
import { waitFor } from '../../support/wait-for';
import { TestSessions } from '../../support/stale-token';

const PASSWORD = 'Demo-Passw0rd!';
const quiet = new Writable({ write: (_chunk, _encoding, done) => done() });

type Method = 'GET' | 'POST';

describe('workflow actions, trace and events through the server (SQLite)', () => {
  let server: RunningServer;
  let dir: string;
  let sessions: TestSessions;
  let orderId: number;

  const call = (who: string, method: Method, url: string, payload?: object) =>
    sessions.send(who, (token) =>
      server.app.inject({ method, url, payload, headers: { authorization: `Bearer ${token}` } }),
    );

  async function created(who: string, url: string, payload: object): Promise<number> {
    const response = await call(who, 'POST', url, payload);
    if (response.statusCode !== 201) throw new Error(`${url}: ${response.statusCode} ${response.body}`);
    return (response.json().data as { id: number }).id;
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mes-workflow-http-'));
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
    for (const username of ['admin', 'planner', 'operator']) await sessions.signIn(username);
    const uomId = await created('admin', '/api/units', { uomCode: 'WF-PCS', uomName: 'Pieces' });
    const plantId = await created('admin', '/api/plants', { plantCode: 'WF-P1', plantName: 'Plant WF' });
    const lineId = await created('admin', '/api/production-lines', {
      lineCode: 'WFA01',
      lineName: 'Line WF',
      plantId,
    });
    const itemId = await created('admin', '/api/items', {
      itemName: 'Serialized counter',
      itemType: 'FINISHED',
      uomId,
      serialized: true,
    });
    orderId = await created('planner', '/api/work-orders', {
      itemId,
      lineId,
      plannedQuantity: 2,
      plannedStart: '2026-12-01T08:00:00Z',
    });
  }, 60_000);
  afterAll(async () => {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('lists release among the planner’s actions on a draft order, and nothing for the operator', async () => {
    const planner = await call('planner', 'GET', `/api/work-orders/${orderId}/actions`);
    expect(planner.statusCode).toBe(200);
    const actions = (planner.json().data as { action: string }[]).map((a) => a.action);
    expect(actions).toContain('release');
    expect(actions).not.toContain('complete');
    // The operator is assigned to no line: the order is outside their line scope, so not even its actions show.
    const operator = await call('operator', 'GET', `/api/work-orders/${orderId}/actions`);
    expect(operator.statusCode).toBe(404);
  });

  it('refuses a transition the state does not allow with 422 and a role without the permission with 403', async () => {
    const hold = await call('planner', 'POST', `/api/work-orders/${orderId}/actions/hold`, {});
    expect(hold.statusCode).toBe(422);
    const operator = await call('operator', 'POST', `/api/work-orders/${orderId}/actions/release`, {});
    expect(operator.statusCode).toBe(403);
    // Permission first: a caller without it learns nothing of the row's state, nor of its existence.
    const complete = await call('planner', 'POST', `/api/work-orders/${orderId}/actions/complete`, {});
    expect(complete.statusCode).toBe(403);
    const absent = await call('planner', 'POST', '/api/work-orders/999999/actions/complete', {});
    expect(absent.statusCode).toBe(403);
    expect(absent.json()).toMatchObject({ code: 'FORBIDDEN' });
    const record = await call('planner', 'GET', `/api/work-orders/${orderId}`);
    expect((record.json().data as { status: string }).status).toBe('DRAFT');
  });

  it('releases the order: status, production lot and history, no serials before the first article', async () => {
    const release = await call('planner', 'POST', `/api/work-orders/${orderId}/actions/release`, {});
    expect(release.statusCode).toBe(201);
    const result = release.json().data as { status: string; to: string; record: { status: string } };
    expect(result).toMatchObject({ status: 'APPLIED', to: 'RELEASED', record: { status: 'RELEASED' } });

    const lots = await call('planner', 'GET', `/api/production-lots?filter[workOrderId][eq]=${orderId}`);
    expect(lots.statusCode).toBe(200);
    const lotRows = (lots.json().data as { items: { lotNo: string }[] }).items;
    expect(lotRows).toHaveLength(1);

    const history = await call('planner', 'GET', `/api/work-orders/${orderId}/history`);
    expect(history.json().data).toEqual([
      expect.objectContaining({ action: 'release', from: 'DRAFT', to: 'RELEASED' }),
    ]);
    const serialTable = server.registry.current().entities.get('serial_number')!.table;
    expect(
      await server.dataSource.query(`SELECT sn FROM ${serialTable} WHERE work_order_id = ?`, [orderId]),
    ).toEqual([]);
  });

  it('evaluates guards through relations: serials are released only once the lot passed first-article inspection', async () => {
    const model = server.registry.current();
    const lotTable = model.entities.get('production_lot')!.table;
    const [lot] = (await server.dataSource.query(
      `SELECT id, lot_no FROM ${lotTable} WHERE work_order_id = ?`,
      [orderId],
    )) as { id: number; lot_no: string }[];
    const refused = await call('planner', 'POST', `/api/production-lots/${lot!.id}/actions/start`, {});
    expect(refused.statusCode).toBe(422);
    expect(refused.json()).toMatchObject({
      message: 'Mass production and serial release need a passed first-article inspection',
    });

    await server.dataSource.query(`UPDATE ${lotTable} SET fai_status = 'PASS' WHERE id = ?`, [lot!.id]);
    const released = await call('planner', 'POST', `/api/production-lots/${lot!.id}/actions/start`, {});
    expect(released.statusCode).toBe(201);
    const serials = (await server.dataSource.query(
      `SELECT id, sn FROM ${model.entities.get('serial_number')!.table} WHERE work_order_id = ? ORDER BY sn`,
      [orderId],
    )) as { id: number; sn: string }[];
    expect(serials).toHaveLength(2);
    const started = await call('admin', 'POST', `/api/serial-numbers/${serials[0]!.id}/actions/start`, {});
    expect(started.statusCode).toBe(201);
    expect(started.json().data).toMatchObject({ to: 'IN_PROGRESS' });

    const trace = await call('planner', 'GET', `/api/trace/reverse?sn=${serials[0]!.sn}`);
    expect(trace.statusCode).toBe(200);
    const report = trace.json().data as { lots: { key: string }[]; workOrders: unknown[] };
    expect(report.lots.map((row) => row.key)).toEqual([lot!.lot_no]);
    expect(report.workOrders).toHaveLength(1);
  });

  it('relays the release event from the outbox; consumers with nothing to do for it claim nothing', async () => {
    const [event] = (await server.dataSource.query(
      "SELECT event_id FROM evt_outbox WHERE event_type = 'work_order.released' AND entity_id = ?",
      [String(orderId)],
    )) as { event_id: string }[];
    expect(event).toBeDefined();
    const published = async () =>
      (
        (await server.dataSource.query('SELECT published_at FROM evt_outbox WHERE event_id = ?', [
          event!.event_id,
        ])) as { published_at: string | null }[]
      )[0]!.published_at;
    await waitFor('the relay to publish the event', async () => (await published()) !== null);
    const processed = (await server.dataSource.query(
      'SELECT consumer FROM evt_processed WHERE event_id = ?',
      [event!.event_id],
    )) as { consumer: string }[];
    // The tenant has no webhook subscription, and the live dashboard refresh writes nothing, so
    // neither records the event as processed.
    expect(processed).toEqual([]);
  });
});
