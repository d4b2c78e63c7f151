/**
 * A role as the engine applies it: for every entity, the actions the role grants with the data scope
 * of each, and the fields it hides or makes read-only — the answer of the same permission matrix
 * every request is authorized by, wildcards and inheritance resolved.
 */
import type { Model } from '../../../metadata/src/model';
import { entityAccess } from '../../../metadata/src/model/permissions';
import type { RoleAccess, RoleEntityAccess } from '../contracts/meta';
import { NotFoundError } from '../crud/errors';
import { matrixOf } from '../security/principal';

export type { RoleAccess };

const CRUD = ['read', 'create', 'update', 'delete', 'export', 'import'];

export function roleAccess(model: Model, roleName: string): RoleAccess {
  const role = model.roles.get(roleName);
  if (!role) throw new NotFoundError('role', roleName);
  const matrix = matrixOf(model);
  const entities: RoleEntityAccess[] = [];
  for (const entity of model.entities.values()) {
    const actions = [...new Set([...CRUD, ...entity.actions])].flatMap((action) => {
      const access = entityAccess(matrix, [roleName], entity.name, action);
      return access.allowed ? [{ action, scopes: access.scopes }] : [];
    });
    if (actions.length === 0) continue;
    const read = entityAccess(matrix, [roleName], entity.name, 'read');
    entities.push({
      entity: entity.name,
      label: entity.label,
      actions,
      hidden: [...read.hidden],
      readonly: [...read.readonly],
    });
  }
  const compiled = matrix.get(roleName);
  const other = (compiled?.permissions ?? []).filter((code) => {
    const [subject] = code.split(':');
    return subject !== '*' && !model.entities.has(subject!);
  });
  return {
    role: role.role,
    label: role.label,
    description: role.description ?? null,
    inherits: role.inherits ?? [],
    entities: entities.sort((a, b) => a.entity.localeCompare(b.entity)),
    other: [...new Set(other)].sort(),
  };
}
