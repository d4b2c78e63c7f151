import type { EntityHooks } from '../../generated/domain-hooks';
import { parseCheckItems } from './judgement';

/** A plan's check items are checked when it is written, so inspections can always copy them. */
export const hooks: EntityHooks = {
  before: ({ body }) => {
    if (body.checkItems !== undefined) parseCheckItems(body.checkItems);
  },
};
