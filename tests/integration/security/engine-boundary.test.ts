/**
 * Authorization at the engine boundary: the secure decorators of the workflow and trace engines
 * refuse a context without a principal, and an operator cannot fire an action, list the actions or
 * read the history of an order outside its lines through the workflow decorator, while it can on an
 * order of its own line. Called in process, without the HTTP routes in front.
 */
import { ApiError } from '../../../platform/src/crud/errors';
import type { RequestContext } from '../../../platform/src/crud/types';
import { AuthenticationError } from '../../../platform/src/security/auth/auth-errors';
import type { SecureContext } from '../../../platform/src/security/principal';
import { SecureTraceOperations } from '../../../platform/src/security/secure-trace';
import { SecureWorkflowOperations } from '../../../platform/src/security/secure-workflow';
import { TraceOperations } from '../../../platform/src/trace/trace-operations';
import { WorkflowService } from '../../../platform/src/workflow/workflow.service';
import { PLANT_TENANT, startLineScopedPlant, type LineScopedPlant } from './line-scoped-plant';

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
  let plant: LineScopedPlant;
  let workflows: SecureWorkflowOperations;
  let traces: SecureTraceOperations;
  let ownOrder: number;
  let otherOrder: number;
  const call: LineScopedPlant['call'] = (...args) => plant.call(...args);

  /** A context as the engine's in-process callers build one: tenant and user, no principal. */
  const anonymous = (): RequestContext => ({
    tenantId: PLANT_TENANT,
    userId: null,
    traceId: 'engine-boundary',
    model: plant.server.registry.current(),
  });

  const signedIn = async (username: string): Promise<SecureContext> => {
    const principal = await plant.server.security.auth.authenticate(await plant.sessions.token(username));
    return { ...anonymous(), userId: principal.userId, principal };
  };

  beforeAll(async () => {
    plant = await startLineScopedPlant('EB');
    ({ ownOrder, otherOrder } = plant);
    const { server, database } = plant;
    const operations = server.security.records!.operations;
    workflows = new SecureWorkflowOperations(
      new WorkflowService(database, server.service, { verifyPassword: () => Promise.resolve(false) }),
    );
    traces = new SecureTraceOperations(new TraceOperations(database, operations, null), operations);
  });
  afterAll(async () => {
    await plant?.close();
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
