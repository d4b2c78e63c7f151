import { BusinessRuleError } from '../../crud/errors';
import { engineContext } from '../../crud/request-context';
import type { EntityRecord } from '../../crud/types';
import type { TransitionHook, TransitionHookArgs } from '../../workflow/workflow.service';

/** More serials than this in one lot is a planning error, not a work order. */
export const MAX_SERIALS_PER_RELEASE = 10_000;

/**
 * Releasing a work order creates its production lot (`LOT-YYYYMMDD-SEQ`) for the planned quantity
 * through the record-change path (its hook writes the genealogy edge WO → LOT), announced as
 * `production_lot.created`.
 * The serials of a serial-tracked item are not created yet: they are released with the lot once its
 * first article passed (`lotStartReleasesSerials`). A serial-tracked order needs a whole quantity.
 */
export const releaseCreatesLot: TransitionHook = {
  entity: 'work_order',
  action: 'release',
  run: createLot,
};

/**
 * Starting mass production of a lot — allowed only after its first-article inspection passed (the
 * transition's guard) — releases one serial per unit (`SN-<lot>-SEQ`) when the item is
 * serial-tracked, each through the record-change path (its hook writes the edge LOT → SN), announced
 * as `serial_number.created`.
 */
export const lotStartReleasesSerials: TransitionHook = {
  entity: 'production_lot',
  action: 'start',
  run: createSerials,
};

async function createLot(hook: TransitionHookArgs): Promise<void> {
  const { tx, ctx, after, actorId, records } = hook;
  const quantity = Number(after.plannedQuantity);
  const engine = engineContext(ctx, actorId);
  if (await isSerialized(hook, engine, after.itemId as number))
    assertSerialQuantity(quantity, 'plannedQuantity');
  const woNo = String(after.woNo);
  await records.createIn(
    tx,
    'production_lot',
    { workOrderId: after.id, itemId: after.itemId, lotQuantity: quantity },
    engine,
    {
      announce: (record) => ({
        id: record.id,
        lot_no: record.lotNo,
        wo_no: woNo,
        item_id: after.itemId,
        lot_quantity: quantity,
      }),
    },
  );
}

async function createSerials(hook: TransitionHookArgs): Promise<void> {
  const { tx, ctx, after, actorId, records } = hook;
  const engine = engineContext(ctx, actorId);
  if (!(await isSerialized(hook, engine, after.itemId as number))) return;
  const quantity = Number(after.lotQuantity);
  assertSerialQuantity(quantity, 'lotQuantity');
  const lotNo = String(after.lotNo);
  const order = await records.getIn(tx, 'work_order', after.workOrderId as number, engine);
  const body = { lotId: after.id, itemId: after.itemId, workOrderId: after.workOrderId };
  await records.createManyIn(
    tx,
    'serial_number',
    Array.from({ length: quantity }, () => body),
    engine,
    {
      announce: (record) => ({
        id: record.id,
        sn: record.sn,
        lot_no: lotNo,
        wo_no: order.woNo,
        item_id: after.itemId,
      }),
    },
  );
}

async function isSerialized(
  { tx, records }: TransitionHookArgs,
  ctx: TransitionHookArgs['ctx'],
  itemId: number,
): Promise<boolean> {
  const item: EntityRecord = await records.getIn(tx, 'item_master', itemId, ctx);
  return item.serialized === true;
}

function assertSerialQuantity(quantity: number, field: string): void {
  if (Number.isInteger(quantity) && quantity <= MAX_SERIALS_PER_RELEASE) return;
  throw new BusinessRuleError(
    `A serial-tracked lot needs a whole quantity of at most ${MAX_SERIALS_PER_RELEASE}; got ${quantity}`,
    { rule: 'serials', field },
  );
}
