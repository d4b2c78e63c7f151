import type { EntityHooks } from '../../generated/domain-hooks';
import { nodeKey, writeGenealogy } from '../../trace/genealogy';
import { businessKeyOf } from '../traceability/genealogy-links';

/** A production lot is produced by its work order: genealogy edge WO → LOT, in the create transaction. */
export const hooks: EntityHooks = {
  inTransaction: {
    create: async ({ tx, ctx, record }) => {
      const woNo = await businessKeyOf(tx, ctx, 'work_order', record.workOrderId);
      if (!woNo || typeof record.lotNo !== 'string') return;
      await writeGenealogy(tx, ctx.tenantId, [
        {
          from: nodeKey('WO', woNo),
          to: nodeKey('LOT', record.lotNo),
          relation: 'PRODUCED',
          quantity: Number(record.lotQuantity),
        },
      ]);
    },
  },
};
