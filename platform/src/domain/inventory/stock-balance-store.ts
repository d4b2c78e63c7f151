import type { Model } from '../../../../metadata/src/model';
import type { SqlExecutor } from '../../data/database';
import { nowForDb } from '../../data/values';
import { runtimeOf } from '../../kernel/model-runtime';

/** The statements that move a stock balance (one `stock` row per item, lot and location). */

/** Tolerance of decimal(18,4) arithmetic in SQLite's floating point. */
const EPSILON = 1e-9;

/** One item and lot (null: none) at one location. */
export interface BalanceKey {
  itemId: number;
  lotNo: string | null;
  locationId: number;
}

function table(tx: SqlExecutor, model: Model): string {
  return tx.dialect.quote(runtimeOf(model).entity('stock').entity.table);
}

/**
 * Adds the deltas to the live balance in one conditional UPDATE: reserved stock never goes below zero,
 * available stock neither unless `allowNegative`, and a balance whose status is one of
 * `blockedStatuses` is left alone. Whether the balance took the change (false: no such balance, or a
 * condition refused it).
 */
export async function moveBalance(
  tx: SqlExecutor,
  model: Model,
  tenant: string,
  actor: string | null | undefined,
  change: BalanceKey & {
    available: number;
    reserved: number;
    allowNegative: boolean;
    blockedStatuses: readonly string[];
  },
): Promise<boolean> {
  const availableFloor = change.allowNegative ? '' : ` AND available_quantity + ? >= ${-EPSILON}`;
  const blocked = change.blockedStatuses;
  const released = blocked.length > 0 ? ` AND status NOT IN (${blocked.map(() => '?').join(', ')})` : '';
  const result = await tx.execute(
    `UPDATE ${table(tx, model)} SET quantity = quantity + ?, available_quantity = available_quantity + ?,
       reserved_quantity = reserved_quantity + ?, version = version + 1, updated_at = ?, updated_by = ?
     WHERE tenant_id = ? AND item_id = ? AND location_id = ? AND (lot_no = ? OR (lot_no IS NULL AND ? IS NULL))
       AND reserved_quantity + ? >= ${-EPSILON}${availableFloor}${released} AND deleted_at IS NULL`,
    [
      change.available + change.reserved,
      change.available,
      change.reserved,
      nowForDb(),
      actor,
      tenant,
      change.itemId,
      change.locationId,
      change.lotNo,
      change.lotNo,
      change.reserved,
      ...(change.allowNegative ? [] : [change.available]),
      ...blocked,
    ],
  );
  return result.affected === 1;
}

/** The live balance's status, or undefined when there is no live balance. */
export async function liveBalance(
  tx: SqlExecutor,
  model: Model,
  tenant: string,
  key: BalanceKey,
): Promise<{ status: string } | undefined> {
  const rows = await tx.query<{ status: string }>(
    `SELECT status FROM ${table(tx, model)} WHERE tenant_id = ? AND item_id = ? AND location_id = ?
       AND (lot_no = ? OR (lot_no IS NULL AND ? IS NULL)) AND deleted_at IS NULL`,
    [tenant, key.itemId, key.locationId, key.lotNo, key.lotNo],
  );
  return rows[0];
}
