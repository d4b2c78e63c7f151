import type { EntityRecord, PluginApi, RequestContext } from '../../../platform/src/plugins/plugin-api';
import { dbDateTime, num, round } from './records';
import { addInterval, currentOccurrence, nextOccurrence } from './schedule';

const STOPPING_ORDER_TYPES = new Set(['CORRECTIVE', 'EMERGENCY']);

/**
 * Plans and orders:
 * - creating an order requests its approval (maintenance planners vote; EMERGENCY orders pass);
 * - a plan gets its first due date (calendar: last service or now + interval) or due counter value
 *   (usage: counter at last service or now + interval) when it is created or its interval changes;
 * - an order created for a plan serves the plan's current occurrence (due date or counter value,
 *   unique per plan) and copies the plan's task template;
 * - parts cost (issued spare parts) and total cost are derived on every write of the order;
 * - starting work on a stopped machine puts the equipment in MAINTENANCE; finishing a corrective job
 *   that stopped it records the breakdown downtime (requested → finished) unless one is linked;
 * - verification rolls the plan forward from the actual end and releases the equipment (RUNNING);
 *   cancelling a plan's order skips that occurrence.
 */
export function registerMaintenanceOrders(api: PluginApi): void {
  api.hooks.beforeWrite(
    { entity: 'maintenance_plan', action: '*' },
    async ({ action, body, current, ctx }) => {
      if (action !== 'create' && action !== 'update') return;
      const plan = { ...(current ?? {}), ...body };
      const intervalChanged = ['triggerType', 'intervalValue', 'intervalUnit', 'usageInterval'].some(
        (f) => f in body,
      );
      if (action === 'update' && !intervalChanged) return;
      if (plan.triggerType === 'USAGE') {
        const equipment = await api.entities.get('equipment', Number(plan.equipmentId), ctx);
        const base = plan.lastUsageValue ?? equipment.usageCounter;
        body.nextDueUsage = round(num(base) + num(plan.usageInterval), 2);
      } else if (!('nextDueAt' in body) && (action === 'create' || intervalChanged)) {
        const base = typeof plan.lastDoneAt === 'string' ? new Date(plan.lastDoneAt) : new Date();
        body.nextDueAt = addInterval(
          base,
          num(plan.intervalValue),
          String(plan.intervalUnit ?? 'MONTH'),
        ).toISOString();
      }
    },
  );

  api.hooks.beforeWrite({ entity: 'maintenance_order', action: 'create' }, async ({ body, ctx }) => {
    body.partsCost = 0;
    body.totalCost = round(num(body.labourCost), 2);
    if (typeof body.planId !== 'number') return;
    const plan = await api.entities.get('maintenance_plan', body.planId, ctx);
    if (plan.equipmentId !== body.equipmentId) {
      throw api.errors.validation([
        {
          field: 'equipmentId',
          path: '/equipmentId',
          rule: 'plan-equipment',
          message: `Plan ${String(plan.planCode)} maintains another equipment`,
        },
      ]);
    }
    const occurrence = currentOccurrence(plan);
    if (occurrence) {
      Object.assign(body, {
        dueAt: occurrence.dueAt,
        dueUsage: occurrence.dueUsage,
        scheduleKey: occurrence.key,
      });
    }
    const template = Array.isArray(plan.taskTemplate) ? (plan.taskTemplate as EntityRecord[]) : [];
    if (!('tasks' in body) && template.length > 0) {
      body.tasks = template.map((task, i) => ({
        seq: i + 1,
        taskType: task.task_type ?? task.taskType,
        description: task.description,
        ...(task.standard ? { standard: task.standard } : {}),
      }));
    }
  });

  // Requesting is asking for approval: the requester's request opens the planners' vote at once
  // (an EMERGENCY order needs none and is approved on the spot).
  api.hooks.afterWrite({ entity: 'maintenance_order', action: 'create' }, async ({ ctx, record }) => {
    await api.workflows.fire(ctx, 'maintenance_order', Number(record.id), 'approve');
  });

  api.hooks.beforeWrite(
    { entity: 'maintenance_order', action: 'update' },
    async ({ body, current, id, ctx }) => {
      if (id === null) return;
      const order = await api.entities.get('maintenance_order', id, ctx);
      const parts = ((order.spareParts as EntityRecord[] | undefined) ?? []).reduce(
        (sum, p) => sum + num(p.amount),
        0,
      );
      body.partsCost = round(parts, 2);
      body.totalCost = round(num(body.labourCost ?? current?.labourCost) + parts, 2);
    },
  );

  api.hooks.afterTransition({ entity: 'maintenance_order', action: 'start' }, async ({ ctx, record }) => {
    if (record.equipmentStopped === true)
      await setEquipmentStatus(api, ctx, Number(record.equipmentId), 'MAINTENANCE');
  });

  api.hooks.afterTransition({ entity: 'maintenance_order', action: 'finish' }, async ({ ctx, record }) => {
    if (record.equipmentStopped !== true || !STOPPING_ORDER_TYPES.has(String(record.orderType))) return;
    const linked = await api.entities.listAll('downtime_record', { maintenanceOrderId: record.id }, ctx);
    if (linked.length > 0) return;
    await api.entities.create(
      'downtime_record',
      {
        equipmentId: record.equipmentId,
        maintenanceOrderId: record.id,
        downtimeType: 'UNPLANNED',
        reasonCategory: 'BREAKDOWN',
        startTime: downtimeStart(record),
        endTime: record.actualEnd,
        description: `${String(record.moNo)}: ${String(record.title)}`.slice(0, 2000),
      },
      ctx,
    );
  });

  api.hooks.beforeTransition(
    { entity: 'maintenance_order', action: 'verify' },
    async ({ tx, ctx, after }) => {
      if (typeof after.planId !== 'number') return;
      const plan = await api.entities.get('maintenance_plan', after.planId, ctx);
      const equipment = await api.entities.get('equipment', Number(after.equipmentId), ctx);
      const doneAt = typeof after.actualEnd === 'string' ? new Date(after.actualEnd) : new Date();
      const usage = num(equipment.usageCounter);
      const next = nextOccurrence(plan, doneAt, usage);
      await api.entities.setSystemFields(
        tx,
        ctx,
        'maintenance_plan',
        { id: plan.id },
        {
          last_done_at: dbDateTime(doneAt),
          last_usage_value: usage,
          next_due_at: next.nextDueAt ? dbDateTime(new Date(next.nextDueAt)) : null,
          next_due_usage: next.nextDueUsage,
        },
      );
    },
  );

  api.hooks.afterTransition({ entity: 'maintenance_order', action: 'verify' }, async ({ ctx, record }) => {
    const equipment = await api.entities.get('equipment', Number(record.equipmentId), ctx);
    const patch: EntityRecord = {};
    if (equipment.status === 'MAINTENANCE' || equipment.status === 'BREAKDOWN') patch.status = 'RUNNING';
    if (typeof record.planId === 'number') {
      const plan = await api.entities.get('maintenance_plan', record.planId, ctx);
      if (typeof plan.nextDueAt === 'string') patch.nextMaintenanceAt = plan.nextDueAt;
    }
    if (Object.keys(patch).length > 0) {
      await api.entities.update(
        'equipment',
        Number(equipment.id),
        { ...patch, version: equipment.version },
        ctx,
      );
    }
  });

  api.hooks.beforeTransition(
    { entity: 'maintenance_order', action: 'cancel' },
    async ({ tx, ctx, after }) => {
      if (typeof after.planId !== 'number' || typeof after.scheduleKey !== 'string') return;
      const plan = await api.entities.get('maintenance_plan', after.planId, ctx);
      if (currentOccurrence(plan)?.key !== after.scheduleKey) return;
      const served = typeof after.dueAt === 'string' ? new Date(after.dueAt) : new Date();
      const next = nextOccurrence(plan, served, num(after.dueUsage));
      await api.entities.setSystemFields(
        tx,
        ctx,
        'maintenance_plan',
        { id: plan.id },
        {
          next_due_at: next.nextDueAt ? dbDateTime(new Date(next.nextDueAt)) : null,
          next_due_usage: next.nextDueUsage,
        },
      );
    },
  );
}

async function setEquipmentStatus(
  api: PluginApi,
  ctx: RequestContext,
  equipmentId: number,
  status: string,
): Promise<void> {
  const equipment = await api.entities.get('equipment', equipmentId, ctx);
  if (equipment.status === status || equipment.status === 'RETIRED') return;
  await api.entities.update('equipment', equipmentId, { status, version: equipment.version }, ctx);
}

/**
 * When the equipment stopped: when the fault was reported, or — for an order requested ahead of
 * time — when the work on it began, so the downtime never starts after it ended.
 */
function downtimeStart(order: EntityRecord): unknown {
  const requested = typeof order.requestedAt === 'string' ? Date.parse(order.requestedAt) : NaN;
  const started = typeof order.actualStart === 'string' ? Date.parse(order.actualStart) : NaN;
  if (Number.isNaN(started) || (!Number.isNaN(requested) && requested <= started)) return order.requestedAt;
  return order.actualStart;
}
