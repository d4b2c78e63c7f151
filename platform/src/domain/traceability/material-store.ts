import type { Model } from '../../../../metadata/src/model';
import type { SqlExecutor } from '../../data/database';

/**
 * The reads a material consumption makes to record where the material came from (map_lot_material):
 * the production lot it went into, the receipt, IQC, supplier and mold of the material lot.
 */

function table(tx: SqlExecutor, model: Model, entity: string): string {
  return tx.dialect.quote(model.entities.get(entity)!.table);
}

export interface ConsumingLot {
  id: number;
  lot_no: string;
  work_order_id: number | string;
}

/** A live production lot by its number. */
export async function productionLotByNo(
  tx: SqlExecutor,
  model: Model,
  tenant: string,
  lotNo: string,
): Promise<ConsumingLot | null> {
  const [row] = await tx.query<ConsumingLot>(
    `SELECT id, lot_no, work_order_id FROM ${table(tx, model, 'production_lot')}
      WHERE tenant_id = ? AND lot_no = ? AND deleted_at IS NULL`,
    [tenant, lotNo],
  );
  return row ? { ...row, id: Number(row.id) } : null;
}

/** The work order's lot that material goes into: its first lot in progress, else its first open one. */
export async function consumingLotOfOrder(
  tx: SqlExecutor,
  model: Model,
  tenant: string,
  workOrderId: unknown,
): Promise<ConsumingLot | null> {
  const [row] = await tx.query<ConsumingLot>(
    `SELECT id, lot_no, work_order_id FROM ${table(tx, model, 'production_lot')}
      WHERE tenant_id = ? AND work_order_id = ? AND status NOT IN ('CANCELLED', 'COMPLETED') AND deleted_at IS NULL
      ORDER BY CASE WHEN status = 'IN_PROGRESS' THEN 0 ELSE 1 END, id LIMIT 1`,
    [tenant, workOrderId],
  );
  return row ? { ...row, id: Number(row.id) } : null;
}

export interface MaterialOrigin {
  grnNo: string | null;
  supplierId: number | null;
  iqcInspectionId: number | null;
  moldId: number | null;
}

/**
 * Where a material lot of an item came from: the GRN it was received on (its first receipt), the
 * latest IQC of that receipt or supplier lot (and its supplier, else the item's default supplier),
 * and the supplier's mold for the item when it has exactly one that is not retired.
 */
export async function materialOrigin(
  tx: SqlExecutor,
  model: Model,
  tenant: string,
  itemId: unknown,
  lotNo: string,
): Promise<MaterialOrigin> {
  const [receipt] = await tx.query<{ reference_id: string }>(
    `SELECT reference_id FROM ${table(tx, model, 'stock_transaction')}
      WHERE tenant_id = ? AND item_id = ? AND lot_no = ? AND transaction_type = 'IN' AND reference_type = 'GRN'
      ORDER BY id LIMIT 1`,
    [tenant, itemId, lotNo],
  );
  const grnNo = receipt?.reference_id ?? null;
  const [iqc] = await tx.query<{ id: number | string; supplier_id: number | string | null }>(
    `SELECT id, supplier_id FROM ${table(tx, model, 'inspection')}
      WHERE tenant_id = ? AND inspection_type = 'IQC' AND deleted_at IS NULL AND status <> 'CANCELLED'
        AND ((ref_type = 'GRN' AND ref_id = ?) OR (supplier_lot = ? AND (item_id = ? OR item_id IS NULL)))
      ORDER BY id DESC LIMIT 1`,
    [tenant, grnNo ?? '', lotNo, itemId],
  );
  let supplierId = iqc?.supplier_id == null ? null : Number(iqc.supplier_id);
  if (supplierId === null) {
    const [item] = await tx.query<{ default_supplier_id: number | string | null }>(
      `SELECT default_supplier_id FROM ${table(tx, model, 'item_master')} WHERE tenant_id = ? AND id = ?`,
      [tenant, itemId],
    );
    supplierId = item?.default_supplier_id == null ? null : Number(item.default_supplier_id);
  }
  let moldId: number | null = null;
  if (supplierId !== null) {
    const molds = await tx.query<{ id: number | string }>(
      `SELECT id FROM ${table(tx, model, 'mold_master')}
        WHERE tenant_id = ? AND supplier_id = ? AND item_id = ? AND status <> 'RETIRED' AND deleted_at IS NULL LIMIT 2`,
      [tenant, supplierId, itemId],
    );
    if (molds.length === 1) moldId = Number(molds[0]!.id);
  }
  return { grnNo, supplierId, iqcInspectionId: iqc ? Number(iqc.id) : null, moldId };
}
