import type { EntityHooks } from '../../generated/domain-hooks';
import { boxShipmentChanged } from './shipping';

/** A box put on (or taken off) a shipment must have passed OQC; the shipments' totals follow. */
export const hooks: EntityHooks = {
  inTransaction: {
    update: async ({ tx, ctx, record, previous, records }) => {
      if (previous?.shipmentId === record.shipmentId && previous?.quantity === record.quantity) return;
      await boxShipmentChanged(tx, ctx, records, [previous?.shipmentId, record.shipmentId]);
    },
  },
};
