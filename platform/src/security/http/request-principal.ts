import type { FastifyRequest } from 'fastify';
import type { Principal } from '../principal';

/** The principal the bearer token of this request proved, set by the authentication hook. */
export function principalOfRequest(request: FastifyRequest): Principal | undefined {
  return (request as FastifyRequest & { principal?: Principal }).principal;
}

export function setPrincipal(request: FastifyRequest, principal: Principal): void {
  (request as FastifyRequest & { principal?: Principal }).principal = principal;
}
