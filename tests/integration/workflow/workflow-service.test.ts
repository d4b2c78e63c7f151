import { compileModel, type Model } from '../../../metadata/src/model';
import type { WorkflowDef } from '../../../metadata/src/types';
import { ApiError } from '../../../platform/src/crud/errors';
import { EntityService } from '../../../platform/src/crud/entity.service';
import { HookRegistry } from '../../../platform/src/crud/hooks';
import type { RequestContext } from '../../../platform/src/crud/types';
import { registerOutboxHooks } from '../../../platform/src/events/register-outbox-hooks';
import { WorkflowService } from '../../../platform/src/workflow/workflow.service';
import { WorkflowEventsTraceTables1764061200000 } from '../../../database/migrations/1764061200000-workflow-events-trace-tables';
import {
  ENGINE_DIALECTS,
  openEngineDatabase,
  type EngineTestDatabase,
} from '../../fixtures/engine/engine-database';
import { ENGINE_ENTITIES, ENGINE_EXTENSIONS, metadataSet } from '../../fixtures/engine/plant-metadata';
import { actor } from '../../fixtures/workflow/purchase-order-workflow';

const label = (en: string) => ({ en, zh: en });

function lifecycle(version: number): WorkflowDef {
  return {
    workflow: 'work_order_lifecycle',
    entity: 'work_order',
    version,
    label: label('WO'),
    initial: 'DRAFT',
    states: {
      DRAFT: { label: label('Draft') },
      RELEASED: { label: label('Released') },
      IN_PROGRESS: { label: label('Running') },
      CANCELLED: { label: label('Cancelled') },
    },
    transitions: [
      {
        action: 'release',
        label: label('Release'),
        from: ['DRAFT'],
        to: 'RELEASED',
        requiredFields: ['planned_start'],
        guard: version === 1 ? 'quantity > 5' : 'quantity > 100',
        set: { remark: '=wo_no + " released"' },
        emits: ['work_order.released'],
      },
      {
        action: 'start',
        label: label('Start'),
        from: ['RELEASED'],
        to: 'IN_PROGRESS',
        signature: true,
        roles: ['OPERATOR'],
        emits: ['work_order.started'],
      },
      {
        action: 'cancel',
        label: label('Cancel'),
        from: ['DRAFT', 'RELEASED'],
        to: 'CANCELLED',
        reasonRequired: true,
        approval: { required: 2, approvers: ['SUPERVISOR'] },
        emits: ['work_order.cancelled'],
      },
    ],
  };
}

function modelWith(workflow: WorkflowDef, version: number): Model {
  const set = metadataSet(ENGINE_ENTITIES);
  set.workflows.set(workflow.workflow, workflow);
  return compileModel(set, { version, extensionFields: ENGINE_EXTENSIONS });
}

const planner = actor('planner', ['PLANNER'], ['work_order:release', 'work_order:cancel']);
const operator = actor('op-1', ['OPERATOR'], ['work_order:start']);
const sup1 = actor('sup-1', ['SUPERVISOR'], []);
const sup2 = actor('sup-2', ['SUPERVISOR'], []);

async function failure(promise: Promise<unknown>): Promise<ApiError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof ApiError) return error;
    throw error;
  }
  throw new Error('expected an ApiError');
}

