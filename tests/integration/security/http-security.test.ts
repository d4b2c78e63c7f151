import Fastify, { type FastifyInstance } from 'fastify';
import { AuthService } from '../../../platform/src/security/auth/auth.service';
import { seedDemoSecurity } from '../../../platform/src/security/demo-seed';
import {
  principalOfRequest,
  registerSecurity,
  type SecurityHttpOptions,
} from '../../../platform/src/security/http/register-security';
import { PUBLIC_ROUTE } from '../../../platform/src/security/http/route-access';
import { coreModel } from '../../fixtures/security/core-model';
import {
  openSecurityDatabase,
  type SecurityTestDatabase,
  type TestDialect,
} from '../../fixtures/security/database';
import { TEST_DIALECTS } from '../../support/test-dialects';

const TABLES = [
  'audit_log',
  'sys_user',
  'sys_user_lines',
  'sys_user_plants',
  'sys_user_role',
  'sys_role',
  'sys_role_permission',
  'sys_permission',
  'sys_dept',
  // /me adds the menu entries the tenant created.
  'sys_menu',
];
const PASSWORD = 'Demo-Passw0rd!';

describe.each<TestDialect>(TEST_DIALECTS)('HTTP authentication and hardening on %s', (dialect) => {
  let database: SecurityTestDatabase;
  let app: FastifyInstance;

  /** A Fastify instance with the security layer over the test database, as the server registers it. */
  const securedApp = async (options: Partial<SecurityHttpOptions>): Promise<FastifyInstance> => {
    const secured = Fastify();
    await registerSecurity(secured, {
      auth: new AuthService(database.db, coreModel, { jwtSecret: 'jwt-secret-for-tests-0123456789abcdef' }),
      defaultTenant: 'DEMO',
      corsOrigins: [],
      ...options,
    });
    return secured;
  };

  beforeAll(async () => {
    database = await openSecurityDatabase(dialect, 'http', TABLES);
    await seedDemoSecurity(database.db, coreModel(), 'DEMO', { MES_DEMO_PASSWORD: PASSWORD });
    app = await securedApp({ corsOrigins: ['https://mes.example.com'], loginPerMinute: 5 });
    app.get('/api/work-orders', async (request) => ({ user: principalOfRequest(request)?.username }));
    app.get('/health', { config: PUBLIC_ROUTE }, async () => ({ ok: true }));
    app.get('/internal/report', async (request) => ({ user: principalOfRequest(request)?.username }));
    await app.ready();
  });
  afterAll(async () => {
    await app?.close();
    await database?.close();
  });

  const login = (username: string, password = PASSWORD) =>
    app.inject({ method: 'POST', url: '/api/auth/login', payload: { username, password } });

  it('refuses the API without a token, with a forged one and with alg none; health stays public', async () => {
    const none = await app.inject({ url: '/api/work-orders' });
    expect(none.statusCode).toBe(401);
    expect(none.json()).toMatchObject({ code: 'UNAUTHORIZED' });
    const forged = await app.inject({ url: '/api/work-orders', headers: { authorization: 'Bearer a.b.c' } });
    expect(forged.statusCode).toBe(401);
    const unsigned = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from('{"sub":"1","tid":"DEMO","exp":9999999999}').toString('base64url')}.`;
    expect(
      (await app.inject({ url: '/api/work-orders', headers: { authorization: `Bearer ${unsigned}` } }))
        .statusCode,
    ).toBe(401);
    expect((await app.inject({ url: '/health' })).statusCode).toBe(200);
  });

  it('treats every route not declared public as private, wherever it lives and however it is spelled', async () => {
    expect((await app.inject({ url: '/internal/report' })).statusCode).toBe(401);
    expect((await app.inject({ url: '/%69nternal/report' })).statusCode).toBe(401);
    expect((await app.inject({ url: '/%61pi/work-orders' })).statusCode).toBe(401);
    expect((await app.inject({ url: '/ap%69/work-orders' })).statusCode).toBe(401);
  });

  it('logs in, authenticates the API and answers /me', async () => {
    const response = await login('planner');
    expect(response.statusCode).toBe(200);
    const { accessToken } = response.json().data as { accessToken: string };
    const headers = { authorization: `Bearer ${accessToken}` };
    expect((await app.inject({ url: '/api/work-orders', headers })).json()).toEqual({ user: 'planner' });
    const me = (await app.inject({ url: '/api/auth/me', headers })).json().data as {
      roles: string[];
      permissions: string[];
    };
    expect(me.roles).toEqual(['production_planner']);
    expect(me.permissions.length).toBeGreaterThan(0);
  });

  it('sets security headers and answers CORS only for allowed origins', async () => {
    const response = await app.inject({ url: '/health', headers: { origin: 'https://mes.example.com' } });
    expect(response.headers).toMatchObject({
      'x-content-type-options': 'nosniff',
      'x-frame-options': 'DENY',
      'access-control-allow-origin': 'https://mes.example.com',
    });
    const foreign = await app.inject({
      method: 'OPTIONS',
      url: '/api/work-orders',
      headers: { origin: 'https://evil.example' },
    });
    expect(foreign.statusCode).toBe(403);
    expect(foreign.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('sends exactly the hardening headers: this CSP, permissions policy, no HSTS', async () => {
    const response = await app.inject({ url: '/health' });
    const directives = String(response.headers['content-security-policy'])
      .split(';')
      .map((directive) => directive.trim())
      .sort();
    expect(directives).toEqual([
      "base-uri 'self'",
      "default-src 'self'",
      "frame-ancestors 'none'",
      'frame-src blob:',
      "img-src 'self' data: blob:",
      "script-src 'self'",
      "style-src 'self' 'unsafe-inline'",
    ]);
    expect(response.headers).toMatchObject({
      'referrer-policy': 'no-referrer',
      'cross-origin-opener-policy': 'same-origin',
      'permissions-policy': 'camera=(), microphone=(), geolocation=()',
    });
    expect(response.headers['strict-transport-security']).toBeUndefined();
    expect(response.headers['cross-origin-resource-policy']).toBeUndefined();
  });

  it('answers an allowed preflight without a token and leaves foreign simple requests without CORS', async () => {
    const preflight = await app.inject({
      method: 'OPTIONS',
      url: '/api/work-orders',
      headers: { origin: 'https://mes.example.com', 'access-control-request-method': 'PATCH' },
    });
    expect(preflight.statusCode).toBe(204);
    expect(preflight.headers).toMatchObject({
      'access-control-allow-origin': 'https://mes.example.com',
      'access-control-allow-credentials': 'true',
      'access-control-allow-methods': 'GET, POST, PUT, PATCH, DELETE',
      'access-control-allow-headers': 'authorization, content-type, x-trace-id',
      'access-control-max-age': '600',
    });
    expect(String(preflight.headers.vary)).toContain('Origin');
    const foreign = await app.inject({ url: '/health', headers: { origin: 'https://evil.example' } });
    expect(foreign.statusCode).toBe(200);
    expect(foreign.headers['access-control-allow-origin']).toBeUndefined();
    const refused = await app.inject({
      method: 'OPTIONS',
      url: '/api/work-orders',
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'GET' },
    });
    expect(refused.statusCode).toBe(403);
    expect(refused.json()).toMatchObject({
      code: 'FORBIDDEN',
      message: 'Origin https://evil.example is not allowed',
    });
  });

  it('without an allowlist refuses every preflight and answers other requests without CORS headers', async () => {
    const sameOrigin = await securedApp({ corsOrigins: [] });
    sameOrigin.get('/health', { config: PUBLIC_ROUTE }, async () => ({ ok: true }));
    try {
      const preflight = await sameOrigin.inject({
        method: 'OPTIONS',
        url: '/api/work-orders',
        headers: { origin: 'https://mes.example.com', 'access-control-request-method': 'GET' },
      });
      expect(preflight.statusCode).toBe(403);
      expect(preflight.json()).toMatchObject({
        code: 'FORBIDDEN',
        message: 'Origin https://mes.example.com is not allowed',
      });
      const simple = await sameOrigin.inject({
        url: '/health',
        headers: { origin: 'https://mes.example.com' },
      });
      expect(simple.statusCode).toBe(200);
      expect(simple.headers['access-control-allow-origin']).toBeUndefined();
      expect(simple.headers['x-content-type-options']).toBe('nosniff');
    } finally {
      await sameOrigin.close();
    }
  });

  it('rate-limits login attempts per client', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++) statuses.push((await login('nobody', 'wrong')).statusCode);
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThan(0);
  });

  it('rejects a login body without credentials with 400', async () => {
    const response = await app.inject({ method: 'POST', url: '/api/auth/refresh', payload: {} });
    expect(response.statusCode).toBe(400);
  });
});
