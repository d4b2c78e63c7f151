import type { EntityHooks } from '../../generated/domain-hooks';
import { createEnvelope } from '../../events/envelope';
import { writeOutbox } from '../../events/outbox';
import { nodeKey, writeGenealogy, type GenealogyEdge } from '../../trace/genealogy';
import { businessKeyOf, isProductionLot } from '../traceability/genealogy-links';
import { applyStockMovement, assertValidMovement } from './stock-balance';

const CONSUMPTIONS = new Set(['ISSUE', 'CONSUME']);

/**
 * Every stock movement is checked (positive quantity, transfers go elsewhere) and updates the
 * balances atomically (stock-balance.ts). Movements that move material along the genealogy write
 * their edges, in the same transaction: a receipt against a GRN creates the supplier lot
 * (GRN → SLOT), an issue or consumption to a work order puts the lot into it (SLOT or LOT → WO) and
 * announces `material.consumption` (DOMAIN.md §10).
 */
export const hooks: EntityHooks = {
  before: {
    create: ({ body }) => assertValidMovement(body),
  },
  inTransaction: {
    create: async ({ tx, ctx, record, records }) => {
      await applyStockMovement(tx, ctx, record, records);
      const lotNo = typeof record.lotNo === 'string' && record.lotNo !== '' ? record.lotNo : null;
      if (!lotNo) return;
      const edges: GenealogyEdge[] = [];
      const ref = { refType: 'stock_transaction', refId: String(record.transactionNo ?? record.id) };
      if (
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
        const woNo = await businessKeyOf(tx, ctx, 'work_order', record.workOrderId);
        if (woNo) {
          const kind = (await isProductionLot(tx, ctx, lotNo)) ? 'LOT' : 'SLOT';
          edges.push({
            from: nodeKey(kind, lotNo),
            to: nodeKey('WO', woNo),
            relation: 'CONSUMED',
            quantity: Number(record.quantity),
            ...ref,
          });
          await writeOutbox(tx, ctx.model, [
            createEnvelope({
              type: 'material.consumption',
              tenant: ctx.tenantId,
              actor: ctx.userId,
              traceId: ctx.traceId,
              entity: 'stock_transaction',
              entityId: record.id as number,
              payload: {
                transaction_no: record.transactionNo ?? null,
                lot_no: lotNo,
                lot_kind: kind,
                item_id: record.itemId,
                wo_no: woNo,
                qty_used: Number(record.quantity),
                unit_cost: record.unitCost ?? null,
                from_location_id: record.fromLocationId ?? null,
              },
            }),
          ]);
        }
      }
      await writeGenealogy(tx, ctx.tenantId, edges);
    },
  },
};
