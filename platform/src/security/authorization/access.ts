import type { CompiledEntity, CompiledField, Model } from '../../../../metadata/src/model';
import { entityAccess, hasPermission, type EntityAccess } from '../../../../metadata/src/model/permissions';
import { ForbiddenError, NotFoundError } from '../../crud/errors';
import { AuthenticationError } from '../auth/auth-errors';
import type { RequestContext } from '../../crud/types';
import { effectivePermissions, matrixOf, type Principal, type SecureContext } from '../principal';

/** The entity's compiled metadata; an unknown name is a 404 like any record the caller cannot see. */
export function entityOf(model: Model, name: string): CompiledEntity {
  const entity = model.entities.get(name);
  if (!entity) throw new NotFoundError('entity', name);
  return entity;
}

/** Whether the principal holds one permission code (`work_order:unmask`). */
export function holds(principal: Principal, model: Model, code: string): boolean {
  return hasPermission(effectivePermissions(principal, model), code);
}

/**
 * Combined access to `<entity>:<action>`. An owned child entity (reachable only through its parent)
 * is governed by the parent's permission when the roles say nothing about the child itself.
 */
export function accessTo(
  principal: Principal,
  model: Model,
  entity: string,
  action: string,
  parent?: string,
): EntityAccess {
  const matrix = matrixOf(model);
  const own = entityAccess(matrix, principal.roles, entity, action, principal.grantedPermissions);
  if (own.allowed || !parent || !model.entities.get(entity)?.owned) return own;
  return entityAccess(matrix, principal.roles, parent, action, principal.grantedPermissions, entity);
}

/** 401 without a caller; 403 naming `code` unless the caller holds it. */
export function requirePermission(ctx: RequestContext, code: string): void {
  const principal = (ctx as Partial<SecureContext>).principal;
  if (!principal) throw new AuthenticationError('Authentication required');
  if (!holds(principal, ctx.model, code))
    throw new ForbiddenError(`Permission '${code}' required`, { permission: code });
}

/** Access or 403 naming the missing permission. */
export function requireAccess(
  principal: Principal,
  model: Model,
  entity: string,
  action: string,
  parent?: string,
): EntityAccess {
  const access = accessTo(principal, model, entity, action, parent);
  if (!access.allowed)
    throw new ForbiddenError(`Permission '${entity}:${action}' required`, {
      permission: `${entity}:${action}`,
    });
  return access;
}

/** Whether the field may appear in what the principal reads. `hidden` fields (password hashes) never do. */
export function canReadField(
  principal: Principal,
  model: Model,
  access: EntityAccess,
  field: CompiledField,
): boolean {
  if (field.hidden || access.hidden.has(field.name)) return false;
  const codes = field.def.permissions?.read;
  return !codes || codes.some((code) => holds(principal, model, code));
}

/** Whether the principal may send a value for the field. */
export function canWriteField(
  principal: Principal,
  model: Model,
  access: EntityAccess,
  field: CompiledField,
): boolean {
  if (access.hidden.has(field.name) || access.readonly.has(field.name)) return false;
  const codes = field.def.permissions?.write;
  return !codes || codes.some((code) => holds(principal, model, code));
}

/** Sensitive values are shown in clear only to holders of `<entity>:unmask`. */
export function mayUnmask(principal: Principal, model: Model, entity: string): boolean {
  return holds(principal, model, `${entity}:unmask`);
}
