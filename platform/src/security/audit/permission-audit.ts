import type { HookRegistry } from '../../crud/hooks';
import type { EntityRecord, RequestContext } from '../../crud/types';
import { appendAudit } from '../../audit/audit-writer';

/**
 * Entities whose rows are grants: every write to them changes what someone may do. Role permissions
 * and user roles are owned children, written (and audited) through their role and user.
 */
const GRANT_ENTITIES = ['role', 'permission'];

/** Properties of a user that decide its permissions and data scopes. */
const USER_GRANT_PROPERTIES = ['roles', 'linesIds', 'plantsIds'];

/**
 * Appends a PERMISSION_CHANGE record (besides the ordinary CRUD record) inside the transaction of
 * every write that changes permissions: writes to roles (their permissions included) and permissions,
 * and user writes that send roles or line/plant memberships. Returns the function that unregisters the
 * hooks.
 */
export function registerPermissionAudit(hooks: HookRegistry): () => void {
  /** User updates whose body carries grant properties, per request context (bulk sends many). */
  const pending = new WeakMap<RequestContext, Set<number>>();
  const removers = [
    ...GRANT_ENTITIES.map((entity) =>
      hooks.on('inTransaction', { entity, action: '*' }, async ({ tx, ctx, record, previous, action }) => {
        await appendAudit(tx, {
          tenantId: ctx.tenantId,
          actorId: ctx.userId ?? 'system',
          entity,
          recordId: String(record.id ?? previous?.id ?? ''),
          action: 'PERMISSION_CHANGE',
          transition: action,
          before: previous,
          after: action === 'delete' ? null : record,
          model: ctx.model,
          traceId: ctx.traceId,
        });
      }),
    ),
    hooks.on('before', { entity: 'user', action: 'update' }, ({ ctx, id, body }) => {
      if (id === null || !USER_GRANT_PROPERTIES.some((property) => property in body)) return;
      const ids = pending.get(ctx) ?? new Set<number>();
      ids.add(id);
      pending.set(ctx, ids);
    }),
    hooks.on('inTransaction', { entity: 'user', action: '*' }, async ({ tx, ctx, record, action }) => {
      const id = Number(record.id);
      const changed =
        action === 'create' ? carriesGrants(record) : action === 'update' && pending.get(ctx)?.delete(id);
      if (!changed) return;
      await appendAudit(tx, {
        tenantId: ctx.tenantId,
        actorId: ctx.userId ?? 'system',
        entity: 'user',
        recordId: String(id),
        action: 'PERMISSION_CHANGE',
        transition: action,
        detail: grantsOf(record),
        traceId: ctx.traceId,
      });
    }),
  ];
  return () => removers.forEach((remove) => remove());
}

function carriesGrants(record: EntityRecord): boolean {
  return USER_GRANT_PROPERTIES.some((property) => {
    const value = record[property];
    return Array.isArray(value) && value.length > 0;
  });
}

/** The user's grants after the write: role assignments and line/plant memberships. */
function grantsOf(record: EntityRecord): Record<string, unknown> {
  const roles = Array.isArray(record.roles) ? (record.roles as EntityRecord[]) : [];
  return {
    roles: roles.map((row) => ({ roleId: row.roleId, validUntil: row.validUntil ?? null })),
    linesIds: record.linesIds ?? [],
    plantsIds: record.plantsIds ?? [],
  };
}
