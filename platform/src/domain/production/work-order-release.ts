import { BusinessRuleError } from '../../crud/errors';
import { EntityWriter } from '../../crud/entity-writer';
import type { EntityRecord } from '../../crud/types';
import { RowStore } from '../../data/row-store';
import { createEnvelope } from '../../events/envelope';
import { writeOutbox } from '../../events/outbox';
import { runtimeOf } from '../../kernel/model-runtime';
import { nodeKey, writeGenealogy } from '../../trace/genealogy';
import type { TransitionHook, TransitionHookArgs } from '../../workflow/workflow.service';

/** More serials than this in one release is a planning error, not a work order. */
export const MAX_SERIALS_PER_RELEASE = 10_000;

/**
 * Releasing a work order creates its production lot (`LOT-YYYYMMDD-SEQ`) for the planned quantity and,
 * when the item is serial-number tracked, one serial per unit (`SN-<lot>-SEQ`), in the release
 * transaction, with their genealogy edges (WO → LOT → SN) and events (`production_lot.created`,
 * `serial_number.created`, DOMAIN.md §10 `batch.created` / `sn.generated`).
 */
export const releaseCreatesLotAndSerials: TransitionHook = {
  entity: 'work_order',
  action: 'release',
  run: createLotAndSerials,
};

async function createLotAndSerials({ tx, ctx, after, actorId }: TransitionHookArgs): Promise<void> {
  const runtime = runtimeOf(ctx.model);
  const writer = new EntityWriter(tx, { ...ctx, userId: actorId });
  const store = new RowStore(ctx.tenantId);
  const quantity = Number(after.plannedQuantity);
  const itemId = after.itemId as number;
  const [item] = await store.byIds(tx, runtime.entity('item_master').entity, [itemId], true);
  const serialized = Boolean(Number(item?.serialized ?? 0));
  if (serialized && (!Number.isInteger(quantity) || quantity > MAX_SERIALS_PER_RELEASE)) {
    throw new BusinessRuleError(
      `A serial-tracked work order needs a whole planned quantity of at most ${MAX_SERIALS_PER_RELEASE}; got ${quantity}`,
      { rule: 'serials', field: 'plannedQuantity' },
    );
  }

  const lotRuntime = runtime.entity('production_lot');
  const [lotId] = await writer.insert(lotRuntime, [{ workOrderId: after.id, itemId, lotQuantity: quantity }]);
  const [lot] = await store.byIds(tx, lotRuntime.entity, [lotId!], true);
  const lotNo = String(lot!.lot_no);
  const woNo = String(after.woNo);
  const events = [
    event(ctx.tenantId, actorId, ctx.traceId, 'production_lot.created', 'production_lot', lotId!, {
      lot_no: lotNo,
      wo_no: woNo,
      item_id: itemId,
      lot_quantity: quantity,
    }),
  ];
  const edges = [{ from: nodeKey('WO', woNo), to: nodeKey('LOT', lotNo), relation: 'PRODUCED', quantity }];

  if (serialized) {
    const serialRuntime = runtime.entity('serial_number');
    const bodies: EntityRecord[] = Array.from({ length: quantity }, () => ({
      lotId,
      itemId,
      workOrderId: after.id,
    }));
    const serialIds = await writer.insert(serialRuntime, bodies);
    const serials = await store.byIds(tx, serialRuntime.entity, serialIds, true);
    for (const serial of serials) {
      const sn = String(serial.sn);
      edges.push({ from: nodeKey('LOT', lotNo), to: nodeKey('SN', sn), relation: 'PRODUCED', quantity: 1 });
      events.push(
        event(
          ctx.tenantId,
          actorId,
          ctx.traceId,
          'serial_number.created',
          'serial_number',
          Number(serial.id),
          {
            sn,
            lot_no: lotNo,
            wo_no: woNo,
            item_id: itemId,
          },
        ),
      );
    }
  }
  await writeGenealogy(tx, ctx.tenantId, edges);
  await writeOutbox(tx, ctx.model, events);
}

function event(
  tenant: string,
  actor: string,
  traceId: string,
  type: string,
  entity: string,
  entityId: number,
  payload: Record<string, unknown>,
) {
  return createEnvelope({ type, tenant, actor, traceId, entity, entityId, payload });
}
