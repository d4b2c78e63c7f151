import { runtimeOf } from '../../kernel/model-runtime';
import { column, table, type QualityWrite } from './quality-records';

/** What a re-inspection after rework refers to: a serial (SN), a production lot (LOT) or a supplier lot received on a GRN. */
export type ReinspectedTarget =
  { kind: 'SN'; sn: string } | { kind: 'LOT'; lotNo: string } | { kind: 'SUPPLIER_LOT'; lotNo: string };

/**
 * Whether the target passed (PASS or SPECIAL) a completed live inspection of its own opened after
 * the inspection `afterInspectionId` (ids grow with time).
 */
export async function passedInspectionAfter(
  write: QualityWrite,
  target: ReinspectedTarget,
  afterInspectionId: number,
): Promise<boolean> {
  const i = (field: string) => column(write, 'inspection', field);
  const reference =
    target.kind === 'SN'
      ? { where: `${i('ref_type')} = 'SN' AND ${i('ref_id')} = ?`, key: target.sn }
      : target.kind === 'LOT'
        ? { where: `${i('ref_type')} = 'LOT' AND ${i('ref_id')} = ?`, key: target.lotNo }
        : { where: `${i('ref_type')} = 'GRN' AND ${i('supplier_lot')} = ?`, key: target.lotNo };
  const live = runtimeOf(write.ctx.model).entity('inspection').entity.softDelete
    ? ' AND deleted_at IS NULL'
    : '';
  const rows = await write.tx.query<{ id: number | string }>(
    `SELECT id FROM ${table(write, 'inspection')} WHERE tenant_id = ?${live}
       AND (${reference.where} AND id > ? AND ${i('status')} = 'COMPLETED' AND ${i('result')} IN ('PASS', 'SPECIAL'))
     ORDER BY id`,
    [write.ctx.tenantId, reference.key, afterInspectionId],
  );
  return rows.length > 0;
}
