import type { EntityHooks } from '../../generated/domain-hooks';
import { boxShipmentChanged, palletBoxesPassed } from './shipping';

/** A pallet put on a shipment takes its boxes along (each OQC-passed); the shipments' totals follow. */
export const hooks: EntityHooks = {
  inTransaction: async ({ tx, ctx, action, record, previous, records }) => {
    if (action !== 'create' && action !== 'update') return;
    if (previous?.shipmentId === record.shipmentId && previous?.boxCount === record.boxCount) return;
    if (typeof record.shipmentId === 'number') await palletBoxesPassed(tx, ctx, record.id);
    await boxShipmentChanged(tx, ctx, records, [previous?.shipmentId, record.shipmentId]);
  },
};
