import type { Model } from '../../../../metadata/src/model';
import type { SqlExecutor } from '../../data/database';

/** The reads a serial's tests and steps make: earlier attempts and the shift at a time of day. */

function table(tx: SqlExecutor, model: Model, entity: string): string {
  return tx.dialect.quote(model.entities.get(entity)!.table);
}

export async function testsOfSerial(
  tx: SqlExecutor,
  model: Model,
  tenant: string,
  serialId: unknown,
): Promise<number> {
  const [row] = await tx.query<{ n: number | string }>(
    `SELECT COUNT(*) AS n FROM ${table(tx, model, 'test_record')} WHERE tenant_id = ? AND serial_number_id = ?`,
    [tenant, serialId],
  );
  return Number(row?.n ?? 0);
}

export interface ShiftRow {
  id: number;
  shift_code: string;
  start_time: string;
  end_time: string;
  crosses_midnight: number | boolean;
}

export async function activeShifts(tx: SqlExecutor, model: Model, tenant: string): Promise<ShiftRow[]> {
  return tx.query<ShiftRow>(
    `SELECT id, shift_code, start_time, end_time, crosses_midnight FROM ${table(tx, model, 'shift')}
      WHERE tenant_id = ? AND status = 'ACTIVE' AND deleted_at IS NULL ORDER BY start_time`,
    [tenant],
  );
}
