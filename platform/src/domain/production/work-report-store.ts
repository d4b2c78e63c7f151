import type { Model } from '../../../../metadata/src/model';
import type { SqlExecutor } from '../../data/database';
import type { DbRow } from '../../data/row-store';
import { runtimeOf } from '../../kernel/model-runtime';

/**
 * The statements of a work report posting: the order's operations in sequence, and the conditional
 * updates that book good and scrap quantities on the order, the operation and the lot, so concurrent
 * reports can neither lose an update nor slip past a state or a limit.
 */

/** Tolerance of decimal(18,4) arithmetic in SQLite's floating point. */
const EPSILON = 1e-9;

function table(tx: SqlExecutor, model: Model, entity: string): string {
  return tx.dialect.quote(runtimeOf(model).entity(entity).entity.table);
}

/** Who books, in which tenant, and when (the stored `updated_at` of every row the posting moves). */
export interface Booking {
  tenant: string;
  actor: string | null | undefined;
  at: string;
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

/**
 * Adds output to the work order's actual and scrap quantities if it is live and in `state`; whether
 * it was (false: the order is in another state or gone).
 */
export async function bookOrderOutput(
  tx: SqlExecutor,
  model: Model,
  booking: Booking,
  order: { id: unknown; state: string; actual: number; scrap: number },
): Promise<boolean> {
  const result = await tx.execute(
    `UPDATE ${table(tx, model, 'work_order')} SET actual_quantity = actual_quantity + ?, scrap_quantity = scrap_quantity + ?,
       version = version + 1, updated_at = ?, updated_by = ?
     WHERE tenant_id = ? AND id = ? AND status = ? AND deleted_at IS NULL`,
    [order.actual, order.scrap, booking.at, booking.actor, booking.tenant, order.id, order.state],
  );
  return result.affected === 1;
}

/**
 * Adds good and scrap output to the operation while its cumulative good + scrap stays within `limit`:
 * the operation starts (`actual_start`, once) and completes when it reaches its planned quantity
 * (status COMPLETED, `actual_end`). Whether it took the output (false: it would exceed the limit).
 */
export async function bookOperationOutput(
  tx: SqlExecutor,
  model: Model,
  booking: Booking,
  output: { id: unknown; good: number; scrap: number; limit: number; startAt: string; endAt: string },
): Promise<boolean> {
  const total = output.good + output.scrap;
  // status and actual_end first: MySQL evaluates SET left to right with the new values, SQLite with the old.
  const result = await tx.execute(
    `UPDATE ${table(tx, model, 'wo_operation')} SET
       status = CASE WHEN completed_quantity + rejected_quantity + ? >= planned_quantity - ${EPSILON} THEN 'COMPLETED' ELSE 'IN_PROGRESS' END,
       actual_end = CASE WHEN completed_quantity + rejected_quantity + ? >= planned_quantity - ${EPSILON} THEN ? ELSE actual_end END,
       actual_start = COALESCE(actual_start, ?),
       completed_quantity = completed_quantity + ?, rejected_quantity = rejected_quantity + ?,
       version = version + 1, updated_at = ?, updated_by = ?
     WHERE tenant_id = ? AND id = ? AND completed_quantity + rejected_quantity + ? <= ? + ${EPSILON}`,
    [
      total,
      total,
      output.endAt,
      output.startAt,
      output.good,
      output.scrap,
      booking.at,
      booking.actor,
      booking.tenant,
      output.id,
      total,
      output.limit,
    ],
  );
  return result.affected === 1;
}

/** Adds good and scrap output to the production lot. */
export async function bookLotOutput(
  tx: SqlExecutor,
  model: Model,
  booking: Booking,
  lot: { id: unknown; good: number; scrap: number },
): Promise<void> {
  await tx.execute(
    `UPDATE ${table(tx, model, 'production_lot')} SET good_quantity = good_quantity + ?, scrap_quantity = scrap_quantity + ?,
       version = version + 1, updated_at = ?, updated_by = ?
     WHERE tenant_id = ? AND id = ?`,
    [lot.good, lot.scrap, booking.at, booking.actor, booking.tenant, lot.id],
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
