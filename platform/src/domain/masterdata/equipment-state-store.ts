import type { Model } from '../../../../metadata/src/model';
import type { SqlExecutor } from '../../data/database';
import { fromDbValue } from '../../data/values';
import { runtimeOf } from '../../kernel/model-runtime';

/** A period of an equipment's state history that has not ended yet. */
export interface OpenState {
  id: number;
  /** ISO instant. */
  startTime: string;
}

/**
 * The equipment's periods without an end, in the write's transaction (normally one: the state it is
 * in). Read here because the record-change path reads records by id only.
 */
export async function openStates(
  tx: SqlExecutor,
  model: Model,
  tenant: string,
  equipmentId: number,
): Promise<OpenState[]> {
  const entity = runtimeOf(model).entity('equipment_state').entity;
  const rows = await tx.query<{ id: number; start_time: unknown }>(
    `SELECT id, start_time FROM ${tx.dialect.quote(entity.table)}
      WHERE tenant_id = ? AND equipment_id = ? AND end_time IS NULL AND deleted_at IS NULL ORDER BY start_time, id`,
    [tenant, equipmentId],
  );
  return rows.map((row) => ({
    id: Number(row.id),
    startTime: String(fromDbValue('datetime', row.start_time)),
  }));
}
