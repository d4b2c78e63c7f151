import type { EntityService } from '../../crud/entity.service';
import { engineContext } from '../../crud/request-context';
import { RowStore } from '../../data/row-store';
import { runtimeOf } from '../../kernel/model-runtime';
import type { TransitionHook, TransitionHookArgs } from '../../workflow/workflow.service';

/**
 * Completing a work order receives its finished goods into stock: one PRODUCTION_RECEIPT stock
 * transaction per lot for the lot's good quantity, into the order's `receipt_location` (required by
 * the transition), created through the record-change path (`records`), so the balance, the outbox
 * event and the audit record are written in the completion's transaction — a refused receipt (e.g.
 * an inactive location) leaves the order in progress.
 */
export function completionReceivesFinishedGoods(records: EntityService): TransitionHook {
  return {
    entity: 'work_order',
    action: 'complete',
    run: (args) => receiveFinishedGoods(records, args),
  };
}

async function receiveFinishedGoods(
  records: EntityService,
  { tx, ctx, after, actorId }: TransitionHookArgs,
): Promise<void> {
  const runtime = runtimeOf(ctx.model);
  const lots = runtime.entity('production_lot').entity;
  const q = tx.dialect.quote;
  const received = await tx.query<{ lot_no: string; good_quantity: number | string }>(
    `SELECT lot_no, good_quantity FROM ${q(lots.table)}
      WHERE tenant_id = ? AND work_order_id = ? AND good_quantity > 0 AND deleted_at IS NULL ORDER BY id`,
    [ctx.tenantId, after.id],
  );
  const [item] = await new RowStore(ctx.tenantId).byIds(
    tx,
    runtime.entity('item_master').entity,
    [after.itemId as number],
    true,
  );
  const unitCost = Number(item?.unit_cost ?? 0);
  const occurredAt = new Date().toISOString();
  for (const lot of received) {
    const quantity = Number(lot.good_quantity);
    await records.createIn(
      tx,
      'stock_transaction',
      {
        transactionType: 'PRODUCTION_RECEIPT',
        itemId: after.itemId,
        lotNo: lot.lot_no,
        toLocationId: after.receiptLocationId,
        quantity,
        unitCost,
        totalCost: Math.round(quantity * unitCost * 100) / 100,
        referenceType: 'WO',
        referenceId: String(after.woNo),
        workOrderId: after.id,
        occurredAt,
      },
      engineContext(ctx, actorId),
    );
  }
}
