import type { FastifyRequest } from 'fastify';
import type { Model } from '../../../../metadata/src/model';
import type { Principal, SecureContext } from '../principal';

/** The principal the bearer token of this request proved, set by the authentication hook. */
export function principalOfRequest(request: FastifyRequest): Principal | undefined {
  return (request as FastifyRequest & { principal?: Principal }).principal;
}

export function setPrincipal(request: FastifyRequest, principal: Principal): void {
  (request as FastifyRequest & { principal?: Principal }).principal = principal;
}

/** The context in which the security routes read records for the request's principal, against `model`. */
export function principalContext(request: FastifyRequest, principal: Principal, model: Model): SecureContext {
  return { tenantId: principal.tenantId, userId: principal.userId, traceId: request.id, model, principal };
}
