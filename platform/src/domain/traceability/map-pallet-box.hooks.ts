import { BusinessRuleError, ValidationError } from '../../crud/errors';
import { engineContext } from '../../crud/request-context';
import type { EntityHooks } from '../../generated/domain-hooks';
import { nodeKey, writeGenealogy } from '../../trace/genealogy';
import { idByNumber } from './packing-store';

/**
 * Loading a box onto a pallet (a `map_pallet_box` row), in the row's create transaction: the pallet
 * number is the pallet's, the box exists, is on no pallet yet and the pallet is open with room; the
 * box then points at its pallet (PALLETIZED) and the pallet counts it, through the record-change
 * path, and the genealogy gets `BOX → PLT` LOADED.
 */
export const hooks: EntityHooks = {
  inTransaction: {
    create: async ({ tx, ctx, record, records }) => {
      const engine = engineContext(ctx);
      const pallet = await records.getIn(tx, 'pallet', record.palletId as number, engine);
      if (pallet.palletNo !== record.palletNo)
        throw invalid(
          'palletNo',
          'matches',
          `palletNo '${String(record.palletNo)}' is not the number of pallet ${String(pallet.palletNo)}`,
        );
      const boxId = await idByNumber(tx, ctx.model, ctx.tenantId, 'box', record.boxNo);
      if (boxId === null) throw invalid('boxNo', 'exists', `Box '${String(record.boxNo)}' does not exist`);
      const box = await records.getIn(tx, 'box', boxId, engine);
      if (box.palletId !== null && box.palletId !== undefined)
        throw new BusinessRuleError(`Box '${String(record.boxNo)}' is already on a pallet`, {
          rule: 'loaded-once',
          field: 'boxNo',
        });
      const loaded = Number(pallet.boxCount);
      if (pallet.status !== 'OPEN' || loaded >= Number(pallet.maxBoxes))
        throw new BusinessRuleError(
          `Pallet ${String(pallet.palletNo)} is ${pallet.status === 'OPEN' ? 'full' : String(pallet.status).toLowerCase()}`,
          { rule: 'pallet-open-with-room', field: 'palletId' },
        );
      await records.updateIn(tx, 'pallet', Number(pallet.id), { boxCount: loaded + 1 }, engine);
      await records.updateIn(tx, 'box', boxId, { palletId: pallet.id, status: 'PALLETIZED' }, engine);
      await writeGenealogy(tx, ctx.tenantId, [
        {
          from: nodeKey('BOX', String(box.boxNo)),
          to: nodeKey('PLT', String(pallet.palletNo)),
          relation: 'LOADED',
          quantity: 1,
          refType: 'map_pallet_box',
          refId: String(record.id),
        },
      ]);
    },
  },
};

function invalid(field: string, rule: string, message: string): ValidationError {
  return new ValidationError([{ field, path: `/${field}`, rule, message }]);
}
