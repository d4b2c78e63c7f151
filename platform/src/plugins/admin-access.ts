import type { FastifyRequest } from 'fastify';
import { ForbiddenError } from '../crud/errors';
import { AuthenticationError } from '../security/auth/auth-errors';
import { principalOfRequest } from '../security/http/register-security';

/** The role allowed to change plugins and extension fields. */
export const PLATFORM_ADMIN_ROLE = 'admin';

/** Runtime extensions change the system for everyone, so only signed-in administrators may make them. */
export function requireAdmin(request: FastifyRequest): void {
  const principal = principalOfRequest(request);
  if (!principal) throw new AuthenticationError('Authentication required');
  if (!principal.roles.includes(PLATFORM_ADMIN_ROLE))
    throw new ForbiddenError(`Only the ${PLATFORM_ADMIN_ROLE} role may change plugins and extension fields`, {
      required: PLATFORM_ADMIN_ROLE,
    });
}
