import type { EntityRecord, PluginApi, RequestContext } from '../../../platform/src/plugins/plugin-api';
import { num } from './records';
import { currentOccurrence, isDue } from './schedule';

export interface GenerationResult {
  asOf: string;
  /** Order numbers created. */
  created: string[];
  /** Plans due whose occurrence already has an order, or that name nobody to request it. */
  skipped: { planCode: string; reason: 'order-exists' | 'no-requester' }[];
}

/**
 * Creates one PREVENTIVE order for every ACTIVE plan whose current occurrence is due at `asOf` and
 * has no order yet. The order's occurrence key comes from the plan (maintenance-orders.ts) and is
 * unique per plan, so repeated runs, overlapping runs on two instances, or a planner creating the
 * order by hand never give a plan two orders for the same due date or counter value.
 */
export async function generatePreventiveOrders(
  api: PluginApi,
  ctx: RequestContext,
  asOf: Date,
): Promise<GenerationResult> {
  const result: GenerationResult = { asOf: asOf.toISOString(), created: [], skipped: [] };
  const plans = await api.entities.listAll('maintenance_plan', { status: 'ACTIVE' }, ctx);
  for (const plan of plans) {
    const occurrence = currentOccurrence(plan);
    if (!occurrence) continue;
    const equipment = await api.entities.get('equipment', Number(plan.equipmentId), ctx);
    if (!isDue(plan, occurrence, num(equipment.usageCounter), asOf)) continue;
    const planCode = String(plan.planCode);
    const existing = await api.entities.listAll(
      'maintenance_order',
      { planId: plan.id, scheduleKey: occurrence.key },
      ctx,
    );
    if (existing.length > 0) {
      result.skipped.push({ planCode, reason: 'order-exists' });
      continue;
    }
    const requester = plan.plannerId ?? plan.defaultAssigneeId;
    if (typeof requester !== 'number') {
      api.logger.warn('preventive plan names no planner or default technician', { planCode });
      result.skipped.push({ planCode, reason: 'no-requester' });
      continue;
    }
    const unit = String(plan.usageUnit ?? 'HOURS').toLowerCase();
    const due = occurrence.dueAt
      ? `due ${occurrence.dueAt.slice(0, 10)}`
      : `due at ${occurrence.dueUsage} ${unit}`;
    const order: EntityRecord = await api.entities.create(
      'maintenance_order',
      {
        orderType: 'PREVENTIVE',
        planId: plan.id,
        equipmentId: plan.equipmentId,
        title: `${String(plan.planName)} (${due})`.slice(0, 255),
        priority: 'NORMAL',
        requestedById: requester,
        requestedAt: asOf.toISOString(),
        ...(typeof plan.defaultAssigneeId === 'number' ? { assigneeId: plan.defaultAssigneeId } : {}),
        ...(occurrence.dueAt ? { scheduledStart: occurrence.dueAt } : {}),
      },
      ctx,
    );
    result.created.push(String(order.moNo));
  }
  return result;
}

/**
 * The schedule (hourly) and `POST /api/plugins/maintenance/preventive-orders/generate` `{ asOf? }`,
 * which runs the same generation at once for a planner (or a test) with an explicit clock.
 */
export function registerPreventiveOrders(api: PluginApi): void {
  api.jobs.schedule(
    {
      name: 'preventive-orders',
      cron: '5 * * * *',
      description: 'Creates the maintenance orders of preventive plans that fell due',
    },
    async ({ ctx, scheduledAt }) => {
      const result = await generatePreventiveOrders(api, ctx, scheduledAt);
      if (result.created.length > 0) api.logger.info('preventive orders created', { orders: result.created });
    },
  );

  api.routes.post('/preventive-orders/generate', async ({ body, ctx }) => {
    const asOf = (body as { asOf?: unknown } | null)?.asOf;
    if (asOf !== undefined && (typeof asOf !== 'string' || Number.isNaN(Date.parse(asOf)))) {
      throw api.errors.validation([
        { field: 'asOf', path: '/asOf', rule: 'format', message: 'asOf must be an ISO 8601 date-time' },
      ]);
    }
    return generatePreventiveOrders(api, ctx, asOf ? new Date(asOf) : new Date());
  });
}
