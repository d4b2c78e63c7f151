import type { CompiledEntity, Model } from '../../../../metadata/src/model';
import type { DataScope } from '../../../../metadata/src/types';
import type { FilterNode } from '../../crud/types';
import type { Principal } from '../principal';
import { expressionToFilter } from './expression-filter';

/** Entities a scope refers to, and the principal's ids for each. */
const UNIT_SCOPES = {
  department: { target: 'department', ids: (p: Principal) => p.departmentIds },
  department_tree: { target: 'department', ids: (p: Principal) => p.departmentTreeIds },
  line: { target: 'production_line', ids: (p: Principal) => p.lineIds },
  plant: { target: 'plant', ids: (p: Principal) => p.plantIds },
} as const;

/** Relations followed (one hop) to reach a unit the entity does not reference directly. */
const UNIT_PARENTS: Record<string, string[]> = { plant: ['production_line', 'workstation'] };

/**
 * The row filter of the principal's scopes on an entity, or null when a scope grants every row of the
 * tenant (the tenant itself is always enforced by the query compiler from the context). Scopes of
 * several roles are alternatives (OR).
 */
export function scopeFilter(
  principal: Principal,
  model: Model,
  entity: CompiledEntity,
  scopes: DataScope[],
): FilterNode | null {
  if (scopes.length === 0 || scopes.some((s) => s === 'all' || s === 'tenant')) return null;
  const alternatives = scopes.map((scope) => scopeCondition(principal, model, entity, scope));
  return alternatives.length === 1 ? alternatives[0] : { kind: 'or', conditions: alternatives };
}

function scopeCondition(
  principal: Principal,
  model: Model,
  entity: CompiledEntity,
  scope: DataScope,
): FilterNode {
  if (typeof scope === 'object') return expressionToFilter(scope.filter, entity, principal);
  if (scope === 'own') return ownRows(principal);
  if (scope === 'all' || scope === 'tenant') return { kind: 'and', conditions: [] };
  const unit = UNIT_SCOPES[scope];
  const path = unitPath(model, entity, unit.target);
  // An entity that refers to no such unit falls back to the caller's own rows: never wider.
  if (!path) return ownRows(principal);
  return { field: path, op: 'in', value: unit.ids(principal) };
}

function ownRows(principal: Principal): FilterNode {
  return { field: 'createdBy', op: 'eq', value: principal.userId };
}

/** `id` on the unit itself, `<relation>Id` on an entity referencing it, or `<relation>.<relation>Id` one hop away. */
function unitPath(model: Model, entity: CompiledEntity, target: string): string | null {
  if (entity.name === target) return 'id';
  const direct = relationTo(entity, target);
  if (direct) return `${direct}Id`;
  for (const via of UNIT_PARENTS[target] ?? []) {
    const hop = relationTo(entity, via);
    const intermediate = model.entities.get(via);
    const last = intermediate ? relationTo(intermediate, target) : null;
    if (hop && last) return `${hop}.${last}Id`;
  }
  return null;
}

function relationTo(entity: CompiledEntity, target: string): string | null {
  const field = entity.fields.find(
    (f) => f.type === 'relation' && f.storage === 'column' && f.relation?.target === target,
  );
  return field ? field.apiName : null;
}
