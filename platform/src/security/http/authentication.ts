/**
 * Authentication, deny by default and decided on the route the router matched: every route needs a
 * bearer token unless its route config declares it public (login, refresh, health, the browser app,
 * the API docs), however its URL is spelled. Login draws on the login budget, every authenticated
 * request on the API budget, before its token is checked. What the caller may do is decided behind
 * the routes, at the engine's secure decorators.
 */
import type { FastifyInstance } from 'fastify';
import { developmentPrincipal } from '../development-principal';
import type { Principal } from '../principal';
import { LOGIN_ROUTE } from './auth-routes';
import { PASSWORD_RESET_REQUEST_ROUTE, PASSWORD_RESET_ROUTE } from './password-routes';
import type { RateLimits } from './rate-limits';
import type { SecurityHttpOptions } from './register-security';
import { fail, sendError } from './replies';
import { setPrincipal } from './request-principal';
import { isPublicRoute } from './route-access';
import { tenantHeader } from './tenant-header';

/** Public routes that take a secret or send one: they draw on the login budget. */
const LOGIN_BUDGET = new Set([LOGIN_ROUTE, PASSWORD_RESET_ROUTE, PASSWORD_RESET_REQUEST_ROUTE]);

export function registerAuthentication(
  fastify: FastifyInstance,
  options: SecurityHttpOptions,
  limits: RateLimits,
): void {
  fastify.addHook('onRequest', async (request, reply) => {
    if (isPublicRoute(request)) {
      if (LOGIN_BUDGET.has(request.routeOptions.url ?? '')) return limits.login(request, reply);
      return;
    }
    const limited = await limits.api(request, reply);
    if (limited) return limited;
    const header = request.headers.authorization;
    const token = header?.startsWith('Bearer ') ? header.slice(7).trim() : '';
    let principal: Principal;
    try {
      if (token) principal = await options.auth.authenticate(token);
      else if (options.developmentAccess)
        principal = developmentPrincipal(tenantHeader(request, options.defaultTenant));
      else
        return fail(
          request,
          reply,
          401,
          'UNAUTHORIZED',
          'Authentication required: send Authorization: Bearer <access token>',
        );
    } catch (error) {
      return sendError(request, reply, error);
    }
    setPrincipal(request, principal);
  });
}
