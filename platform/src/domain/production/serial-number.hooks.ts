import type { EntityHooks } from '../../generated/domain-hooks';
import { nodeKey, writeGenealogy } from '../../trace/genealogy';
import { businessKeyOf } from '../traceability/genealogy-links';

/** A serial is produced in its lot: genealogy edge LOT → SN, in the create transaction. */
export const hooks: EntityHooks = {
  inTransaction: {
    create: async ({ tx, ctx, record }) => {
      const lotNo = await businessKeyOf(tx, ctx, 'production_lot', record.lotId);
      if (!lotNo || typeof record.sn !== 'string') return;
      await writeGenealogy(tx, ctx.tenantId, [
        { from: nodeKey('LOT', lotNo), to: nodeKey('SN', record.sn), relation: 'PRODUCED' },
      ]);
    },
  },
};
