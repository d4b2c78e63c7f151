import type { CompiledEntity, Model } from '../../../../metadata/src/model';
import { SYSTEM_COLUMNS } from '../../../../metadata/src/model';
import type { EntityAccess } from '../../../../metadata/src/model/permissions';
import { ForbiddenError } from '../../crud/errors';
import type { EntityRecord } from '../../crud/types';
import type { Principal } from '../principal';
import { canWriteField, entityOf, requireAccess } from './access';
import { fieldByApiName } from './authorize-read';

const SYSTEM_API_NAMES = new Set(SYSTEM_COLUMNS.map((c) => c.apiName));

/**
 * The write step of the pipeline: 403 without `<entity>:<action>` (create, update, delete, restore,
 * import or a workflow action), and 403 naming the first field of the body, children included, that
 * the principal may not write. Unknown names are left to validation. Row scope for existing rows comes
 * from `authorizeRowAction`.
 */
export function authorizeWrite(
  principal: Principal,
  model: Model,
  entityName: string,
  action: string,
  body: EntityRecord = {},
): void {
  const entity = entityOf(model, entityName);
  const access = requireAccess(principal, model, entityName, action);
  checkBody(principal, model, entity, action, access, body, '');
}

function checkBody(
  principal: Principal,
  model: Model,
  entity: CompiledEntity,
  action: string,
  access: EntityAccess,
  body: EntityRecord,
  pointer: string,
): void {
  for (const [key, value] of Object.entries(body)) {
    if (SYSTEM_API_NAMES.has(key)) continue;
    const field = fieldByApiName(entity, key);
    if (!field) continue;
    const path = `${pointer}/${key}`;
    if (!canWriteField(principal, model, access, field))
      throw new ForbiddenError(`Field '${key}' of ${entity.name} may not be written`, {
        errors: [{ field: key, path, rule: 'permission', message: `You may not write '${key}'` }],
      });
    if (field.children && Array.isArray(value)) {
      const child = entityOf(model, field.children.target);
      const childAccess = requireAccess(principal, model, child.name, action, entity.name);
      value.forEach((row, index) => {
        if (row !== null && typeof row === 'object')
          checkBody(principal, model, child, action, childAccess, row as EntityRecord, `${path}/${index}`);
      });
    }
  }
}