describe.each(ENGINE_DIALECTS)('workflow service on %s', (dialect) => {
  let database: EngineTestDatabase;
  let model: Model;
  let ctx: RequestContext;
  let workflows: WorkflowService;
  let entities: EntityService;
  let hooks: HookRegistry;
  const audits: { action: string; transition?: string; recordId: unknown }[] = [];
  let lineId: number;
  let itemId: number;

  beforeAll(async () => {
    model = modelWith(lifecycle(1), 1);
    database = await openEngineDatabase(dialect, 'workflow', model);
    await database.db.withQueryRunner((runner) => new WorkflowEventsTraceTables1764061200000().up(runner));
    ctx = { tenantId: 'T1', userId: 'planner', traceId: 'trace-wf', model };
    hooks = new HookRegistry();
    entities = new EntityService(database.db, hooks);
    workflows = new WorkflowService(database.db, entities, {
      verifyPassword: async (_ctx, userId, password) => userId === 'op-1' && password === 'correct horse',
    });
    hooks.on('inTransaction', { entity: '*', action: 'transition' }, ({ transition, record }) => {
      audits.push({ action: 'TRANSITION', transition: transition?.action, recordId: record.id });
    });
    registerOutboxHooks(hooks);
    const type = await entities.create('item_type', { code: 'FG', name: 'Finished' }, ctx);
    itemId = (await entities.create('item_master', { name: 'Counter', itemTypeId: type.id }, ctx))
      .id as number;
    lineId = (await entities.create('production_line', { lineCode: 'A01', name: 'Line A' }, ctx))
      .id as number;
  });
  afterAll(() => database?.drop());

  const newOrder = async (quantity = 10) =>
    (
      await entities.create(
        'work_order',
        { itemId, lineId, quantity, plannedStart: '2026-12-01T08:00:00Z' },
        ctx,
      )
    ).id as number;
  const outboxTypes = async (id: number) =>
    (
      await database.db
        .executor()
        .query<{ event_type: string }>(
          "SELECT event_type FROM evt_outbox WHERE entity = 'work_order' AND entity_id = ? AND event_type <> ? ORDER BY id",
          [String(id), 'work_order.created'],
        )
    ).map((r) => r.event_type);

  it('applies a transition: state, computed fields, history, audit and outbox event in one go', async () => {
    const id = await newOrder();
    const result = await workflows.fire(ctx, planner, 'work_order', id, 'release', {});
    expect(result).toMatchObject({ status: 'APPLIED', from: 'DRAFT', to: 'RELEASED' });
    expect(result.record).toMatchObject({ status: 'RELEASED', remark: 'WO-A01-0001 released', version: 2 });
    const history = await workflows.history(ctx, 'work_order', id);
    expect(history).toEqual([
      expect.objectContaining({
        action: 'release',
        from: 'DRAFT',
        to: 'RELEASED',
        actor: 'planner',
        workflowVersion: 1,
        traceId: 'trace-wf',
      }),
    ]);
    expect(audits.at(-1)).toMatchObject({ action: 'TRANSITION', transition: 'release', recordId: id });
    expect(await outboxTypes(id)).toEqual(['work_order.released']);
  });

  it('runs the hooks registered on an entity for every change: create, update, bulk, transition, delete', async () => {
    const seen: string[] = [];
    const removers = (['before', 'inTransaction', 'after'] as const).map((phase) =>
      hooks.on(phase, { entity: 'work_order', action: '*' }, (args) => {
        seen.push(`${phase} ${args.action}${args.transition ? ` ${args.transition.action}` : ''}`);
      }),
    );
    try {
      const id = await newOrder();
      const { version } = await entities.get('work_order', id, ctx);
      await entities.update('work_order', id, { quantity: 12, version }, ctx);
      await entities.bulk('work_order', { mode: 'update', rows: [{ id, quantity: 13, version: 2 }] }, ctx);
      await workflows.fire(ctx, planner, 'work_order', id, 'release', {});
      await entities.remove('work_order', id, ctx);
      const row = { itemId, lineId, quantity: 5, plannedStart: '2026-12-01T08:00:00Z' };
      await entities.bulk('work_order', { mode: 'create', rows: [row] }, ctx);
      const phases = (action: string) => ['before', 'inTransaction', 'after'].map((p) => `${p} ${action}`);
      expect(seen).toEqual([
        ...phases('create'),
        ...phases('update'),
        ...phases('update'),
        ...phases('transition release'),
        ...phases('delete'),
        ...phases('create'),
      ]);
    } finally {
      for (const remove of removers) remove();
    }
  });

  it('takes only the declared inputs of a transition in the action body, validated like a PATCH', async () => {
    const id = await newOrder();
    const notInput = await failure(
      workflows.fire(ctx, planner, 'work_order', id, 'release', { fields: { quantity: 500 } }),
    );
    expect(notInput).toMatchObject({ httpStatus: 400 });
    expect(notInput.details).toMatchObject({
      errors: [{ field: 'quantity', path: '/fields/quantity', rule: 'input', limit: ['plannedStart'] }],
    });
    const invalid = await failure(
      workflows.fire(ctx, planner, 'work_order', id, 'release', { fields: { plannedStart: 'soon' } }),
    );
    expect(invalid).toMatchObject({ httpStatus: 422 });
    expect(invalid.details).toMatchObject({
      errors: [{ field: 'plannedStart', path: '/fields/plannedStart' }],
    });
    expect((await entities.get('work_order', id, ctx)).status).toBe('DRAFT');
  });

  it('writes nothing when a rule refuses the action', async () => {
    const id = await newOrder(1);
    expect((await failure(workflows.fire(ctx, planner, 'work_order', id, 'release', {}))).code).toBe(
      'BUSINESS_RULE',
    );
    expect((await failure(workflows.fire(ctx, operator, 'work_order', id, 'start', {}))).httpStatus).toBe(
      422,
    );
    expect(
      (await failure(workflows.fire(ctx, planner, 'work_order', id, 'release', { version: 7 }))).code,
    ).toBe('CONFLICT');
    expect(await outboxTypes(id)).toEqual([]);
    expect(await workflows.history(ctx, 'work_order', id)).toEqual([]);
  });

  it('lists what the user may do now', async () => {
    const id = await newOrder();
    expect((await workflows.available(ctx, planner, 'work_order', id)).map((a) => a.action)).toEqual([
      'release',
      'cancel',
    ]);
    expect(await workflows.available(ctx, operator, 'work_order', id)).toEqual([]);
  });

  it('requires a valid e-signature and the role', async () => {
    const id = await newOrder();
    await workflows.fire(ctx, planner, 'work_order', id, 'release', {});
    const unsigned = await failure(workflows.fire(ctx, operator, 'work_order', id, 'start', {}));
    expect(unsigned.details?.errors).toEqual([
      expect.objectContaining({ field: 'password', rule: 'required' }),
    ]);
    expect(
      (await failure(workflows.fire(ctx, operator, 'work_order', id, 'start', { password: 'wrong' })))
        .httpStatus,
    ).toBe(403);
    const noRole = actor('op-2', ['PLANNER'], ['work_order:start']);
    expect(
      (await failure(workflows.fire(ctx, noRole, 'work_order', id, 'start', { password: 'x' }))).httpStatus,
    ).toBe(403);
    const signed = await workflows.fire(ctx, operator, 'work_order', id, 'start', {
      password: 'correct horse',
    });
    expect(signed.record.status).toBe('IN_PROGRESS');
    expect((await workflows.history(ctx, 'work_order', id)).at(-1)).toMatchObject({
      action: 'start',
      signed: true,
      actor: 'op-1',
    });
  });

  it('collects two approvals, refusing the requester, before cancelling', async () => {
    const id = await newOrder();
    const asked = await workflows.fire(ctx, planner, 'work_order', id, 'cancel', {
      reason: 'customer withdrew',
    });
    expect(asked).toMatchObject({ status: 'PENDING_APPROVAL', approvals: { approvals: 0, required: 2 } });
    expect((await failure(workflows.fire(ctx, planner, 'work_order', id, 'cancel', {}))).httpStatus).toBe(
      403,
    );
    expect(
      (await workflows.available(ctx, sup1, 'work_order', id)).map((a) => [a.action, a.approvalVote]),
    ).toEqual([['cancel', true]]);
    expect(await workflows.fire(ctx, sup1, 'work_order', id, 'cancel', {})).toMatchObject({
      status: 'PENDING_APPROVAL',
      approvals: { approvals: 1 },
    });
    expect((await failure(workflows.fire(ctx, sup1, 'work_order', id, 'cancel', {}))).httpStatus).toBe(422);
    const done = await workflows.fire(ctx, sup2, 'work_order', id, 'cancel', {});
    expect(done).toMatchObject({ status: 'APPLIED', to: 'CANCELLED', record: { status: 'CANCELLED' } });
    expect((await workflows.history(ctx, 'work_order', id)).at(-1)).toMatchObject({
      actor: 'planner',
      reason: 'customer withdrew',
      approvalId: expect.any(Number),
    });
    expect(await outboxTypes(id)).toEqual(['work_order.cancelled']);
  });

  it('keeps records on the definition version of their first action; a record without one follows the current version', async () => {
    const started = await newOrder(50);
    // The first action (a cancel request, which waits for approvals) pins the record to version 1.
    const asked = await workflows.fire(ctx, planner, 'work_order', started, 'cancel', { reason: 'pinned' });
    expect(asked.status).toBe('PENDING_APPROVAL');
    const untouched = await newOrder(50);
    const v2 = { ...ctx, model: modelWith(lifecycle(2), 2) };
    const fresh = (
      await entities.create(
        'work_order',
        { itemId, lineId, quantity: 50, plannedStart: '2026-12-01T08:00:00Z' },
        v2,
      )
    ).id as number;
    // Version 2 needs quantity > 100 (version 1: > 5): the records that ran no action follow version
    // 2 and are refused; the one whose first action ran on version 1 is not.
    for (const id of [fresh, untouched])
      expect((await failure(workflows.fire(v2, planner, 'work_order', id, 'release', {}))).code).toBe(
        'BUSINESS_RULE',
      );
    const old = await workflows.fire(v2, planner, 'work_order', started, 'release', {});
    expect(old.status).toBe('APPLIED');
    expect((await workflows.history(v2, 'work_order', started)).at(-1)).toMatchObject({ workflowVersion: 1 });
  });

  it('stores a definition version again when the transaction that first stored it rolled back', async () => {
    const v3 = { ...ctx, model: modelWith(lifecycle(3), 3) };
    const order = { itemId, lineId, quantity: 150, plannedStart: '2026-12-01T08:00:00Z' };
    const stored = async () =>
      (
        await database.db
          .executor()
          .query("SELECT version FROM wf_definition WHERE workflow = 'work_order_lifecycle' AND version = 3")
      ).length;
    const pins = async (id: number) =>
      (
        await database.db
          .executor()
          .query<{ workflow_version: number | string }>(
            "SELECT workflow_version FROM wf_instance WHERE entity = 'work_order' AND record_id = ?",
            [id],
          )
      ).map((row) => Number(row.workflow_version));
    const first = (await entities.create('work_order', order, v3)).id as number;
    const second = (await entities.create('work_order', order, v3)).id as number;
    // A create pins nothing: the record has entered no workflow yet.
    expect(await pins(first)).toEqual([]);
    expect(await stored()).toBe(0);
    const refuse = hooks.on('inTransaction', { entity: 'work_order', action: 'transition' }, () => {
      throw new Error('refused after the pin');
    });
    await expect(workflows.fire(v3, planner, 'work_order', first, 'release', {})).rejects.toThrow(
      'refused after the pin',
    );
    refuse();
    expect(await stored()).toBe(0);
    expect(await pins(first)).toEqual([]);
    await workflows.fire(v3, planner, 'work_order', first, 'release', {});
    expect(await stored()).toBe(1);
    await workflows.fire(v3, planner, 'work_order', second, 'release', {});
    expect(await stored()).toBe(1);
    expect(await pins(second)).toEqual([3]);
  });
});
