import {
  compilePermissionMatrix,
  entityAccess,
  permissionMatches,
  PermissionMatrixError,
} from '../../../metadata/src/model/permissions';
import type { RoleDef } from '../../../metadata/src/types';
import { roles } from '../../fixtures/security/model';

const label = { en: 'r', zh: 'r' };
const matrix = compilePermissionMatrix(new Map(roles.map((r) => [r.role, r])));

describe('permissionMatches', () => {
  it.each([
    ['*', 'work_order:read', true],
    ['work_order:*', 'work_order:release', true],
    ['*:read', 'item_master:read', true],
    ['*:read', 'item_master:update', false],
    ['work_order:read', 'work_order:read', true],
    ['work_order:read', 'work_order:readx', false],
    ['work_order', 'work_order:read', false],
    ['work_order:*', 'work_orders:read', false],
  ])('%s covers %s: %s', (granted, required, expected) => {
    expect(permissionMatches(granted, required)).toBe(expected);
  });
});

describe('compilePermissionMatrix', () => {
  it('resolves inherited permissions, field rules and scopes', () => {
    const senior = matrix.get('senior_operator')!;
    expect(senior.permissions).toEqual(expect.arrayContaining(['work_order:read', 'work_order:release']));
    expect(senior.hidden.work_order).toEqual(['cost']);
    expect(senior.dataScopes.work_order).toBe('line');
  });

  it('rejects inheritance cycles and unknown parents by name', () => {
    const a: RoleDef = { role: 'a', label, permissions: [], inherits: ['b'] };
    const b: RoleDef = { role: 'b', label, permissions: [], inherits: ['a'] };
    expect(() =>
      compilePermissionMatrix(
        new Map([
          ['a', a],
          ['b', b],
        ]),
      ),
    ).toThrow(/cycle: a → b → a/);
    const orphan: RoleDef = { role: 'c', label, permissions: [], inherits: ['ghost'] };
    expect(() => compilePermissionMatrix(new Map([['c', orphan]]))).toThrow(PermissionMatrixError);
  });
});

describe('entityAccess combines roles additively', () => {
  it('hides a field only when every granting role hides it', () => {
    expect(entityAccess(matrix, ['operator'], 'work_order', 'read').hidden).toEqual(new Set(['cost']));
    expect(entityAccess(matrix, ['operator', 'planner'], 'work_order', 'read').hidden).toEqual(new Set());
  });

  it('collects the scopes of granting roles only', () => {
    expect(entityAccess(matrix, ['operator', 'clerk'], 'work_order', 'read').scopes).toEqual(['line', 'own']);
    expect(entityAccess(matrix, ['operator', 'clerk'], 'work_order', 'update').scopes).toEqual(['line']);
  });

  it('denies what no role grants; runtime grants add permission without restrictions', () => {
    expect(entityAccess(matrix, ['operator'], 'work_order', 'delete').allowed).toBe(false);
    const viaDatabase = entityAccess(matrix, ['operator'], 'work_order', 'delete', ['work_order:delete']);
    expect(viaDatabase).toMatchObject({ allowed: true, scopes: ['tenant'] });
  });
});
