/**
 * Builds the RequestContext of one HTTP request. The Model is captured here, once, so a hot swap in
 * the middle of a request never tears it. Tenant and user come from the request's principal, which
 * the authentication hook set; a request without one is refused, never trusted.
 */
import type { FastifyRequest } from 'fastify';
import type { ModelRegistry } from '../../kernel/model-registry';
import { createRequestContext } from '../request-context';
import { AuthenticationError } from '../../security/auth/auth-errors';
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
  return { ...ctx, principal };
}
