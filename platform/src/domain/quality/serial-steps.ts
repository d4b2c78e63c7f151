import { randomUUID } from 'node:crypto';
import { BusinessRuleError } from '../../crud/errors';
import type { HookRegistry, RecordChanges } from '../../crud/hooks';
import { engineContext } from '../../crud/request-context';
import type { EntityRecord, RequestContext } from '../../crud/types';
import type { SqlExecutor } from '../../data/database';
import { RowStore } from '../../data/row-store';
import type { WorkflowActor } from '../../workflow/actor';
import type { TransitionHook, WorkflowService } from '../../workflow/workflow.service';
import { numberSetting } from '../inventory/tenant-settings';
import { activeShifts, testsOfSerial } from './serial-test-store';

/** Tenant setting (`sys_config`): how often a serial may come back from repair before it must be rejected. */
export const MAX_REPAIRS_SETTING = 'production.max_repairs';
const DEFAULT_MAX_REPAIRS = 3;

/** What each serial step is in the trace (docs/traceability.md): its action and result. */
const STEP_TRACE: Record<string, { action: string; result: string | null }> = {
  start: { action: 'START', result: null },
  complete: { action: 'END', result: 'PASS' },
  fail_test: { action: 'REWORK', result: 'REWORK' },
  repaired: { action: 'REPAIRED', result: null },
  reject: { action: 'SCRAP', result: 'FAIL' },
};

/**
 * A serial's shop-floor steps: every transition writes a trace event with the operator, the station
 * and operation the caller names, the shift and the time; coming back from repair is refused once
 * the tenant's repair limit (`production.max_repairs`, default 3) is exceeded.
 */
export const serialStepHooks: TransitionHook = {
  entity: 'serial_number',
  action: '*',
  run: async ({ tx, ctx, after, actorId, records, action }) => {
    // A transition this hook fires itself (rework after a failed test) is traced like any other.
    if (action === 'repaired') {
      const limit = await numberSetting(tx, ctx, MAX_REPAIRS_SETTING, DEFAULT_MAX_REPAIRS);
      if (Number(after.repairCount) > limit)
        throw new BusinessRuleError(`Repair limit of ${limit} reached; reject the unit`, {
          rule: 'repair-limit',
          limit,
        });
    }
    const step = STEP_TRACE[action];
    if (!step) return;
    await traceEvent(tx, ctx, records, actorId, {
      entityType: 'SN',
      entityId: after.sn,
      action: step.action,
      result: step.result,
      opCode: after.currentOpCode ?? null,
      workstationId: after.currentStationId ?? null,
    });
  },
};

/**
 * A test record belongs to its serial: lot and work order are the serial's, the operator is the
 * caller, the shift the one the test time falls in, the attempt the serial's next. A failed test
 * sends the serial to rework (`fail_test`) in the same transaction, and every test is a trace event.
 */
export function registerSerialTests(hooks: HookRegistry, workflows: WorkflowService): void {
  hooks.on('before', { entity: 'test_record', action: 'create' }, async ({ tx, ctx, body }) => {
    const serialEntity = ctx.model.entities.get('serial_number')!;
    const [serial] = await new RowStore(ctx.tenantId).byIds(
      tx,
      serialEntity,
      [body.serialNumberId as number],
      true,
    );
    if (!serial) return;
    body.lotId ??= Number(serial.lot_id);
    body.workOrderId ??= Number(serial.work_order_id);
    if (body.operatorId === undefined && ctx.userId && /^\d+$/.test(ctx.userId))
      body.operatorId = Number(ctx.userId);
    body.shiftId ??= (await shiftAt(tx, ctx, new Date(String(body.testedAt))))?.id ?? null;
    body.attempt ??= (await testsOfSerial(tx, ctx.model, ctx.tenantId, serial.id)) + 1;
  });
  hooks.on(
    'inTransaction',
    { entity: 'test_record', action: 'create' },
    async ({ tx, ctx, record, records }) => {
      const serialId = record.serialNumberId as number;
      const serial = await records.getIn(tx, 'serial_number', serialId, engineContext(ctx));
      await traceEvent(tx, ctx, records, ctx.userId, {
        entityType: 'SN',
        entityId: serial.sn,
        action: 'TEST',
        result: record.result,
        opCode: record.opCode ?? null,
        workstationId: record.workstationId ?? null,
        occurredAt: record.testedAt,
        refId: record.testNo,
        data: record.testData ?? null,
      });
      if (record.result !== 'FAIL' || !['IN_PROGRESS', 'COMPLETED'].includes(String(serial.status))) return;
      await workflows.fireIn(
        tx,
        engineContext(ctx),
        engineActor(ctx),
        'serial_number',
        serialId,
        'fail_test',
        {
          reason: `Test ${String(record.testNo)} failed`,
          fields: {
            ...(record.opCode ? { currentOpCode: record.opCode } : {}),
            currentStationId: record.workstationId,
          },
        },
      );
    },
  );
}

/** The caller, acting through the engine: the test they recorded decides the serial's move. */
function engineActor(ctx: RequestContext): WorkflowActor {
  return { userId: ctx.userId ?? 'system', roles: [], hasPermission: () => true };
}

async function traceEvent(
  tx: SqlExecutor,
  ctx: RequestContext,
  records: RecordChanges,
  actorId: string | null,
  event: EntityRecord,
): Promise<void> {
  const occurredAt = typeof event.occurredAt === 'string' ? new Date(event.occurredAt) : new Date();
  const shift = await shiftAt(tx, ctx, occurredAt);
  const operatorId = actorId && /^\d+$/.test(actorId) ? Number(actorId) : null;
  await records.createIn(
    tx,
    'trace_event',
    {
      eventId: randomUUID(),
      ...event,
      entityId: String(event.entityId),
      occurredAt: occurredAt.toISOString(),
      operatorId,
      shiftCode: shift?.shift_code ?? null,
    },
    engineContext(ctx, actorId),
  );
}

/** The active shift whose hours (UTC) contain the time; a shift crossing midnight wraps. */
async function shiftAt(tx: SqlExecutor, ctx: RequestContext, at: Date) {
  if (Number.isNaN(at.getTime())) return undefined;
  const minute = at.getUTCHours() * 60 + at.getUTCMinutes();
  const minutesOf = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));
  return (await activeShifts(tx, ctx.model, ctx.tenantId)).find((shift) => {
    const start = minutesOf(shift.start_time);
    const end = minutesOf(shift.end_time);
    return start <= end ? minute >= start && minute < end : minute >= start || minute < end;
  });
}
