import type { Model } from '../../../../metadata/src/model';
import type { SqlExecutor } from '../../data/database';
import type { DbRow } from '../../data/row-store';
import { runtimeOf } from '../../kernel/model-runtime';

/**
 * The reads of a work report posting: the order's operations in sequence and its first open lot. The
 * quantities it books change through the record-change path (work-report-posting.ts).
 */

function table(tx: SqlExecutor, model: Model, entity: string): string {
  return tx.dialect.quote(runtimeOf(model).entity(entity).entity.table);
}

/** The work order's live operations that are not cancelled, in sequence. */
export function operationsInSequence(
  tx: SqlExecutor,
  model: Model,
  tenant: string,
  workOrderId: unknown,
): Promise<{ id: number; op_seq: number; completed_quantity: number | string }[]> {
  return tx.query<{ id: number; op_seq: number; completed_quantity: number | string }>(
    `SELECT id, op_seq, completed_quantity FROM ${table(tx, model, 'wo_operation')}
      WHERE tenant_id = ? AND work_order_id = ? AND status <> 'CANCELLED' AND deleted_at IS NULL ORDER BY op_seq`,
    [tenant, workOrderId],
  );
}

/** The work order's first live lot that is not cancelled. */
export async function firstOpenLot(
  tx: SqlExecutor,
  model: Model,
  tenant: string,
  workOrderId: unknown,
): Promise<DbRow | undefined> {
  const [row] = await tx.query<DbRow>(
    `SELECT id, lot_no FROM ${table(tx, model, 'production_lot')}
      WHERE tenant_id = ? AND work_order_id = ? AND status <> 'CANCELLED' AND deleted_at IS NULL ORDER BY id LIMIT 1`,
    [tenant, workOrderId],
  );
  return row;
}
