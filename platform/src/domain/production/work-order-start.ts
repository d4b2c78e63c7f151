import { engineContext } from '../../crud/request-context';
import type { TransitionHook, TransitionHookArgs } from '../../workflow/workflow.service';
import { hasOperations, routingSteps } from './production-store';

/**
 * Starting a work order takes its routing snapshot (`wo_operation`): one operation per
 * routing step, in sequence, planned for the order's quantity, so later routing edits never change an
 * order in progress. Operations the planner entered on the order themselves are kept as they are.
 * Each operation is created through the record-change path (its hooks, audit and event).
 */
export const startSnapshotsRouting: TransitionHook = {
  entity: 'work_order',
  action: 'start',
  run: snapshotRouting,
};

async function snapshotRouting({ tx, ctx, after, actorId, records }: TransitionHookArgs): Promise<void> {
  if (typeof after.routingId !== 'number') return;
  if (await hasOperations(tx, ctx.model, ctx.tenantId, after.id)) return;
  const engine = engineContext(ctx, actorId);
  for (const step of await routingSteps(tx, ctx.model, ctx.tenantId, after.routingId)) {
    await records.createIn(
      tx,
      'wo_operation',
      {
        workOrderId: after.id,
        opSeq: Number(step.op_seq),
        opCode: step.op_code,
        opName: step.op_name,
        sourceOperationId: Number(step.id),
        workstationId: step.workstation_id === null ? null : Number(step.workstation_id),
        plannedQuantity: Number(after.plannedQuantity),
      },
      engine,
    );
  }
}
