import { column, table, type QualityRead } from './quality-records';

/**
 * The live ACTIVE inspection plans for the item and inspection type in force on `day` (YYYY-MM-DD)
 * that apply to the supplier (plans for any supplier included), newest first, with each plan's
 * supplier (null: any).
 */
export function plansInForce(
  write: QualityRead,
  on: { itemId: unknown; inspectionType: string; supplierId: number | null; day: string },
): Promise<{ id: number | string; supplier: number | string | null }[]> {
  const col = (field: string) => column(write, 'inspection_plan', field);
  return write.tx.query<{ id: number | string; supplier: number | string | null }>(
    `SELECT id, ${col('supplier')} AS supplier FROM ${table(write, 'inspection_plan')}
     WHERE tenant_id = ? AND deleted_at IS NULL AND ${col('item')} = ? AND ${col('inspection_type')} = ?
       AND ${col('status')} = 'ACTIVE'
       AND (${col('effective_from')} IS NULL OR ${col('effective_from')} <= ?)
       AND (${col('effective_to')} IS NULL OR ${col('effective_to')} >= ?)
       AND (${col('supplier')} IS NULL OR ${col('supplier')} = ?)
     ORDER BY id DESC`,
    [write.ctx.tenantId, on.itemId, on.inspectionType, on.day, on.day, on.supplierId],
  );
}
