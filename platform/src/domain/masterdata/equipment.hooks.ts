import type { InTransactionHookArgs } from '../../crud/hooks';
import { engineContext } from '../../crud/request-context';
import type { EntityHooks } from '../../generated/domain-hooks';
import { openStates } from './equipment-state-store';

/**
 * Equipment state history: every change of an equipment's `status` — created with one, edited,
 * set by a maintenance order or a workflow transition — ends the period it was in and opens one in
 * the new state, at the time of the write, in the write's transaction and through the record-change
 * path (so each period is audited and announced like any record). Availability in OEE is computed
 * from these periods.
 */
async function recordState({ tx, ctx, record, previous, records }: InTransactionHookArgs): Promise<void> {
  const state = record.status;
  const before = previous?.status ?? null;
  if (typeof state !== 'string' || state === before || !ctx.model.entities.has('equipment_state')) return;
  const at = new Date(String(record.updatedAt ?? record.createdAt)).toISOString();
  const engine = engineContext(ctx);
  const equipmentId = Number(record.id);
  for (const open of await openStates(tx, ctx.model, ctx.tenantId, equipmentId)) {
    const minutes = Math.max(0, (Date.parse(at) - Date.parse(open.startTime)) / 60_000);
    await records.updateIn(
      tx,
      'equipment_state',
      open.id,
      { endTime: at, durationMinutes: Math.round(minutes * 100) / 100 },
      engine,
    );
  }
  await records.createIn(
    tx,
    'equipment_state',
    {
      equipmentId,
      lineId: record.lineId ?? null,
      workstationId: record.workstationId ?? null,
      state,
      previousState: before,
      startTime: at,
    },
    engine,
  );
}

export const hooks: EntityHooks = {
  inTransaction: { create: recordState, update: recordState, transition: recordState },
};
