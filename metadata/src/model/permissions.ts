/**
 * The permission matrix: roles from metadata (and from the database at runtime) compiled into what a
 * set of roles may do. Pure, so the server, the UI runtime and the generators answer "may this user
 * do X" the same way. Roles combine additively: a permission held by any role is held; a field is
 * hidden or read-only only when every role that grants the action hides it; data scopes are OR-ed.
 */
import type { DataScope, RoleDef } from '../types';

/** A role after resolving `inherits`. */
export interface CompiledRole {
  name: string;
  /** Own and inherited permission codes, wildcards kept (`work_order:*`, `*:read`, `*`). */
  permissions: string[];
  /** entity → field names hidden from this role. */
  hidden: Record<string, string[]>;
  /** entity → field names this role may not write. */
  readonly: Record<string, string[]>;
  /** Scope for entities without an entry in `dataScopes`. */
  dataScope: DataScope;
  dataScopes: Record<string, DataScope>;
}

export type PermissionMatrix = ReadonlyMap<string, CompiledRole>;

/** What a user holding several roles may do on one entity for one action. */
export interface EntityAccess {
  allowed: boolean;
  /** Fields hidden by every role that grants the action. */
  hidden: Set<string>;
  /** Fields read-only for every role that grants the action. */
  readonly: Set<string>;
  /** Scopes of the roles granting the action; any `all`/`tenant` means no row restriction. */
  scopes: DataScope[];
}

/** Scope of a role that declares none: every row of its tenant. */
export const DEFAULT_DATA_SCOPE: DataScope = 'tenant';

export class PermissionMatrixError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PermissionMatrixError';
  }
}

/** Resolves inheritance (cycles and unknown parents are errors naming the role). */
export function compilePermissionMatrix(roles: ReadonlyMap<string, RoleDef>): PermissionMatrix {
  const compiled = new Map<string, CompiledRole>();
  const resolving = new Set<string>();
  const resolve = (name: string, path: string[]): CompiledRole => {
    const done = compiled.get(name);
    if (done) return done;
    const def = roles.get(name);
    if (!def) throw new PermissionMatrixError(`Role '${path.at(-1)}' inherits unknown role '${name}'`);
    if (resolving.has(name))
      throw new PermissionMatrixError(`Role inheritance cycle: ${[...path, name].join(' → ')}`);
    resolving.add(name);
    const parents = (def.inherits ?? []).map((parent) => resolve(parent, [...path, name]));
    resolving.delete(name);
    const role: CompiledRole = {
      name,
      permissions: unique([...parents.flatMap((p) => p.permissions), ...def.permissions]),
      hidden: mergeFieldRules(
        parents.map((p) => p.hidden),
        def,
        'hidden',
      ),
      readonly: mergeFieldRules(
        parents.map((p) => p.readonly),
        def,
        'readonly',
      ),
      dataScope:
        def.dataScope ??
        parents.find((p) => p.dataScope !== DEFAULT_DATA_SCOPE)?.dataScope ??
        DEFAULT_DATA_SCOPE,
      dataScopes: Object.assign({}, ...parents.map((p) => p.dataScopes), def.dataScopes ?? {}) as Record<
        string,
        DataScope
      >,
    };
    compiled.set(name, role);
    return role;
  };
  for (const name of roles.keys()) resolve(name, []);
  return compiled;
}

/**
 * Whether a granted code covers a required one. Codes are `:`-separated segments; `*` matches any one
 * segment, and a trailing `*` also matches any deeper ones (`*` alone grants everything).
 */
export function permissionMatches(granted: string, required: string): boolean {
  const g = granted.split(':');
  const r = required.split(':');
  for (let i = 0; i < g.length; i++) {
    if (g[i] === '*' && i === g.length - 1) return r.length >= g.length;
    if (i >= r.length) return false;
    if (g[i] !== '*' && g[i] !== r[i]) return false;
  }
  return g.length === r.length;
}

export function hasPermission(granted: Iterable<string>, required: string): boolean {
  for (const code of granted) if (permissionMatches(code, required)) return true;
  return false;
}

/** Every permission code the given roles hold (unknown role names are ignored: a removed role grants nothing). */
export function permissionsOf(matrix: PermissionMatrix, roleNames: readonly string[]): string[] {
  return unique(roleNames.flatMap((name) => matrix.get(name)?.permissions ?? []));
}

/**
 * Combined access of several roles to `<entity>:<action>`. `extraPermissions` are codes granted at
 * runtime outside role documents (database roles); they carry no field or row restriction.
 * `fieldRulesOf` names the entity whose field rules apply (a child entity governed by its parent's
 * permission).
 */
export function entityAccess(
  matrix: PermissionMatrix,
  roleNames: readonly string[],
  entity: string,
  action: string,
  extraPermissions: readonly string[] = [],
  fieldRulesOf: string = entity,
): EntityAccess {
  const required = `${entity}:${action}`;
  const granting = roleNames
    .map((name) => matrix.get(name))
    .filter((role): role is CompiledRole => role !== undefined && hasPermission(role.permissions, required));
  const viaExtra = hasPermission(extraPermissions, required);
  if (granting.length === 0 && !viaExtra)
    return { allowed: false, hidden: new Set(), readonly: new Set(), scopes: [] };
  const restrictions = viaExtra ? [] : granting;
  return {
    allowed: true,
    hidden: intersect(restrictions.map((role) => role.hidden[fieldRulesOf] ?? [])),
    readonly: intersect(restrictions.map((role) => role.readonly[fieldRulesOf] ?? [])),
    scopes: viaExtra ? ['tenant'] : granting.map((role) => role.dataScopes[fieldRulesOf] ?? role.dataScope),
  };
}

function mergeFieldRules(
  inherited: Record<string, string[]>[],
  def: RoleDef,
  kind: 'hidden' | 'readonly',
): Record<string, string[]> {
  const merged: Record<string, string[]> = {};
  for (const rules of inherited)
    for (const [entity, fields] of Object.entries(rules))
      merged[entity] = unique([...(merged[entity] ?? []), ...fields]);
  for (const [entity, rules] of Object.entries(def.fields ?? {}))
    merged[entity] = unique([...(merged[entity] ?? []), ...(rules[kind] ?? [])]);
  return merged;
}

function intersect(lists: string[][]): Set<string> {
  if (lists.length === 0) return new Set();
  const [first, ...rest] = lists;
  return new Set(first.filter((item) => rest.every((list) => list.includes(item))));
}

function unique(items: string[]): string[] {
  return [...new Set(items)];
}
