import type { FastifyRequest } from 'fastify';
import { ApiError } from '../../../platform/src/crud/errors';
import { requireAdmin } from '../../../platform/src/plugins/admin-access';

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

  it('trusts requests when authentication is off (no principal)', () => {
    expect(() => requireAdmin(requestOf(null))).not.toThrow();
  });
});
