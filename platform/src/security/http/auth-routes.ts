/**
 * The sign-in routes: login and refresh (public, login on its own rate limit), logout, the caller's
 * own profile and language preference (`PUT /api/auth/locale` `{locale: 'en' | 'zh'}`).
 */
import type { FastifyInstance } from 'fastify';
import { BadRequestError } from '../../crud/errors';
import { successEnvelope } from '../../crud/http/envelope';
import { principalOfRequest } from './request-principal';
import type { SecurityHttpOptions } from './register-security';
import { clientMeta, fail, objectBody, sendError, stringField } from './replies';
import { PUBLIC_ROUTE } from './route-access';

export const LOGIN_ROUTE = '/api/auth/login';

export function registerAuthRoutes(
  fastify: FastifyInstance,
  options: Pick<SecurityHttpOptions, 'auth' | 'defaultTenant'>,
): void {
  fastify.post(LOGIN_ROUTE, { config: PUBLIC_ROUTE }, async (request, reply) => {
    const body = objectBody(request);
    const username = stringField(body, 'username');
    const password = stringField(body, 'password');
    if (!username || !password)
      return fail(request, reply, 400, 'VALIDATION_FAILED', 'username and password are required');
    const tenant = stringField(body, 'tenant') ?? options.defaultTenant;
    try {
      return successEnvelope(
        await options.auth.login(tenant, username, password, clientMeta(request)),
        request.id,
      );
    } catch (error) {
      return sendError(request, reply, error);
    }
  });

  fastify.post('/api/auth/refresh', { config: PUBLIC_ROUTE }, async (request, reply) => {
    const refreshToken = stringField(objectBody(request), 'refreshToken');
    if (!refreshToken) return fail(request, reply, 400, 'VALIDATION_FAILED', 'refreshToken is required');
    try {
      return successEnvelope(await options.auth.refresh(refreshToken, clientMeta(request)), request.id);
    } catch (error) {
      return sendError(request, reply, error);
    }
  });

  fastify.post('/api/auth/logout', async (request, reply) => {
    const refreshToken = stringField(objectBody(request), 'refreshToken');
    if (!refreshToken) return fail(request, reply, 400, 'VALIDATION_FAILED', 'refreshToken is required');
    await options.auth.logout(refreshToken, principalOfRequest(request) ?? null, clientMeta(request));
    return successEnvelope(null, request.id);
  });

  fastify.put('/api/auth/locale', async (request, reply) => {
    const principal = principalOfRequest(request);
    if (!principal) return fail(request, reply, 401, 'UNAUTHORIZED', 'Authentication required');
    const locale = objectBody(request).locale;
    if (locale !== 'en' && locale !== 'zh')
      return sendError(
        request,
        reply,
        new BadRequestError("locale must be 'en' or 'zh'", {
          errors: [
            {
              field: 'locale',
              path: '/locale',
              rule: 'enum',
              limit: ['en', 'zh'],
              message: "locale must be 'en' or 'zh'",
            },
          ],
        }),
      );
    await options.auth.setLocale(principal, locale, clientMeta(request));
    return successEnvelope({ locale }, request.id);
  });

  fastify.get('/api/auth/me', async (request, reply) => {
    const principal = principalOfRequest(request);
    if (!principal) return fail(request, reply, 401, 'UNAUTHORIZED', 'Authentication required');
    return successEnvelope(await options.auth.me(principal), request.id);
  });
}
