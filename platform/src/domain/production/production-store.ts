import type { Model } from '../../../../metadata/src/model';
import type { SqlExecutor } from '../../data/database';

/** The reads the work order's transitions make of its own operations, routing and lots. */

export interface RoutingStep {
  id: number;
  op_seq: number;
  op_code: string;
  op_name: string;
  workstation_id: number | null;
}

function table(tx: SqlExecutor, model: Model, entity: string): string {
  return tx.dialect.quote(model.entities.get(entity)!.table);
}

/** Whether the work order already has operations (entered by the planner or snapshotted before). */
export async function hasOperations(
  tx: SqlExecutor,
  model: Model,
  tenant: string,
  workOrderId: unknown,
): Promise<boolean> {
  const rows = await tx.query(
    `SELECT 1 AS hit FROM ${table(tx, model, 'wo_operation')} WHERE tenant_id = ? AND work_order_id = ? AND deleted_at IS NULL LIMIT 1`,
    [tenant, workOrderId],
  );
  return rows.length > 0;
}

/** The live operations of a routing, in sequence. */
export async function routingSteps(
  tx: SqlExecutor,
  model: Model,
  tenant: string,
  routingId: unknown,
): Promise<RoutingStep[]> {
  return tx.query<RoutingStep>(
    `SELECT id, op_seq, op_code, op_name, workstation_id FROM ${table(tx, model, 'operation')}
      WHERE tenant_id = ? AND routing_id = ? AND deleted_at IS NULL ORDER BY op_seq`,
    [tenant, routingId],
  );
}

/** The work order's lots with good output, oldest first. */
export async function lotsWithGoodOutput(
  tx: SqlExecutor,
  model: Model,
  tenant: string,
  workOrderId: unknown,
): Promise<{ lot_no: string; good_quantity: number | string }[]> {
  return tx.query(
    `SELECT lot_no, good_quantity FROM ${table(tx, model, 'production_lot')}
      WHERE tenant_id = ? AND work_order_id = ? AND good_quantity > 0 AND deleted_at IS NULL ORDER BY id`,
    [tenant, workOrderId],
  );
}
