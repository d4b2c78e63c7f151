import type { RequestContext, SqlExecutor } from '../../../platform/src/plugins/plugin-api';
import { sqlNames } from './records';

/**
 * The quantities of a purchase order line as its receipts stand in the caller's transaction (so
 * lines accepted in it count): what was ordered, and the accepted quantity of its ACCEPTED receipt
 * lines.
 */
export async function orderLineReceipt(
  tx: SqlExecutor,
  ctx: RequestContext,
  orderLineId: number,
): Promise<{ ordered: unknown; accepted: unknown }> {
  const receiptLine = sqlNames(tx, ctx, 'goods_receipt_line');
  const orderLine = sqlNames(tx, ctx, 'purchase_order_line');
  const [sum] = await tx.query<{ accepted: unknown }>(
    `SELECT COALESCE(SUM(${receiptLine.column('accepted_quantity')}), 0) AS accepted FROM ${receiptLine.table}
     WHERE ${receiptLine.column('po_line')} = ? AND ${receiptLine.column('status')} = 'ACCEPTED'
       AND tenant_id = ? AND deleted_at IS NULL`,
    [orderLineId, ctx.tenantId],
  );
  const [line] = await tx.query<{ ordered: unknown }>(
    `SELECT ${orderLine.column('quantity')} AS ordered FROM ${orderLine.table} WHERE id = ? AND tenant_id = ?`,
    [orderLineId, ctx.tenantId],
  );
  return { ordered: line?.ordered, accepted: sum?.accepted };
}
