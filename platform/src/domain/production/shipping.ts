import { BusinessRuleError } from '../../crud/errors';
import type { RecordChanges } from '../../crud/hooks';
import { engineContext } from '../../crud/request-context';
import type { RequestContext } from '../../crud/types';
import type { SqlExecutor } from '../../data/database';
import { nodeKey, writeGenealogy, type GenealogyEdge } from '../../trace/genealogy';
import type { TransitionHook } from '../../workflow/workflow.service';
import { idByNumber } from '../traceability/packing-store';
import { boxesOfShipment, boxesOnPallet, palletsOfShipment, type ShippedBox } from './shipping-store';

/**
 * Outgoing quality and shipping: an OQC inspection of a box marks the box with its
 * verdict, one of a pallet every box on it; only OQC-passed boxes (alone or on a pallet) go on a shipment, whose box, pallet and
 * quantity totals follow them; shipping marks its boxes and pallets SHIPPED and joins them to the
 * shipment in the genealogy. Every change goes through the record-change path.
 */
export const oqcMarksBox: TransitionHook = {
  entity: 'inspection',
  action: '*',
  run: async ({ tx, ctx, action, after, records }) => {
    if (after.inspectionType !== 'OQC' || (action !== 'pass' && action !== 'fail')) return;
    const verdict = { oqcResult: action === 'pass' ? 'PASS' : 'FAIL' };
    if (after.refType === 'BOX') {
      const box = await idByNumber(tx, ctx.model, ctx.tenantId, 'box', after.refId);
      if (box !== null) await records.updateIn(tx, 'box', box, verdict, engineContext(ctx));
    }
    if (after.refType === 'PLT') {
      const pallet = await idByNumber(tx, ctx.model, ctx.tenantId, 'pallet', after.refId);
      if (pallet === null) return;
      for (const box of await boxesOnPallet(tx, ctx.model, ctx.tenantId, pallet))
        await records.updateIn(tx, 'box', Number(box.id), verdict, engineContext(ctx));
    }
  },
};

export const shippingMarksContents: TransitionHook = {
  entity: 'shipment',
  action: 'ship',
  run: async ({ tx, ctx, after, records }) => {
    const engine = engineContext(ctx);
    const boxes = await boxesOfShipment(tx, ctx.model, ctx.tenantId, after.id);
    assertOqcPassed(boxes);
    const shipmentNode = nodeKey('SHP', String(after.shipmentNo));
    const edges: GenealogyEdge[] = [];
    const pallets = await palletsOfShipment(tx, ctx.model, ctx.tenantId, after.id);
    for (const pallet of pallets) {
      await records.updateIn(tx, 'pallet', Number(pallet.id), { status: 'SHIPPED' }, engine);
      edges.push({ from: nodeKey('PLT', pallet.pallet_no), to: shipmentNode, relation: 'SHIPPED' });
    }
    for (const box of boxes) {
      await records.updateIn(tx, 'box', Number(box.id), { status: 'SHIPPED' }, engine);
      if (box.pallet_id === null)
        edges.push({
          from: nodeKey('BOX', box.box_no),
          to: shipmentNode,
          relation: 'SHIPPED',
          quantity: Number(box.quantity),
        });
    }
    await writeGenealogy(tx, ctx.tenantId, edges);
  },
};

/** A box put on a shipment must have passed OQC; the shipment's totals follow. */
export async function boxShipmentChanged(
  tx: SqlExecutor,
  ctx: RequestContext,
  records: RecordChanges,
  shipmentIds: unknown[],
): Promise<void> {
  for (const shipmentId of new Set(shipmentIds.filter((id): id is number => typeof id === 'number'))) {
    const boxes = await boxesOfShipment(tx, ctx.model, ctx.tenantId, shipmentId);
    assertOqcPassed(boxes);
    const pallets = await palletsOfShipment(tx, ctx.model, ctx.tenantId, shipmentId);
    await records.updateIn(
      tx,
      'shipment',
      shipmentId,
      {
        totalBoxes: boxes.length,
        totalPallets: pallets.length,
        totalQuantity: boxes.reduce((sum, box) => sum + Number(box.quantity), 0),
      },
      engineContext(ctx),
    );
  }
}

/** A pallet put on a shipment takes its boxes along: each must have passed OQC. */
export async function palletBoxesPassed(
  tx: SqlExecutor,
  ctx: RequestContext,
  palletId: unknown,
): Promise<void> {
  assertOqcPassed(await boxesOnPallet(tx, ctx.model, ctx.tenantId, palletId));
}

function assertOqcPassed(boxes: ShippedBox[]): void {
  const pending = boxes.filter((box) => box.oqc_result !== 'PASS').map((box) => box.box_no);
  if (pending.length === 0) return;
  throw new BusinessRuleError(`Only OQC-passed boxes ship; not passed: ${pending.join(', ')}`, {
    rule: 'oqc-passed',
    errors: [
      {
        field: 'shipmentId',
        path: '/shipmentId',
        rule: 'oqc-passed',
        message: `boxes without a passed OQC: ${pending.join(', ')}`,
      },
    ],
  });
}
