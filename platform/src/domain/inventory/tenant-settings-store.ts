import type { Model } from '../../../../metadata/src/model';
import type { SqlExecutor } from '../../data/database';

/**
 * The stored value of a tenant's system setting (`sys_config`), read in the caller's transaction;
 * undefined when the key is absent or the Model has no settings entity.
 */
export async function storedSetting(
  tx: SqlExecutor,
  model: Model,
  tenant: string,
  key: string,
): Promise<unknown> {
  const config = model.entities.get('sys_config');
  const keyColumn = config?.fieldsByName.get('config_key')?.column;
  const valueColumn = config?.fieldsByName.get('config_value')?.column;
  if (!config || !keyColumn || !valueColumn) return undefined;
  const q = tx.dialect.quote;
  const tenantFilter = config.tenantScoped ? ` AND ${q('tenant_id')} = ?` : '';
  const live = config.softDelete ? ` AND ${q('deleted_at')} IS NULL` : '';
  const rows = await tx.query<{ value: unknown }>(
    `SELECT ${q(valueColumn)} AS value FROM ${q(config.table)} WHERE ${q(keyColumn)} = ?${tenantFilter}${live}`,
    config.tenantScoped ? [key, tenant] : [key],
  );
  return rows[0]?.value;
}
