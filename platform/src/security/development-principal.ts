import type { Principal } from './principal';

/** Role and user name of the development administrator (`MES_AUTH=off`). */
export const DEVELOPMENT_USER = 'development';

/**
 * The explicit caller of a request without a token when authentication is switched off for
 * development: an administrator holding every permission in one tenant. The engine still authorizes
 * it like any other principal, so there is a single code path with and without authentication.
 */
export function developmentPrincipal(tenantId: string): Principal {
  return {
    userId: DEVELOPMENT_USER,
    username: DEVELOPMENT_USER,
    tenantId,
    roles: ['admin'],
    grantedPermissions: ['*'],
    departmentIds: [],
    departmentTreeIds: [],
    lineIds: [],
    plantIds: [],
    supplierId: null,
  };
}
