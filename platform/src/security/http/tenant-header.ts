import type { FastifyRequest } from 'fastify';
import { BadRequestError } from '../../crud/errors';

export const TENANT_HEADER = 'x-tenant-id';
/** The tenant ids a request may name: as stored in every `tenant_id` column. */
export const TENANT_PATTERN = /^[A-Za-z0-9_-]{1,32}$/;

/**
 * The tenant a development request (`MES_AUTH=off`) names in `X-Tenant-ID`, or the default tenant.
 * A signed-in request's tenant always comes from its token, never from a header.
 */
export function tenantHeader(request: FastifyRequest, defaultTenant: string): string {
  const header = request.headers[TENANT_HEADER];
  const tenantId = (Array.isArray(header) ? header[0] : header)?.trim() || defaultTenant;
  if (TENANT_PATTERN.test(tenantId)) return tenantId;
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
