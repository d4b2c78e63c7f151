import type { Model } from '../../../../metadata/src/model';
import type { FilterNode, WriteAccess } from '../../crud/types';
import type { Principal } from '../principal';
import { accessTo, entityOf } from './access';
import { authorizeWrite } from './authorize-write';
import { scopeFilter } from './row-scope';

/** A filter no row satisfies: what a caller without the permission may reach. */
const NO_ROWS: FilterNode = { kind: 'or', conditions: [] };

/**
 * The principal's row and field rules in the form the engine's write path applies them: row
 * scopes it compiles into the reads of a write (the record changed, the records it refers to, the
 * record as written), and the field rules of what the caller sends.
 */
export function writeAccessOf(principal: Principal, model: Model): WriteAccess {
  return {
    rowScope(entity, action) {
      const access = accessTo(principal, model, entity, action);
      if (!access.allowed) return NO_ROWS;
      return scopeFilter(principal, model, entityOf(model, entity), access.scopes);
    },
    referenceScope(entity) {
      const access = accessTo(principal, model, entity, 'read');
      return access.allowed ? scopeFilter(principal, model, entityOf(model, entity), access.scopes) : null;
    },
    checkFields(entity, action, body) {
      authorizeWrite(principal, model, entity, action, body);
    },
  };
}
