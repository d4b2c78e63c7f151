import { EntityWriter } from '../../crud/entity-writer';
import type { EntityRecord } from '../../crud/types';
import { runtimeOf } from '../../kernel/model-runtime';
import type { TransitionHook, TransitionHookArgs } from '../../workflow/workflow.service';

/**
 * Starting a work order takes its routing snapshot (DOMAIN.md §4.4 `wo_operation`): one operation per
 * routing step, in sequence, planned for the order's quantity, so later routing edits never change an
 * order in progress. Operations the planner entered on the order themselves are kept as they are.
 */
export const startSnapshotsRouting: TransitionHook = {
  entity: 'work_order',
  action: 'start',
  run: snapshotRouting,
};

async function snapshotRouting({ tx, ctx, after, actorId }: TransitionHookArgs): Promise<void> {
  if (typeof after.routingId !== 'number') return;
  const runtime = runtimeOf(ctx.model);
  const woOperation = runtime.entity('wo_operation').entity;
  const operation = runtime.entity('operation').entity;
  const q = tx.dialect.quote;
  const existing = await tx.query(
    `SELECT 1 AS hit FROM ${q(woOperation.table)} WHERE tenant_id = ? AND work_order_id = ? AND deleted_at IS NULL LIMIT 1`,
    [ctx.tenantId, after.id],
  );
  if (existing.length > 0) return;
  const steps = await tx.query<{
    id: number;
    op_seq: number;
    op_code: string;
    op_name: string;
    workstation_id: number | null;
  }>(
    `SELECT id, op_seq, op_code, op_name, workstation_id FROM ${q(operation.table)}
      WHERE tenant_id = ? AND routing_id = ? AND deleted_at IS NULL ORDER BY op_seq`,
    [ctx.tenantId, after.routingId],
  );
  if (steps.length === 0) return;
  const bodies: EntityRecord[] = steps.map((step) => ({
    workOrderId: after.id,
    opSeq: Number(step.op_seq),
    opCode: step.op_code,
    opName: step.op_name,
    sourceOperationId: Number(step.id),
    workstationId: step.workstation_id === null ? null : Number(step.workstation_id),
    plannedQuantity: Number(after.plannedQuantity),
  }));
  await new EntityWriter(tx, { ...ctx, userId: actorId }).insert(runtime.entity('wo_operation'), bodies);
}
