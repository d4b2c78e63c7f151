/**
 * The plant the row-scope suites check an operator against: the real server on SQLite with the demo
 * roles, two lines with a released work order each, and the operator assigned to the first line only.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { startServer, type RunningServer } from '../../../platform/src/bootstrap/start-server';
import { EngineDatabase } from '../../../platform/src/data/database';
import { seedDemoSecurity } from '../../../platform/src/security/demo-seed';
import { TestSessions } from '../../support/stale-token';

export const PLANT_TENANT = 'DEMO';
const PASSWORD = 'Demo-Passw0rd!';
const quiet = new Writable({ write: (_chunk, _encoding, done) => done() });

type Method = 'GET' | 'POST' | 'PATCH';
type Reply = Awaited<ReturnType<RunningServer['app']['inject']>>;

export interface LineScopedPlant {
  server: RunningServer;
  database: EngineDatabase;
  sessions: TestSessions;
  /** The order on the operator's line, and the one on the other line. */
  ownOrder: number;
  otherOrder: number;
  call(who: string, method: Method, url: string, payload?: object, headers?: object): Promise<Reply>;
  /** POSTs as `who` and answers the new record's id; anything but 201 throws. */
  created(who: string, url: string, payload: object): Promise<number>;
  close(): Promise<void>;
}

/** `code` keeps the plant's unit, plant and line codes apart from other suites' (`WS`, `EB`). */
export async function startLineScopedPlant(code: string): Promise<LineScopedPlant> {
  const dir = mkdtempSync(join(tmpdir(), `mes-line-scoped-${code.toLowerCase()}-`));
  const server = await startServer({
    env: {
      DATABASE_URL: `sqlite:${join(dir, 'mes.sqlite')}`,
      SEED_DEMO: 'false',
      LOG_LEVEL: 'warn',
      MES_JWT_SECRET: 'jwt-secret-for-tests-0123456789abcdef',
    },
    listen: false,
    logDestination: quiet,
  });
  const database = new EngineDatabase(server.dataSource);
  await seedDemoSecurity(database, server.registry.current(), PLANT_TENANT, { MES_DEMO_PASSWORD: PASSWORD });
  const sessions = new TestSessions(
    (request) => server.app.inject(request),
    (username) => ({ username, password: PASSWORD }),
  );
  const call: LineScopedPlant['call'] = (who, method, url, payload, headers = {}) =>
    sessions.send(who, (token) =>
      server.app.inject({ method, url, payload, headers: { authorization: `Bearer ${token}`, ...headers } }),
    );
  const created: LineScopedPlant['created'] = async (who, url, payload) => {
    const response = await call(who, 'POST', url, payload);
    if (response.statusCode !== 201) throw new Error(`${url}: ${response.statusCode} ${response.body}`);
    return (response.json().data as { id: number }).id;
  };

  const uomId = await created('admin', '/api/units', { uomCode: `${code}-PCS`, uomName: 'Pieces' });
  const plantId = await created('admin', '/api/plants', {
    plantCode: `${code}-P1`,
    plantName: `Plant ${code}`,
  });
  const line = (suffix: string) =>
    created('admin', '/api/production-lines', {
      lineCode: `${code}${suffix}`,
      lineName: `Line ${code}${suffix}`,
      plantId,
    });
  const ownLine = await line('01');
  const otherLine = await line('02');
  const itemId = await created('admin', '/api/items', { itemName: 'Gauge', itemType: 'FINISHED', uomId });
  const order = async (lineId: number) => {
    const id = await created('planner', '/api/work-orders', {
      itemId,
      lineId,
      plannedQuantity: 5,
      plannedStart: '2026-12-01T08:00:00Z',
    });
    const released = await call('planner', 'POST', `/api/work-orders/${id}/actions/release`, {});
    if (released.statusCode !== 201) throw new Error(`release: ${released.statusCode} ${released.body}`);
    return id;
  };
  const ownOrder = await order(ownLine);
  const otherOrder = await order(otherLine);
  const users = await call('admin', 'GET', '/api/users?filter[username][eq]=operator');
  const operator = (users.json().data as { items: Record<string, unknown>[] }).items[0]!;
  const assigned = await call('admin', 'PATCH', `/api/users/${String(operator.id)}`, {
    linesIds: [ownLine],
    version: operator.version,
  });
  if (assigned.statusCode !== 200)
    throw new Error(`operator's lines: ${assigned.statusCode} ${assigned.body}`);
  await sessions.signIn('operator');

  return {
    server,
    database,
    sessions,
    ownOrder,
    otherOrder,
    call,
    created,
    async close() {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
