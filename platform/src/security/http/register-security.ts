/**
 * Hardening and authentication of the Fastify instance the server builds, in the order its hooks
 * run: security headers and the CORS allowlist, then rate limits and authentication; plus the
 * /api/auth routes and a record's audit history. Register before any route, so the route table is
 * complete and every route gets the hooks.
 */
import type { FastifyInstance } from 'fastify';
import type { AuthService } from '../auth/auth.service';
import { registerAuthRoutes } from './auth-routes';
import { registerPasswordRoutes } from './password-routes';
import { registerAuthentication } from './authentication';
import { registerCors, registerSecurityHeaders } from './headers-and-cors';
import { registerRateLimits } from './rate-limits';
import { registerAuditHistoryRoute, type RecordAccess } from './audit-history-route';
import { recordRoutes } from './route-access';

export { principalOfRequest } from './request-principal';
export type { RecordAccess } from './audit-history-route';

export interface SecurityHttpOptions {
  auth: AuthService;
  /**
   * `MES_AUTH=off` (development and tests only, refused in production): a request without a bearer
   * token acts as the development administrator in the tenant named by `X-Tenant-ID`. Every request
   * still carries a principal; nothing is ever decided for a request without one.
   */
  developmentAccess?: boolean;
  /** Tenant of a login that names none. */
  defaultTenant: string;
  /** Origins allowed to call the API from a browser; empty = same origin only. */
  corsOrigins: string[];
  /** Login attempts per client IP per minute. Default 10. */
  loginPerMinute?: number;
  /** API requests per client IP per minute. Default 1200. */
  apiPerMinute?: number;
  /** Redis holding the rate-limit counters, shared by every instance; unset = counted per instance. */
  redisUrl?: string | null;
  /** Prefix of the counters' Redis keys (`QUEUE_PREFIX`), so deployments sharing a Redis count apart. Default `mes`. */
  redisPrefix?: string;
  /** For `GET /api/<path>/:id/audit`. */
  records?: RecordAccess;
}

export async function registerSecurity(
  fastify: FastifyInstance,
  options: SecurityHttpOptions,
): Promise<void> {
  recordRoutes(fastify);
  await registerSecurityHeaders(fastify);
  await registerCors(fastify, options.corsOrigins);
  const limits = await registerRateLimits(fastify, {
    loginPerMinute: options.loginPerMinute ?? 10,
    apiPerMinute: options.apiPerMinute ?? 1200,
    redisUrl: options.redisUrl,
    redisPrefix: options.redisPrefix,
  });
  registerAuthentication(fastify, options, limits);
  if (options.records) registerAuditHistoryRoute(fastify, options.records);
  registerAuthRoutes(fastify, options);
  registerPasswordRoutes(fastify, options);
}
