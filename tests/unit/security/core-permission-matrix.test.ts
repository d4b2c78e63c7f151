/**
 * Every core entity × demo role × action, generated from the real metadata: a new entity or action is
 * covered without touching this file. Expectations come from each role's declared job.
 */
import { entityAccess } from '../../../metadata/src/model/permissions';
import { matrixOf } from '../../../platform/src/security/principal';
import { DEMO_USERS } from '../../../platform/src/security/demo-seed';
import { coreModel } from '../../fixtures/security/core-model';

const model = coreModel();
const matrix = matrixOf(model);
const WRITE_ACTIONS = new Set(['create', 'update', 'delete', 'restore', 'import']);
const PRODUCTION_MODULES = new Set(['production', 'quality', 'inventory', 'traceability']);

const cases = [...model.entities.values()].flatMap((entity) =>
  DEMO_USERS.flatMap((user) => entity.actions.map((action) => ({ entity, role: user.role, action }))),
);

/** What the role's job says, or undefined where the job leaves the action to the role document. */
function intended(role: string, module: string, action: string): boolean | undefined {
  if (role === 'admin') return true;
  if (role === 'auditor') return action === 'read' ? true : WRITE_ACTIONS.has(action) ? false : undefined;
  if (role === 'business_analyst' && PRODUCTION_MODULES.has(module) && WRITE_ACTIONS.has(action))
    return false;
  if (role === 'operator' && action === 'delete') return false;
  return undefined;
}

describe('core permission matrix', () => {
  it('has every demo role and covers every entity', () => {
    for (const user of DEMO_USERS) expect(matrix.has(user.role)).toBe(true);
    expect(cases.length).toBeGreaterThan(model.entities.size * DEMO_USERS.length);
  });

  it.each(cases.map((c) => [c.entity.name, c.role, c.action, c.entity.module] as const))(
    '%s × %s × %s',
    (entity, role, action, module) => {
      const access = entityAccess(matrix, [role], entity, action);
      const allowed = access.allowed;
      // A grant limited to the caller's own rows (personal saved views) is no part of the role's job.
      const ownRowsOnly = allowed && access.scopes.length > 0 && access.scopes.every((s) => s === 'own');
      const expected = intended(role, module, action);
      if (expected !== undefined && !ownRowsOnly) expect(allowed).toBe(expected);
      // Holding a write never comes without reading what one writes (append-only logs excepted).
      const compiled = model.entities.get(entity);
      if (allowed && WRITE_ACTIONS.has(action) && !compiled?.owned && !compiled?.appendOnly)
        expect(entityAccess(matrix, [role], entity, 'read').allowed).toBe(true);
    },
  );

  it('gives each production role its job on work orders', () => {
    const can = (role: string, action: string) => entityAccess(matrix, [role], 'work_order', action).allowed;
    expect(can('production_planner', 'create') && can('production_planner', 'update')).toBe(true);
    expect(can('operator', 'read') && !can('operator', 'delete') && !can('operator', 'create')).toBe(true);
    expect(can('business_analyst', 'read') && !can('business_analyst', 'update')).toBe(true);
    expect(can('auditor', 'read') && !can('auditor', 'update')).toBe(true);
    expect(can('warehouse_clerk', 'delete')).toBe(false);
  });
});
