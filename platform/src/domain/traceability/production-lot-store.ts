import type { Model } from '../../../../metadata/src/model';
import type { SqlExecutor } from '../../data/database';

/**
 * Whether the tenant has a production lot with this number (deleted lots included: their numbers
 * stay ours); false when the Model has no production lots.
 */
export async function productionLotNumberExists(
  tx: SqlExecutor,
  model: Model,
  tenant: string,
  lotNo: string,
): Promise<boolean> {
  const compiled = model.entities.get('production_lot');
  const column = compiled?.fieldsByName.get('lot_no')?.column;
  if (!compiled || !column) return false;
  const q = tx.dialect.quote;
  const rows = await tx.query(
    `SELECT 1 AS hit FROM ${q(compiled.table)} WHERE tenant_id = ? AND ${q(column)} = ? LIMIT 1`,
    [tenant, lotNo],
  );
  return rows.length > 0;
}
