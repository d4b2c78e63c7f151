import { ValidationError } from '../../crud/errors';
import type { RecordChanges } from '../../crud/hooks';
import { engineContext } from '../../crud/request-context';
import type { EntityRecord, RequestContext } from '../../crud/types';
import type { SqlExecutor } from '../../data/database';
import type { EntityHooks } from '../../generated/domain-hooks';
import { createEnvelope } from '../../events/envelope';
import { writeOutbox } from '../../events/outbox';
import { nodeKey, writeGenealogy, type GenealogyEdge } from '../../trace/genealogy';
import { businessKeyOf, isProductionLot } from '../traceability/genealogy-links';
import {
  consumingLotOfOrder,
  materialOrigin,
  productionLotByNo,
  type ConsumingLot,
} from '../traceability/material-store';
import { applyStockMovement, assertValidMovement } from './stock-balance';

const CONSUMPTIONS = new Set(['ISSUE', 'CONSUME']);

/**
 * Every stock movement is checked (positive quantity, transfers go elsewhere) and updates the
 * balances atomically (stock-balance.ts). Movements that move material along the genealogy write
 * their edges, in the same transaction: a receipt against a GRN creates the supplier lot
 * (GRN → SLOT); an issue or consumption to a work order puts the lot into it (SLOT or LOT → WO) and
 * into the production lot it feeds (the lot named by `referenceType LOT`, else the order's lot in
 * progress): `SLOT → LOT` and a `map_lot_material` row with the material's GRN, supplier, IQC and
 * mold, which announces `material.consumption`.
 */
export const hooks: EntityHooks = {
  before: {
    create: ({ body }) => assertValidMovement(body),
  },
  inTransaction: {
    create: async ({ tx, ctx, record, records }) => {
      await applyStockMovement(tx, ctx, record, records);
      const lotNo = typeof record.lotNo === 'string' && record.lotNo !== '' ? record.lotNo : null;
      const edges: GenealogyEdge[] = [];
      const ref = { refType: 'stock_transaction', refId: String(record.transactionNo ?? record.id) };
      if (
        lotNo &&
        record.transactionType === 'IN' &&
        record.referenceType === 'GRN' &&
        typeof record.referenceId === 'string'
      ) {
        edges.push({
          from: nodeKey('GRN', record.referenceId),
          to: nodeKey('SLOT', lotNo),
          relation: 'RECEIVED',
          quantity: Number(record.quantity),
          ...ref,
        });
      }
      if (CONSUMPTIONS.has(String(record.transactionType))) {
        const target = await consumingLot(tx, ctx, record);
        const woNo =
          (await businessKeyOf(tx, ctx, 'work_order', record.workOrderId)) ??
          (target ? await businessKeyOf(tx, ctx, 'work_order', Number(target.work_order_id)) : null);
        if (lotNo && (woNo || target)) {
          const kind = (await isProductionLot(tx, ctx, lotNo)) ? 'LOT' : 'SLOT';
          const quantity = Number(record.quantity);
          if (woNo)
            edges.push({
              from: nodeKey(kind, lotNo),
              to: nodeKey('WO', woNo),
              relation: 'CONSUMED',
              quantity,
              ...ref,
            });
          if (target && target.lot_no !== lotNo)
            edges.push({
              from: nodeKey(kind, lotNo),
              to: nodeKey('LOT', target.lot_no),
              relation: 'CONSUMED',
              quantity,
              ...ref,
            });
          await recordConsumption(tx, ctx, records, record, { lotNo, kind, woNo, target });
        }
      }
      await writeGenealogy(tx, ctx.tenantId, edges);
    },
  },
};

/**
 * The production lot a consumption feeds: the one named by `referenceType LOT` (it must exist and
 * belong to the work order, when one is given), else the work order's lot in progress.
 */
async function consumingLot(
  tx: SqlExecutor,
  ctx: RequestContext,
  record: EntityRecord,
): Promise<ConsumingLot | null> {
  if (record.referenceType === 'LOT' && typeof record.referenceId === 'string') {
    const lot = await productionLotByNo(tx, ctx.model, ctx.tenantId, record.referenceId);
    const belongs =
      lot !== null &&
      (typeof record.workOrderId !== 'number' || Number(lot.work_order_id) === record.workOrderId);
    if (!belongs) {
      throw new ValidationError([
        {
          field: 'referenceId',
          path: '/referenceId',
          rule: 'exists',
          message:
            lot === null
              ? `Production lot '${record.referenceId}' does not exist`
              : `Production lot '${record.referenceId}' is not a lot of the work order`,
        },
      ]);
    }
    return lot;
  }
  if (typeof record.workOrderId !== 'number') return null;
  return consumingLotOfOrder(tx, ctx.model, ctx.tenantId, record.workOrderId);
}

/**
 * The consumption's record: a `map_lot_material` row (through the record-change path, so audited)
 * when the production lot is known, which announces `material.consumption`; else the event alone.
 */
async function recordConsumption(
  tx: SqlExecutor,
  ctx: RequestContext,
  records: RecordChanges,
  record: EntityRecord,
  consumption: { lotNo: string; kind: string; woNo: string | null; target: ConsumingLot | null },
): Promise<void> {
  const origin =
    consumption.kind === 'SLOT'
      ? await materialOrigin(tx, ctx.model, ctx.tenantId, record.itemId, consumption.lotNo)
      : { grnNo: null, supplierId: null, iqcInspectionId: null, moldId: null };
  const payload = (lot: ConsumingLot | null, mapId: unknown) => ({
    transaction_no: record.transactionNo ?? null,
    map_lot_material_id: mapId,
    lot_id: lot?.id ?? null,
    production_lot_no: lot?.lot_no ?? null,
    lot_no: consumption.lotNo,
    lot_kind: consumption.kind,
    item_id: record.itemId,
    supplier_id: origin.supplierId,
    grn_no: origin.grnNo,
    mold_id: origin.moldId,
    iqc_inspection_id: origin.iqcInspectionId,
    wo_no: consumption.woNo,
    qty_used: Number(record.quantity),
    unit_cost: record.unitCost ?? null,
    station_id: null,
    from_location_id: record.fromLocationId ?? null,
  });
  const lot = consumption.target;
  if (lot) {
    await records.createIn(
      tx,
      'map_lot_material',
      {
        lotId: lot.id,
        itemId: record.itemId,
        materialLotNo: consumption.lotNo,
        supplierId: origin.supplierId,
        grnNo: origin.grnNo,
        moldId: origin.moldId,
        iqcInspectionId: origin.iqcInspectionId,
        qtyUsed: Number(record.quantity),
        unitCost: record.unitCost ?? null,
        consumedAt: record.occurredAt,
      },
      engineContext(ctx),
      { announce: (row) => payload(lot, row.id) },
    );
    return;
  }
  await writeOutbox(tx, ctx.model, [
    createEnvelope({
      type: 'material.consumption',
      tenant: ctx.tenantId,
      actor: ctx.userId,
      traceId: ctx.traceId,
      entity: 'stock_transaction',
      entityId: record.id as number,
      payload: payload(null, null),
    }),
  ]);
}
