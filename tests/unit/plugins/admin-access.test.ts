import type { FastifyRequest } from 'fastify';
import { HttpException } from '@nestjs/common';
import { ApiError } from '../../../platform/src/crud/errors';
import { adminActor, requireAdmin } from '../../../platform/src/plugins/admin-access';

const requestOf = (roles: string[] | null) =>
  ({
    ...(roles ? { principal: { userId: '7', username: 'ada', tenantId: 'DEMO', roles } } : {}),
    ip: '10.0.0.9',
    id: 'trace-1',
    headers: { 'user-agent': 'probe/1' },
  }) as unknown as FastifyRequest;

function caught(work: () => unknown): unknown {
  try {
    work();
  } catch (error) {
    return error;
  }
  throw new Error('expected a refusal');
}

describe('requireAdmin', () => {
  it('lets an authenticated admin through', () => {
    expect(requireAdmin(requestOf(['operator', 'admin']))).toMatchObject({ userId: '7' });
  });

  it('refuses an authenticated non-admin with 403 FORBIDDEN', () => {
    const error = caught(() => requireAdmin(requestOf(['operator'])));
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ code: 'FORBIDDEN', httpStatus: 403 });
  });

  it('refuses a request without a principal with 401', () => {
    const error = caught(() => requireAdmin(requestOf(null)));
    expect(error).toBeInstanceOf(HttpException);
    expect((error as HttpException).getStatus()).toBe(401);
  });
});

describe('adminActor', () => {
  it('names the admin, the client address, user agent and trace', () => {
    expect(adminActor(requestOf(['admin']))).toEqual({
      tenantId: 'DEMO',
      id: '7',
      name: 'ada',
      ip: '10.0.0.9',
      userAgent: 'probe/1',
      traceId: 'trace-1',
    });
  });

  it('refuses like requireAdmin', () => {
    expect((caught(() => adminActor(requestOf(null))) as HttpException).getStatus()).toBe(401);
  });
});
