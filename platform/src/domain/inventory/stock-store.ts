import type { Model } from '../../../../metadata/src/model';
import type { SqlExecutor } from '../../data/database';

/** The reads that decide the status of stock when it first arrives at a location. */

function table(tx: SqlExecutor, model: Model, entity: string): string {
  return tx.dialect.quote(model.entities.get(entity)!.table);
}

/** Whether the item is inspected on receipt: it has an active IQC inspection plan. */
export async function inspectedOnReceipt(
  tx: SqlExecutor,
  model: Model,
  tenant: string,
  itemId: number,
): Promise<boolean> {
  if (!model.entities.has('inspection_plan')) return false;
  const rows = await tx.query(
    `SELECT 1 AS hit FROM ${table(tx, model, 'inspection_plan')}
      WHERE tenant_id = ? AND item_id = ? AND inspection_type = 'IQC' AND status = 'ACTIVE' AND deleted_at IS NULL LIMIT 1`,
    [tenant, itemId],
  );
  return rows.length > 0;
}

/** Whether an IQC inspection of the receipt has passed. */
export async function receiptPassedIqc(
  tx: SqlExecutor,
  model: Model,
  tenant: string,
  grnNo: string,
): Promise<boolean> {
  if (!model.entities.has('inspection')) return false;
  const rows = await tx.query(
    `SELECT 1 AS hit FROM ${table(tx, model, 'inspection')}
      WHERE tenant_id = ? AND inspection_type = 'IQC' AND ref_type = 'GRN' AND ref_id = ? AND result = 'PASS'
        AND status = 'COMPLETED' AND deleted_at IS NULL LIMIT 1`,
    [tenant, grnNo],
  );
  return rows.length > 0;
}
