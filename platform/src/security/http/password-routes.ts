import type { FastifyInstance, FastifyRequest } from 'fastify';
import { BadRequestError, ForbiddenError } from '../../crud/errors';
import { successEnvelope } from '../../crud/http/envelope';
import { AuthenticationError } from '../auth/auth-errors';
import type { AuthService, ClientMeta } from '../auth/auth.service';
import type { PasswordActor } from '../auth/password-service';
import { holds } from '../authorization/access';
import type { Principal } from '../principal';
import { principalContext } from './request-principal';
import type { RecordAccess } from './register-security';
import { PUBLIC_ROUTE } from './route-access';

/** The public route where a user sets their own password with an invitation or reset link. */
export const PASSWORD_RESET_ROUTE = '/api/auth/password-reset';
/** The public route where a user who forgot their password asks for a reset link by e-mail. */
export const PASSWORD_RESET_REQUEST_ROUTE = '/api/auth/password-reset-request';

export interface PasswordRoutesOptions {
  auth: AuthService;
  /** Tenant of a reset request that names none. */
  defaultTenant: string;
  /** The secured engine: a reset needs the target user inside the caller's row scope. */
  records?: RecordAccess;
}

/** Permission of an administrator's password reset: the `reset_password` action of `user`. */
export const RESET_PASSWORD_PERMISSION = 'user:reset_password';

/**
 * `POST /api/auth/change-password` `{currentPassword, newPassword}`: the signed-in user's own
 * password; a wrong current password counts toward the login throttle. `POST /api/users/:id/password`
 * `{newPassword}`: an administrator's reset, needing `user:reset_password` and the user inside the
 * caller's row scope (404 otherwise). Both enforce the password policy and sign the user out of every
 * session (refresh tokens revoked). Neither is public.
 *
 * `POST /api/users/:id/password-link` `{purpose: 'invite' | 'reset', send?: boolean}`: a one-time link
 * for the user to set their own password, with the same permission and scope as a reset; the answer
 * carries the token once, or with `send: true` the link is e-mailed to the user and the answer names
 * the address, masked. `POST /api/auth/password-reset-request` `{username, tenant?}` (public, on the
 * login budget): a user who forgot their password asks for a reset link by e-mail; the answer is the
 * same whether or not the account exists. `POST /api/auth/password-reset` `{token, newPassword}`
 * (public, on the login budget): the user redeems a link.
 */
