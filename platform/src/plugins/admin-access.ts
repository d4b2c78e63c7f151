import type { FastifyRequest } from 'fastify';
import { ForbiddenError } from '../crud/errors';
import { AuthenticationError } from '../security/auth/auth-errors';
import { principalOfRequest } from '../security/http/register-security';
import { effectivePermissions, type Principal } from '../security/principal';
import type { Model } from '../../../metadata/src/model';
import { hasPermission } from '../../../metadata/src/model/permissions';
import type { MetadataActor } from './metadata-change';

/** The role allowed to change plugins and extension fields. */
export const PLATFORM_ADMIN_ROLE = 'admin';

/**
 * Runtime extensions change the system for everyone (plugin code runs with the server's rights), so
 * only an authenticated administrator may make them: no principal is 401, another role 403.
 */
export function requireAdmin(request: FastifyRequest): Principal {
  const principal = principalOfRequest(request);
  if (!principal)
    throw new AuthenticationError(
      'Authentication required: only a signed-in administrator may manage plugins',
    );
  if (!principal.roles.includes(PLATFORM_ADMIN_ROLE))
    throw new ForbiddenError(`Only the ${PLATFORM_ADMIN_ROLE} role may change plugins`, {
      required: PLATFORM_ADMIN_ROLE,
    });
  return principal;
}

/**
 * Extension fields are metadata a publisher changes: no principal is 401, a principal without
 * `metadata:publish` (held by administrators and metadata reviewers) 403.
 */
export function requireMetadataPublisher(request: FastifyRequest, model: Model): Principal {
  const principal = principalOfRequest(request);
  if (!principal)
    throw new AuthenticationError(
      'Authentication required: extension fields are changed by a signed-in user',
    );
  if (!hasPermission(effectivePermissions(principal, model), METADATA_PUBLISH))
    throw new ForbiddenError(`Extension fields need the permission ${METADATA_PUBLISH}`, {
      required: METADATA_PUBLISH,
    });
  return principal;
}

const METADATA_PUBLISH = 'metadata:publish';

/** The administrator making a change, and from where: what its METADATA_CHANGE audit record names. */
export function adminActor(request: FastifyRequest): MetadataActor {
  return actorOf(request, requireAdmin(request));
}

/** Who makes a metadata change, and from where: what its METADATA_CHANGE audit record names. */
export function actorOf(request: FastifyRequest, principal: Principal): MetadataActor {
  const agent = request.headers['user-agent'];
  return {
    tenantId: principal.tenantId,
    id: principal.userId,
    name: principal.username,
    ip: request.ip,
    userAgent: typeof agent === 'string' ? agent : null,
    traceId: request.id,
  };
}
