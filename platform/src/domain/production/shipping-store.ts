import type { Model } from '../../../../metadata/src/model';
import type { SqlExecutor } from '../../data/database';

/** The boxes and pallets on a shipment, and on a pallet. */

function table(tx: SqlExecutor, model: Model, entity: string): string {
  return tx.dialect.quote(model.entities.get(entity)!.table);
}

export interface ShippedBox {
  id: number;
  box_no: string;
  quantity: number | string;
  oqc_result: string;
  pallet_id: number | null;
}

/** The live boxes on a shipment, directly or on one of its pallets. */
export async function boxesOfShipment(
  tx: SqlExecutor,
  model: Model,
  tenant: string,
  shipmentId: unknown,
): Promise<ShippedBox[]> {
  return tx.query<ShippedBox>(
    `SELECT b.id, b.box_no, b.quantity, b.oqc_result, b.pallet_id FROM ${table(tx, model, 'box')} b
      LEFT JOIN ${table(tx, model, 'pallet')} p ON p.id = b.pallet_id AND p.deleted_at IS NULL
      WHERE b.tenant_id = ? AND b.deleted_at IS NULL AND (b.shipment_id = ? OR p.shipment_id = ?) ORDER BY b.id`,
    [tenant, shipmentId, shipmentId],
  );
}

export async function palletsOfShipment(tx: SqlExecutor, model: Model, tenant: string, shipmentId: unknown) {
  return tx.query<{ id: number; pallet_no: string }>(
    `SELECT id, pallet_no FROM ${table(tx, model, 'pallet')} WHERE tenant_id = ? AND shipment_id = ? AND deleted_at IS NULL ORDER BY id`,
    [tenant, shipmentId],
  );
}

export async function boxesOnPallet(
  tx: SqlExecutor,
  model: Model,
  tenant: string,
  palletId: unknown,
): Promise<ShippedBox[]> {
  return tx.query<ShippedBox>(
    `SELECT id, box_no, quantity, oqc_result, pallet_id FROM ${table(tx, model, 'box')}
      WHERE tenant_id = ? AND pallet_id = ? AND deleted_at IS NULL ORDER BY id`,
    [tenant, palletId],
  );
}
