import { column, table, type QualityWrite } from './quality-records';

/** The reads of quality holds: what an NCR holds, the holds on lots and serials, and what they guard. */

export interface HoldRow {
  id: number | string;
  hold_type: string;
  lot_no: string;
  serial_id: number | string | null;
}

/** The NCR's live holds in `status`, in id order. */
export function holdsOfNcr(write: QualityWrite, ncrId: number, status: string): Promise<HoldRow[]> {
  const h = (field: string) => column(write, 'quality_hold', field);
  return write.tx.query<HoldRow>(
    `SELECT id, ${h('hold_type')} AS hold_type, ${h('lot_no')} AS lot_no, ${h('serial_number')} AS serial_id
     FROM ${table(write, 'quality_hold')}
     WHERE tenant_id = ? AND deleted_at IS NULL AND ${h('ncr')} = ? AND ${h('status')} = ? ORDER BY id`,
    [write.ctx.tenantId, ncrId, status],
  );
}

/**
 * The live ACTIVE holds on any of the lots (holds of a whole lot, by lot number) or serials (by id),
 * with the number of the NCR that holds them, in id order.
 */
export function activeHoldsOn(
  write: QualityWrite,
  lotNos: readonly string[],
  serialIds: readonly number[],
): Promise<(HoldRow & { ncr_no: string })[]> {
  const h = (field: string) => `h.${column(write, 'quality_hold', field)}`;
  const conditions: string[] = [];
  if (lotNos.length > 0)
    conditions.push(
      `(${h('hold_type')} <> 'SERIAL' AND ${h('lot_no')} IN (${lotNos.map(() => '?').join(', ')}))`,
    );
  if (serialIds.length > 0)
    conditions.push(`${h('serial_number')} IN (${serialIds.map(() => '?').join(', ')})`);
  return write.tx.query<HoldRow & { ncr_no: string }>(
    `SELECT h.id AS id, ${h('hold_type')} AS hold_type, ${h('lot_no')} AS lot_no, ${h('serial_number')} AS serial_id,
            n.${column(write, 'ncr', 'ncr_no')} AS ncr_no
     FROM ${table(write, 'quality_hold')} h JOIN ${table(write, 'ncr')} n ON n.id = ${h('ncr')}
     WHERE h.tenant_id = ? AND h.deleted_at IS NULL AND ${h('status')} = 'ACTIVE' AND (${conditions.join(' OR ')})
     ORDER BY h.id`,
    [write.ctx.tenantId, ...lotNos, ...serialIds],
  );
}

/** The lot numbers a goods receipt brought in (its IN movements), of one item when it is given. */
export async function lotsReceivedOnGrn(
  write: QualityWrite,
  grnNo: string,
  itemId: number | null,
): Promise<string[]> {
  const t = (field: string) => column(write, 'stock_transaction', field);
  const rows = await write.tx.query<{ lot_no: string }>(
    `SELECT DISTINCT ${t('lot_no')} AS lot_no FROM ${table(write, 'stock_transaction')}
     WHERE tenant_id = ? AND ${t('transaction_type')} = 'IN' AND ${t('reference_type')} = 'GRN'
       AND ${t('reference_id')} = ? AND ${t('lot_no')} IS NOT NULL${itemId === null ? '' : ` AND ${t('item')} = ?`}
     ORDER BY lot_no`,
    itemId === null ? [write.ctx.tenantId, grnNo] : [write.ctx.tenantId, grnNo, itemId],
  );
  return rows.map((row) => row.lot_no);
}

/** The serials packed for a shipment (in its boxes, directly or on its pallets), with their lot number. */
export function serialsOnShipment(
  write: QualityWrite,
  shipmentId: unknown,
): Promise<{ id: number | string; sn: string; lot_no: string }[]> {
  const s = (field: string) => `s.${column(write, 'serial_number', field)}`;
  const b = (field: string) => `b.${column(write, 'box', field)}`;
  const p = (field: string) => `p.${column(write, 'pallet', field)}`;
  return write.tx.query<{ id: number | string; sn: string; lot_no: string }>(
    `SELECT s.id AS id, ${s('sn')} AS sn, l.${column(write, 'production_lot', 'lot_no')} AS lot_no
     FROM ${table(write, 'serial_number')} s
     JOIN ${table(write, 'box')} b ON b.id = ${s('box')}
     LEFT JOIN ${table(write, 'pallet')} p ON p.id = ${b('pallet')}
     JOIN ${table(write, 'production_lot')} l ON l.id = ${s('lot')}
     WHERE s.tenant_id = ? AND (${b('shipment')} = ? OR ${p('shipment')} = ?)`,
    [write.ctx.tenantId, shipmentId, shipmentId],
  );
}
