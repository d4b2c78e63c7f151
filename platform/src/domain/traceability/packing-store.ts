import type { Model } from '../../../../metadata/src/model';
import type { SqlExecutor } from '../../data/database';

/** Looks a live record up by its business number (serial by `sn`, box by `box_no`, pallet by `pallet_no`). */
export async function idByNumber(
  tx: SqlExecutor,
  model: Model,
  tenant: string,
  entity: 'serial_number' | 'box' | 'pallet',
  value: unknown,
): Promise<number | null> {
  const compiled = model.entities.get(entity)!;
  const column = { serial_number: 'sn', box: 'box_no', pallet: 'pallet_no' }[entity];
  const q = tx.dialect.quote;
  const [row] = await tx.query<{ id: number | string }>(
    `SELECT id FROM ${q(compiled.table)} WHERE tenant_id = ? AND ${q(column)} = ? AND deleted_at IS NULL`,
    [tenant, value],
  );
  return row ? Number(row.id) : null;
}
