import type { Model } from '../../../metadata/src/model';
import {
  compilePermissionMatrix,
  permissionsOf,
  type PermissionMatrix,
} from '../../../metadata/src/model/permissions';
import type { RequestContext } from '../crud/types';

/**
 * The authenticated caller: who, in which tenant, with which roles, and the organisational units row
 * scopes refer to. Built at login (and refresh) from the user's rows; carried in the access token.
 */
export interface Principal {
  /** sys_user.id as a string (the value written to created_by/updated_by). */
  userId: string;
  username: string;
  tenantId: string;
  /** Role codes; role documents in the Model give their permissions and field/row rules. */
  roles: string[];
  /** Codes granted at runtime through database roles (role_permission), without field or row rules. */
  grantedPermissions: string[];
  /** The user's own department (`department` scope). */
  departmentIds: number[];
  /** The user's department and every department below it (`department_tree` scope). */
  departmentTreeIds: number[];
  /** Production lines the user works on (`line` scope). */
  lineIds: number[];
  /** Plants the user belongs to (`plant` scope). */
  plantIds: number[];
  /** The supplier an external user belongs to (`$user.supplier` in scope filters); null for staff. */
  supplierId: number | null;
  /**
   * The user's stored language preference: server messages use it whatever `Accept-Language` says;
   * absent when the user has none stored.
   */
  locale?: 'en' | 'zh';
}

/** A RequestContext once the caller is authenticated: the engine reads `principal` to authorize. */
export interface SecureContext extends RequestContext {
  principal: Principal;
}

const matrices = new WeakMap<Model, PermissionMatrix>();

/** The Model's permission matrix, compiled once per Model version. */
export function matrixOf(model: Model): PermissionMatrix {
  let matrix = matrices.get(model);
  if (!matrix) {
    matrix = compilePermissionMatrix(model.roles);
    matrices.set(model, matrix);
  }
  return matrix;
}

/** Every permission code the principal holds, wildcards kept. */
export function effectivePermissions(principal: Principal, model: Model): string[] {
  return [...new Set([...permissionsOf(matrixOf(model), principal.roles), ...principal.grantedPermissions])];
}
