import type { HookRegistry, InTransactionHookArgs } from '../crud/hooks';
import type { EntityRecord } from '../crud/types';
import {
  roleSubject,
  TENANT_SUBJECT,
  userSubject,
  type PrincipalInvalidations,
} from './auth/principal-invalidations';

/**
 * Which record changes alter what access tokens carry (Principal), and whose tokens they concern.
 * A user's own rows concern that user; a role's row and permissions every holder of the role; a
 * permission's code or status, and a department or line created, deleted, restored or moved (in the
 * tree, to another plant) every user of the tenant. Creating a user, role or permission concerns
 * nobody (no token carries it yet). Changes that alter none of the listed properties (a phone
 * number, a role's name) concern nobody.
 */
const RULES: readonly InvalidationRule[] = [
  {
    entity: 'user',
    properties: ['username', 'status', 'departmentId', 'supplierId', 'linesIds', 'plantsIds', 'roles'],
    subjects: ({ record, previous }) => [userSubject(String(record.id ?? previous?.id))],
  },
  {
    entity: 'role',
    properties: ['roleCode', 'status', 'permissions', 'dataScope', 'customScope'],
    subjects: ({ record, previous }) =>
      [previous?.roleCode, record.roleCode]
        .filter((code): code is string => typeof code === 'string')
        .map(roleSubject),
  },
  { entity: 'permission', properties: ['permissionCode', 'status'], subjects: () => [TENANT_SUBJECT] },
  { entity: 'department', properties: ['parentId'], subjects: () => [TENANT_SUBJECT], created: true },
  { entity: 'production_line', properties: ['plantId'], subjects: () => [TENANT_SUBJECT], created: true },
];

interface InvalidationRule {
  entity: string;
  /** API properties whose change alters principals. */
  properties: readonly string[];
  subjects(args: InTransactionHookArgs): string[];
  /**
   * A row created concerns tokens too: a new department or line is at once in the department-tree
   * and plant scopes that cover it, which tokens carry as lists of ids.
   */
  created?: true;
}

/**
 * Registers, on the record-change path, the in-transaction hooks that record principal
 * invalidations (PrincipalInvalidations): every way a user, role, permission, department or line
 * changes — CRUD, bulk, import, workflow transitions, rules, plugins — passes through them. Returns
 * the function that unregisters them.
 */
export function registerPrincipalInvalidation(
  hooks: HookRegistry,
  invalidations: PrincipalInvalidations,
): () => void {
  const removers = RULES.map((rule) =>
    hooks.on('inTransaction', { entity: rule.entity, action: '*' }, async (args) => {
      if (!concerns(rule, args)) return;
      const subjects = rule.subjects(args);
      if (subjects.length > 0) await invalidations.invalidate(args.tx, args.ctx.tenantId, subjects);
    }),
  );
  return () => removers.forEach((remove) => remove());
}

function concerns(rule: InvalidationRule, { action, record, previous }: InTransactionHookArgs): boolean {
  if (action === 'create') return rule.created === true;
  if (!previous) return false;
  if (action === 'delete' || action === 'restore') return true;
  return rule.properties.some((property) => !sameValue(record[property], previous[property]));
}

/** Equal as stored: child rows compared by what they grant, not by their audit columns. */
function sameValue(a: unknown, b: unknown): boolean {
  return JSON.stringify(comparable(a)) === JSON.stringify(comparable(b));
}

function comparable(value: unknown): unknown {
  if (!Array.isArray(value)) return value ?? null;
  return value
    .map((item) =>
      item !== null && typeof item === 'object'
        ? JSON.stringify(grantOf(item as EntityRecord))
        : JSON.stringify(item),
    )
    .sort();
}

/** What a child row grants: a user role's role and expiry, a role permission's permission. */
function grantOf(item: EntityRecord): unknown {
  return [item.roleId ?? null, item.validUntil ?? null, item.permissionId ?? null];
}
