import type { CompiledEntity, CompiledField, Model } from '../../../../metadata/src/model';
import type { DashboardDef } from '../../../../metadata/src/types';
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

/**
 * What was decided for one principal under one Model version: every request asks the same
 * questions of it again (each record of a page, each field). Keyed by the principal object, which
 * never changes once built, and by the Model, so a new Model version decides afresh.
 */
interface Decisions {
  holds: Map<string, boolean>;
  access: Map<string, EntityAccess>;
}
const decided = new WeakMap<Principal, WeakMap<Model, Decisions>>();

function decisionsOf(principal: Principal, model: Model): Decisions {
  let byModel = decided.get(principal);
  if (!byModel) {
    byModel = new WeakMap();
    decided.set(principal, byModel);
  }
  let decisions = byModel.get(model);
  if (!decisions) {
    decisions = { holds: new Map(), access: new Map() };
    byModel.set(model, decisions);
  }
  return decisions;
}

/** Whether the principal holds one permission code (`work_order:unmask`). */
export function holds(principal: Principal, model: Model, code: string): boolean {
  const known = decisionsOf(principal, model).holds;
  let held = known.get(code);
  if (held === undefined) {
    held = hasPermission(effectivePermissions(principal, model), code);
    known.set(code, held);
  }
  return held;
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
  const known = decisionsOf(principal, model).access;
  const key = `${entity}\u0000${action}\u0000${parent ?? ''}`;
  let access = known.get(key);
  if (!access) {
    access = decideAccess(principal, model, entity, action, parent);
    known.set(key, access);
  }
  return access;
}

function decideAccess(
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

/** Whether a dashboard is shared with one of the principal's roles (one that names none is shared with all). */
export function dashboardSharedWith(dashboard: Pick<DashboardDef, 'roles'>, principal: Principal): boolean {
  return dashboard.roles === undefined || dashboard.roles.some((role) => principal.roles.includes(role));
}
