import type { Model } from '../../../../metadata/src/model';
import type { SqlExecutor } from '../../data/database';
import { runtimeOf } from '../../kernel/model-runtime';

/** The reads of the ABC analysis: consumption per item in a period, and the classes items hold. */

function table(tx: SqlExecutor, model: Model, entity: string): string {
  return tx.dialect.quote(runtimeOf(model).entity(entity).entity.table);
}

/**
 * The quantity each item moved out in the period by movements of `types` (`from` inclusive, `to`
 * exclusive, both stored datetimes), one row per item that moved.
 */
export function movedQuantityByItem(
  tx: SqlExecutor,
  model: Model,
  tenant: string,
  period: { types: readonly string[]; from: string; to: string },
): Promise<{ item_id: number; issued: number | string }[]> {
  return tx.query<{ item_id: number; issued: number | string }>(
    `SELECT item_id, SUM(quantity) AS issued FROM ${table(tx, model, 'stock_transaction')}
      WHERE tenant_id = ? AND transaction_type IN (${period.types.map(() => '?').join(', ')})
        AND occurred_at >= ? AND occurred_at < ?
      GROUP BY item_id`,
    [tenant, ...period.types, period.from, period.to],
  );
}

/** The stored class of every live item of the tenant, in id order. */
export function storedItemClasses(
  tx: SqlExecutor,
  model: Model,
  tenant: string,
): Promise<{ id: number | string; abc_class: string | null }[]> {
  return tx.query<{ id: number | string; abc_class: string | null }>(
    `SELECT id, abc_class FROM ${table(tx, model, 'item_master')} WHERE tenant_id = ? AND deleted_at IS NULL ORDER BY id`,
    [tenant],
  );
}

/** How many live items of the tenant hold each class. */
export function itemCountsByClass(
  tx: SqlExecutor,
  model: Model,
  tenant: string,
): Promise<{ abc_class: string | null; n: number | string }[]> {
  return tx.query<{ abc_class: string | null; n: number | string }>(
    `SELECT abc_class, COUNT(*) AS n FROM ${table(tx, model, 'item_master')} WHERE tenant_id = ? AND deleted_at IS NULL GROUP BY abc_class`,
    [tenant],
  );
}
