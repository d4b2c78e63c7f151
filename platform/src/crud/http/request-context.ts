/**
 * Builds the RequestContext of one HTTP request. The Model is captured here, once, so a hot swap in
 * the middle of a request never tears it. Tenant and user come from the request's principal, which
 * the authentication hook set; a request without one is refused, never trusted. The context carries
 * the principal's row and field rules for the write path and the client (name, IP, user agent) the
 * audit trail records.
 */
import type { FastifyRequest } from 'fastify';
import type { ModelRegistry } from '../../kernel/model-registry';
import { createRequestContext } from '../request-context';
import { AuthenticationError } from '../../security/auth/auth-errors';
import { writeAccessOf } from '../../security/authorization/write-access';
import { principalOfRequest } from '../../security/http/register-security';
import type { SecureContext } from '../../security/principal';

export function requestContext(request: FastifyRequest, registry: ModelRegistry): SecureContext {
  const principal = principalOfRequest(request);
  if (!principal) throw new AuthenticationError('Authentication required');
  const ctx = createRequestContext(registry, {
    tenantId: principal.tenantId,
    userId: principal.userId,
    traceId: request.id,
  });
  const agent = request.headers['user-agent'];
  return {
    ...ctx,
    principal,
    client: {
      actorName: principal.username,
      ip: request.ip,
      userAgent: typeof agent === 'string' ? agent : null,
    },
    access: writeAccessOf(principal, ctx.model),
  };
}
