import type { Model } from '../../../../metadata/src/model';
import type { SqlExecutor } from '../../data/database';
import { runtimeOf } from '../../kernel/model-runtime';

/**
 * The lookup of a stock balance (one `stock` row per item, lot and location); the balance changes
 * through the record-change path (stock-balance.ts).
 */

/** One item and lot (null: none) at one location. */
export interface BalanceKey {
  itemId: number;
  lotNo: string | null;
  locationId: number;
}

function table(tx: SqlExecutor, model: Model): string {
  return tx.dialect.quote(runtimeOf(model).entity('stock').entity.table);
}

/** The live balance's id, or undefined when there is no live balance. */
export async function liveBalanceId(
  tx: SqlExecutor,
  model: Model,
  tenant: string,
  key: BalanceKey,
): Promise<number | undefined> {
  const rows = await tx.query<{ id: number }>(
    `SELECT id FROM ${table(tx, model)} WHERE tenant_id = ? AND item_id = ? AND location_id = ?
       AND (lot_no = ? OR (lot_no IS NULL AND ? IS NULL)) AND deleted_at IS NULL`,
    [tenant, key.itemId, key.locationId, key.lotNo, key.lotNo],
  );
  return rows[0] === undefined ? undefined : Number(rows[0].id);
}
