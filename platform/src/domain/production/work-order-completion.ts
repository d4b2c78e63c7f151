import type { EntityService } from '../../crud/entity.service';
import { engineContext } from '../../crud/request-context';
import type { TransitionHook, TransitionHookArgs } from '../../workflow/workflow.service';
import { lotsWithGoodOutput } from './production-store';

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
  const received = await lotsWithGoodOutput(tx, ctx.model, ctx.tenantId, after.id);
  const item = await records.getIn(tx, 'item_master', after.itemId as number, engineContext(ctx, actorId));
  const unitCost = Number(item.unitCost ?? 0);
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