export function registerPasswordRoutes(fastify: FastifyInstance, options: PasswordRoutesOptions): void {
  fastify.post('/api/auth/change-password', async (request) => {
    const principal = requirePrincipal(request);
    const body = objectBody(request);
    const result = await options.auth.passwords.changeOwn(
      actorOf(principal),
      requiredString(body, 'currentPassword'),
      requiredString(body, 'newPassword'),
      clientMeta(request),
    );
    return successEnvelope({ refreshTokensRevoked: result.refreshTokensRevoked }, request.id);
  });

  fastify.post<{ Params: { id: string } }>('/api/users/:id/password', async (request) => {
    const principal = requirePrincipal(request);
    const id = await userInScope(request, principal, options);
    const newPassword = requiredString(objectBody(request), 'newPassword');
    const result = await options.auth.passwords.reset(
      actorOf(principal),
      String(id),
      newPassword,
      clientMeta(request),
    );
    return successEnvelope(
      { userId: result.userId, username: result.username, refreshTokensRevoked: result.refreshTokensRevoked },
      request.id,
    );
  });

  fastify.post<{ Params: { id: string } }>('/api/users/:id/password-link', async (request) => {
    const principal = requirePrincipal(request);
    const id = await userInScope(request, principal, options);
    const purpose = objectBody(request).purpose ?? 'reset';
    if (purpose !== 'invite' && purpose !== 'reset')
      throw new BadRequestError("purpose must be 'invite' or 'reset'", {
        errors: [
          {
            field: 'purpose',
            path: '/purpose',
            rule: 'enum',
            message: "purpose must be 'invite' or 'reset'",
          },
        ],
      });
    const send = objectBody(request).send ?? false;
    if (typeof send !== 'boolean')
      throw new BadRequestError('send must be a boolean', {
        errors: [{ field: 'send', path: '/send', rule: 'type', message: 'send must be a boolean' }],
      });
    const passwords = options.auth.passwords;
    return successEnvelope(
      send
        ? await passwords.sendLink(actorOf(principal), String(id), purpose)
        : await passwords.issueLink(actorOf(principal), String(id), purpose),
      request.id,
    );
  });

  fastify.post(PASSWORD_RESET_REQUEST_ROUTE, { config: PUBLIC_ROUTE }, async (request, reply) => {
    const body = objectBody(request);
    const username = requiredString(body, 'username');
    const tenant = body.tenant === undefined ? options.defaultTenant : requiredString(body, 'tenant');
    options.auth.passwords.requestReset(tenant, username, clientMeta(request));
    return reply
      .code(202)
      .send(
        successEnvelope(
          { message: 'If the account exists and has an e-mail address, a reset link is on its way' },
          request.id,
        ),
      );
  });

  fastify.post(PASSWORD_RESET_ROUTE, { config: PUBLIC_ROUTE }, async (request) => {
    const body = objectBody(request);
    const token = requiredString(body, 'token');
    const newPassword = requiredString(body, 'newPassword');
    const result = await options.auth.passwords.redeemLink(token, newPassword, clientMeta(request));
    return successEnvelope({ username: result.username }, request.id);
  });
}

/** The `:id` of a user the caller may set the password of: `user:reset_password` and the user in the caller's row scope (404 otherwise). */
async function userInScope(
  request: FastifyRequest<{ Params: { id: string } }>,
  principal: Principal,
  options: PasswordRoutesOptions,
): Promise<number> {
  const model = options.records?.models.current() ?? options.auth.model();
  if (!holds(principal, model, RESET_PASSWORD_PERMISSION))
    throw new ForbiddenError(`Permission '${RESET_PASSWORD_PERMISSION}' required`);
  const id = Number(request.params.id);
  if (!Number.isSafeInteger(id) || id <= 0)
    throw new BadRequestError('id must be a positive integer', {
      errors: [{ field: 'id', path: '/params/id', rule: 'type', message: 'id must be a positive integer' }],
    });
  if (options.records) {
    const ctx = principalContext(request, principal, model);
    await options.records.operations.get('user', id, ctx, { fields: ['id'] });
  }
  return id;
}

function requirePrincipal(request: FastifyRequest): Principal {
  const principal = (request as FastifyRequest & { principal?: Principal }).principal;
  if (!principal) throw new AuthenticationError();
  return principal;
}

function actorOf(principal: Principal): PasswordActor {
  return { tenantId: principal.tenantId, userId: principal.userId, username: principal.username };
}

function clientMeta(request: FastifyRequest): ClientMeta {
  const agent = request.headers['user-agent'];
  return { ip: request.ip, userAgent: typeof agent === 'string' ? agent : null, traceId: request.id };
}

function objectBody(request: FastifyRequest): Record<string, unknown> {
  const body = request.body;
  if (body === null || typeof body !== 'object' || Array.isArray(body))
    throw new BadRequestError('The body must be a JSON object');
  return body as Record<string, unknown>;
}

/** The password fields: present strings of at most 1024 characters (longer ones are refused unhashed). */
function requiredString(body: Record<string, unknown>, field: string): string {
  const value = body[field];
  const problem =
    typeof value !== 'string' || value.length === 0
      ? { rule: 'required', message: `${field} is required (a string)` }
      : value.length > 1024
        ? { rule: 'maxLength', limit: 1024, message: `${field} must be at most 1024 characters` }
        : null;
  if (problem)
    throw new BadRequestError(problem.message, { errors: [{ field, path: `/${field}`, ...problem }] });
  return value as string;
}
