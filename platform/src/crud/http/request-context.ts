/**
 * Builds the RequestContext of one HTTP request. The Model is captured here, once, so a hot swap in
 * the middle of a request never tears it. Until JWT tenancy (issue #5) lands, the tenant comes from
 * the `X-Tenant-ID` header and defaults to the configured demo tenant.
 */
import type { FastifyRequest } from 'fastify';
import { BadRequestError } from '../errors';
import type { ModelRegistry } from '../../kernel/model-registry';
import { createRequestContext } from '../request-context';
import { principalOfRequest } from '../../security/http/register-security';
import type { SecureContext } from '../../security/principal';
import type { RequestContext } from '../types';

export const TENANT_HEADER = 'x-tenant-id';
const TENANT_PATTERN = /^[A-Za-z0-9_-]{1,32}$/;

export function requestContext(
  request: FastifyRequest,
  registry: ModelRegistry,
  defaultTenant: string,
): RequestContext {
  // An authenticated request's tenant and user come from its token, never from a header.
  const principal = principalOfRequest(request);
  if (principal) {
    const ctx = createRequestContext(registry, {
      tenantId: principal.tenantId,
      userId: principal.userId,
      traceId: request.id,
    });
    const secure: SecureContext = { ...ctx, principal };
    return secure;
  }
  const header = request.headers[TENANT_HEADER];
  const tenantId = (Array.isArray(header) ? header[0] : header)?.trim() || defaultTenant;
  if (!TENANT_PATTERN.test(tenantId)) {
    throw new BadRequestError(`Header X-Tenant-ID must match ${TENANT_PATTERN.source}`, {
      errors: [
        {
          field: TENANT_HEADER,
          path: `/headers/${TENANT_HEADER}`,
          rule: 'pattern',
          limit: TENANT_PATTERN.source,
          message: 'Invalid tenant id',
        },
      ],
    });
  }
  return createRequestContext(registry, { tenantId, userId: null, traceId: request.id });
}
