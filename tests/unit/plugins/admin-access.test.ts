import type { FastifyRequest } from 'fastify';
import { ApiError } from '../../../platform/src/crud/errors';
import { requireAdmin } from '../../../platform/src/plugins/admin-access';
import { AuthenticationError } from '../../../platform/src/security/auth/auth-errors';

const requestOf = (roles: string[] | null) =>
  (roles ? { principal: { roles } } : {}) as unknown as FastifyRequest;

describe('requireAdmin', () => {
  it('lets an authenticated admin through', () => {
    expect(() => requireAdmin(requestOf(['operator', 'admin']))).not.toThrow();
  });

  it('refuses an authenticated non-admin with 403 FORBIDDEN', () => {
    let caught: unknown;
    try {
      requireAdmin(requestOf(['operator']));
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ApiError);
    expect(caught).toMatchObject({ code: 'FORBIDDEN', httpStatus: 403 });
  });

  it('refuses a request without a principal with 401, never trusting it', () => {
    expect(() => requireAdmin(requestOf(null))).toThrow(AuthenticationError);
  });
});
