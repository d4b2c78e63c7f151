/**
 * Authorization at the engine boundary: the secure decorators of the workflow and trace engines
 * refuse a context without a principal, and an operator cannot fire an action, list the actions or
 * read the history of an order outside its lines through the workflow decorator, while it can on an
 * order of its own line. Called in process, without the HTTP routes in front.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { startServer, type RunningServer } from '../../../platform/src/bootstrap/start-server';
import { ApiError } from '../../../platform/src/crud/errors';
import type { RequestContext } from '../../../platform/src/crud/types';
import { EngineDatabase } from '../../../platform/src/data/database';
import { AuthenticationError } from '../../../platform/src/security/auth/auth-errors';
import { seedDemoSecurity } from '../../../platform/src/security/demo-seed';
import type { SecureContext } from '../../../platform/src/security/principal';
import { SecureTraceOperations } from '../../../platform/src/security/secure-trace';
import { SecureWorkflowOperations } from '../../../platform/src/security/secure-workflow';
import { TraceOperations } from '../../../platform/src/trace/trace-operations';
import { WorkflowService } from '../../../platform/src/workflow/workflow.service';
import { TestSessions } from '../../support/stale-token';

const PASSWORD = 'Demo-Passw0rd!';
const TENANT = 'DEMO';
const quiet = new Writable({ write: (_chunk, _encoding, done) => done() });

async function refusal(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a refusal');
}

function statusOf(error: unknown): number | undefined {
  if (error instanceof ApiError) return error.httpStatus;
  if (error instanceof AuthenticationError) return error.getStatus();
  return undefined;
}

describe('secure decorators of the workflow and trace engines (SQLite)', () => {
  let server: RunningServer;
  let dir: string;
  let sessions: TestSessions;
  let workflows: SecureWorkflowOperations;
  let traces: SecureTraceOperations;
  let ownOrder: number;
  let otherOrder: number;

  const call = (who: string, method: 'GET' | 'POST' | 'PATCH', url: string, payload?: object) =>
    sessions.send(who, (token) =>
      server.app.inject({ method, url, payload, headers: { authorization: `Bearer ${token}` } }),
    );

  async function created(who: string, url: string, payload: object): Promise<number> {
    const response = await call(who, 'POST', url, payload);
    if (response.statusCode !== 201) throw new Error(`${url}: ${response.statusCode} ${response.body}`);
    return (response.json().data as { id: number }).id;
  }

  /** A context as the engine's in-process callers build one: tenant and user, no principal. */
  const anonymous = (): RequestContext => ({
    tenantId: TENANT,
    userId: null,
    traceId: 'engine-boundary',
    model: server.registry.current(),
  });

  const signedIn = async (username: string): Promise<SecureContext> => {
    const principal = await server.security.auth.authenticate(await sessions.token(username));
    return { ...anonymous(), userId: principal.userId, principal };
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mes-engine-boundary-'));
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
    const database = new EngineDatabase(server.dataSource);
    await seedDemoSecurity(database, server.registry.current(), TENANT, { MES_DEMO_PASSWORD: PASSWORD });
    sessions = new TestSessions(
      (request) => server.app.inject(request),
      (username) => ({ username, password: PASSWORD }),
    );
    const operations = server.security.records!.operations;
    workflows = new SecureWorkflowOperations(
      new WorkflowService(database, server.service, { verifyPassword: () => Promise.resolve(false) }),
    );
    traces = new SecureTraceOperations(new TraceOperations(database, operations, null), operations);

    const uomId = await created('admin', '/api/units', { uomCode: 'EB-PCS', uomName: 'Pieces' });
    const plantId = await created('admin', '/api/plants', { plantCode: 'EB-P1', plantName: 'Plant EB' });
    const line = (code: string) =>
      created('admin', '/api/production-lines', { lineCode: code, lineName: `Line ${code}`, plantId });
    const ownLine = await line('EB01');
    const otherLine = await line('EB02');
    const itemId = await created('admin', '/api/items', { itemName: 'Gauge', itemType: 'FINISHED', uomId });
    const order = async (lineId: number) => {
      const id = await created('planner', '/api/work-orders', {
        itemId,
        lineId,
        plannedQuantity: 5,
        plannedStart: '2026-12-01T08:00:00Z',
      });
      const released = await call('planner', 'POST', `/api/work-orders/${id}/actions/release`, {});
      expect(released.statusCode).toBe(201);
      return id;
    };
    ownOrder = await order(ownLine);
    otherOrder = await order(otherLine);
    const users = await call('admin', 'GET', '/api/users?filter[username][eq]=operator');
    const operator = (users.json().data as { items: Record<string, unknown>[] }).items[0]!;
    const assigned = await call('admin', 'PATCH', `/api/users/${String(operator.id)}`, {
      linesIds: [ownLine],
      version: operator.version,
    });
    expect(assigned.statusCode).toBe(200);
  });
  afterAll(async () => {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses every workflow entry point a context without a principal, before reading anything', async () => {
    const ctx = anonymous();
    for (const attempt of [
      workflows.fire(ctx, 'work_order', ownOrder, 'start', {}),
      workflows.available(ctx, 'work_order', ownOrder),
      workflows.history(ctx, 'work_order', ownOrder),
    ]) {
      const error = await refusal(attempt);
      expect(error).toBeInstanceOf(AuthenticationError);
      expect(statusOf(error)).toBe(401);
    }
    const order = (await call('planner', 'GET', `/api/work-orders/${ownOrder}`)).json().data as {
      status: string;
    };
    expect(order.status).toBe('RELEASED');
  });

  it('refuses the trace and the impact report a context without a principal', async () => {
    for (const attempt of [
      traces.trace(anonymous(), 'reverse', { sn: 'EB-NONE' }),
      traces.trace(anonymous(), 'forward', { lotId: 'EB-NONE' }),
      traces.impact(anonymous(), { sn: 'EB-NONE' }),
    ]) {
      const error = await refusal(attempt);
      expect(error).toBeInstanceOf(AuthenticationError);
      expect(statusOf(error)).toBe(401);
    }
  });

  it('answers an operator’s action on an order outside its lines like one on a missing order', async () => {
    const ctx = await signedIn('operator');
    const outside = await refusal(workflows.fire(ctx, 'work_order', otherOrder, 'start', {}));
    const missing = await refusal(workflows.fire(ctx, 'work_order', 999999, 'start', {}));
    expect(statusOf(outside)).toBe(404);
    expect(statusOf(missing)).toBe(404);
    expect((outside as ApiError).code).toBe((missing as ApiError).code);
    for (const read of [
      workflows.available(ctx, 'work_order', otherOrder),
      workflows.history(ctx, 'work_order', otherOrder),
    ])
      expect(statusOf(await refusal(read))).toBe(404);
    const order = (await call('planner', 'GET', `/api/work-orders/${otherOrder}`)).json().data as {
      status: string;
    };
    expect(order.status).toBe('RELEASED');
  });

  it('lets the operator see and fire the action on an order of its own line', async () => {
    const ctx = await signedIn('operator');
    const available = await workflows.available(ctx, 'work_order', ownOrder);
    expect(available.map((action) => action.action)).toContain('start');
    const result = await workflows.fire(ctx, 'work_order', ownOrder, 'start', {});
    expect(result).toMatchObject({ status: 'APPLIED', from: 'RELEASED', to: 'IN_PROGRESS' });
    const history = await workflows.history(ctx, 'work_order', ownOrder);
    expect(history.map((row) => row.action)).toEqual(['release', 'start']);
  });

  it('refuses an action the caller holds no permission for with 403 naming it, whether or not the order exists', async () => {
    const ctx = await signedIn('inspector');
    for (const id of [otherOrder, 999999]) {
      const error = await refusal(workflows.fire(ctx, 'work_order', id, 'release', {}));
      expect(statusOf(error)).toBe(403);
      expect((error as ApiError).details).toMatchObject({ permission: 'work_order:release' });
    }
  });
});
