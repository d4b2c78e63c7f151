import type { SemanticContext } from './context';

/** Actions every entity has. */
export const CRUD_ACTIONS: readonly string[] = ['create', 'read', 'update', 'delete'];

/**
 * Every permission code the metadata defines, as area → actions: each entity's CRUD actions, its
 * extra `actions` and its workflow transitions (and their explicit `permission`), plus permission documents.
 */
export function knownPermissionCodes(ctx: SemanticContext): Map<string, Set<string>> {
  const codes = new Map<string, Set<string>>();
  const add = (area: string, action: string): void => {
    const actions = codes.get(area) ?? new Set<string>();
    actions.add(action);
    codes.set(area, actions);
  };
  const addCode = (code: string): void => {
    const [area, action] = code.split(':');
    add(area, action);
  };
  for (const { def } of ctx.documentsOf('entity')) {
    [...CRUD_ACTIONS, ...(def.actions ?? [])].forEach((action) => add(def.entity, action));
  }
  for (const { def } of ctx.documentsOf('workflow')) {
    for (const transition of def.transitions) {
      add(def.entity, transition.action);
      if (transition.permission) addCode(transition.permission);
    }
  }
  for (const { def } of ctx.documentsOf('permission')) addCode(def.permission);
  return codes;
}

/** Whether a code (wildcards allowed: `work_order:*`, `*:read`, `*:*`) matches at least one known code. */
export function permissionExists(codes: ReadonlyMap<string, ReadonlySet<string>>, code: string): boolean {
  const [area, action] = code.split(':');
  const areas =
    area === '*' ? [...codes.values()] : codes.has(area) ? [codes.get(area) as ReadonlySet<string>] : [];
  return areas.some((actions) => action === '*' || actions.has(action));
}

/** A readable list of the actions of an area, for hints. */
export function actionsOf(codes: ReadonlyMap<string, ReadonlySet<string>>, area: string): string[] {
  return [...(codes.get(area) ?? [])];
}
