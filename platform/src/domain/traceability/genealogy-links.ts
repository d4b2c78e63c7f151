import type { RequestContext } from '../../crud/types';
import type { SqlExecutor } from '../../data/database';
import { RowStore } from '../../data/row-store';
import { productionLotNumberExists } from './production-lot-store';

/**
 * The business key (display field, e.g. `wo_no`, `lot_no`) of a related record, read in the write's
 * transaction; null when the id is missing or the row is not visible in the tenant.
 */
export async function businessKeyOf(
  tx: SqlExecutor,
  ctx: RequestContext,
  entity: string,
  id: unknown,
): Promise<string | null> {
  const compiled = ctx.model.entities.get(entity);
  if (!compiled || typeof id !== 'number') return null;
  const column = compiled.fieldsByName.get(compiled.display)?.column;
  if (!column) return null;
  const [row] = await new RowStore(ctx.tenantId).byIds(tx, compiled, [id], true);
  const value = row?.[column];
  return value === null || value === undefined ? null : String(value);
}

/** Whether a lot number is one of our production lots (else it is a supplier lot). */
export function isProductionLot(tx: SqlExecutor, ctx: RequestContext, lotNo: string): Promise<boolean> {
  return productionLotNumberExists(tx, ctx.model, ctx.tenantId, lotNo);
}
