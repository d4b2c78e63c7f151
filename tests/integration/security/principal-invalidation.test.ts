/**
 * A change to what an access token carries — a user's roles, the account's status, a role, the
 * departments and lines that scopes cover — refuses
 * the tokens issued before it at once (401 TOKEN_STALE), without a database read per request; the
 * refresh reads the principal afresh, and a disabled account's refresh is refused (ACCOUNT_INACTIVE).
 * Two instances sharing Redis: a change made through one refuses the old token on the other.
 */
import { Writable } from 'node:stream';
import { startServer, type RunningServer } from '../../../platform/src/bootstrap/start-server';
import { currentPrincipalVersion } from '../../../platform/src/security/auth/principal-invalidation-store';
import { PrincipalInvalidations } from '../../../platform/src/security/auth/principal-invalidations';
import type { Principal } from '../../../platform/src/security/principal';
import { waitFor } from '../../support/wait-for';
import { PASSWORD, startSecurityServer, type Dialect, type SecurityServer } from './security-server';
import { TEST_DIALECTS } from '../../support/test-dialects';

interface Pair {
  accessToken: string;
  refreshToken: string;
}
type Row = Record<string, unknown> & { id: number; version: number };

async function signIn(server: RunningServer, username: string): Promise<Pair> {
  const response = await server.app.inject({
    method: 'POST',
    url: '/api/auth/login',
    payload: { username, password: PASSWORD },
  });
  expect(response.statusCode).toBe(200);
  return response.json().data as Pair;
}

async function send(server: RunningServer, token: string, method: string, url: string, payload?: object) {
  const response = await server.app.inject({
    method: method as 'GET',
    url,
    payload,
    headers: { authorization: `Bearer ${token}` },
  });
  return {
    status: response.statusCode,
    body: response.json() as { code: string; message: string; data: unknown },
  };
}

async function refresh(server: RunningServer, pair: Pair) {
  const response = await server.app.inject({
    method: 'POST',
    url: '/api/auth/refresh',
    payload: { refreshToken: pair.refreshToken },
  });
  return { status: response.statusCode, body: response.json() as { code: string; data: Pair } };
}

async function userRow(sec: SecurityServer, username: string): Promise<Row> {
  const found = await sec.call('admin', 'GET', `/api/users?filter[username][eq]=${username}`);
  return (found.json().data as { items: Row[] }).items[0]!;
}

describe.each<Dialect>(TEST_DIALECTS)('principal invalidation on %s', (dialect) => {
  let sec: SecurityServer;

  beforeAll(async () => {
    sec = await startSecurityServer(dialect, 'pinv');
  }, 120_000);
  afterAll(async () => {
    await sec?.stop();
  });

  it('a role removed from the planner refuses the planner’s token at once; the refresh drops the role', async () => {
    const planner = await signIn(sec.server, 'planner');
    expect((await send(sec.server, planner.accessToken, 'GET', '/api/work-orders')).status).toBe(200);
    const row = await userRow(sec, 'planner');
    const changed = await sec.call('admin', 'PATCH', `/api/users/${row.id}`, {
      roles: [],
      version: row.version,
    });
    expect(changed.statusCode).toBe(200);

    const refused = await send(sec.server, planner.accessToken, 'GET', '/api/work-orders');
    expect(refused).toMatchObject({ status: 401, body: { code: 'TOKEN_STALE' } });
    expect(refused.body.message).toMatch(/permissions changed/);

    const renewed = await refresh(sec.server, planner);
    expect(renewed.status).toBe(200);
    const me = await send(sec.server, renewed.body.data.accessToken, 'GET', '/api/auth/me');
    expect(me.status).toBe(200);
    expect((me.body.data as { roles: string[] }).roles).toEqual([]);
    expect((await send(sec.server, renewed.body.data.accessToken, 'GET', '/api/work-orders')).status).toBe(
      403,
    );
  });

  it('a disabled operator’s token is refused at once and the refresh is refused too', async () => {
    const operator = await signIn(sec.server, 'operator');
    expect((await send(sec.server, operator.accessToken, 'GET', '/api/auth/me')).status).toBe(200);
    const row = await userRow(sec, 'operator');
    const disabled = await sec.call('admin', 'POST', `/api/users/${row.id}/actions/deactivate`, {
      reason: 'Left the company',
    });
    expect(disabled.statusCode).toBe(201);

    expect(await send(sec.server, operator.accessToken, 'GET', '/api/auth/me')).toMatchObject({
      status: 401,
      body: { code: 'TOKEN_STALE' },
    });
    expect(await refresh(sec.server, operator)).toMatchObject({
      status: 401,
      body: { code: 'ACCOUNT_INACTIVE' },
    });
  });

  it('a role deactivated refuses its holders’ tokens only; a change that grants nothing refuses none', async () => {
    const mplanner = await signIn(sec.server, 'mplanner');
    const engineer = await signIn(sec.server, 'engineer');
    const engineerRow = await userRow(sec, 'engineer');
    // A phone number changes nothing the token carries.
    const phone = await sec.call('admin', 'PATCH', `/api/users/${engineerRow.id}`, {
      phone: '13800000000',
      version: engineerRow.version,
    });
    expect(phone.statusCode).toBe(200);
    expect((await send(sec.server, engineer.accessToken, 'GET', '/api/auth/me')).status).toBe(200);

    const roles = await sec.call('admin', 'GET', '/api/roles?filter[roleCode][eq]=maintenance_planner');
    const role = (roles.json().data as { items: Row[] }).items[0]!;
    const off = await sec.call('admin', 'PATCH', `/api/roles/${role.id}`, {
      status: 'INACTIVE',
      version: role.version,
    });
    expect(off.statusCode).toBe(200);
    expect(await send(sec.server, mplanner.accessToken, 'GET', '/api/auth/me')).toMatchObject({
      status: 401,
      body: { code: 'TOKEN_STALE' },
    });
    expect((await send(sec.server, engineer.accessToken, 'GET', '/api/auth/me')).status).toBe(200);
    const renewed = await refresh(sec.server, mplanner);
    expect(renewed.status).toBe(200);
    const me = await send(sec.server, renewed.body.data.accessToken, 'GET', '/api/auth/me');
    expect((me.body.data as { roles: string[] }).roles).not.toContain('maintenance_planner');
  });

  it('an administrator’s password reset ends the user’s access tokens too', async () => {
    const buyer = await signIn(sec.server, 'buyer');
    const row = await userRow(sec, 'buyer');
    const reset = await sec.call('admin', 'POST', `/api/users/${row.id}/password`, {
      newPassword: 'Fresh-Passw0rd-2026!',
    });
    expect(reset.statusCode).toBeLessThan(300);
    expect(await send(sec.server, buyer.accessToken, 'GET', '/api/auth/me')).toMatchObject({
      status: 401,
      body: { code: 'TOKEN_STALE' },
    });
  });

  it('a department or line created, moved or deleted refuses every token of the tenant at once', async () => {
    // Signed in once each (logins are rate-limited); every change refuses both tokens, and each
    // step goes on with the refreshed ones.
    let admin = await signIn(sec.server, 'admin');
    let engineer = await signIn(sec.server, 'engineer');
    const asAdmin = async (method: string, url: string, body?: object) => {
      const answer = await send(sec.server, admin.accessToken, method, url, body);
      expect(answer.status).toBeLessThan(300);
      return answer.body.data as Row;
    };
    /** Runs the change; the engineer, who is no part of it, finds the token stale until refreshed. */
    const refusesTokens = async <T>(change: () => Promise<T>): Promise<T> => {
      expect((await send(sec.server, engineer.accessToken, 'GET', '/api/auth/me')).status).toBe(200);
      const result = await change();
      for (const pair of [engineer, admin])
        expect(await send(sec.server, pair.accessToken, 'GET', '/api/auth/me')).toMatchObject({
          status: 401,
          body: { code: 'TOKEN_STALE' },
        });
      const [renewedEngineer, renewedAdmin] = [
        await refresh(sec.server, engineer),
        await refresh(sec.server, admin),
      ];
      expect([renewedEngineer.status, renewedAdmin.status]).toEqual([200, 200]);
      engineer = renewedEngineer.body.data;
      admin = renewedAdmin.body.data;
      return result;
    };
    const parent = await refusesTokens(() =>
      asAdmin('POST', '/api/departments', { deptCode: 'PINV_QA', deptName: 'Quality' }),
    );
    const child = await refusesTokens(() =>
      asAdmin('POST', '/api/departments', { deptCode: 'PINV_LAB', deptName: 'Lab' }),
    );
    await refusesTokens(() =>
      asAdmin('PATCH', `/api/departments/${child.id}`, { parentId: parent.id, version: child.version }),
    );
    await refusesTokens(() => asAdmin('DELETE', `/api/departments/${child.id}`));
    // A plant is in no token until a line or user names it: creating one refuses none.
    const plant = await asAdmin('POST', '/api/plants', { plantCode: 'PINV-P', plantName: 'Plant P' });
    expect((await send(sec.server, engineer.accessToken, 'GET', '/api/auth/me')).status).toBe(200);
    const line = await refusesTokens(() =>
      asAdmin('POST', '/api/production-lines', { lineCode: 'PINV1', lineName: 'Line 1', plantId: plant.id }),
    );
    await refusesTokens(() => asAdmin('DELETE', `/api/production-lines/${line.id}`));
  });

  it('a restarted instance remembers the invalidations: they are loaded from the database', async () => {
    const fresh = new PrincipalInvalidations(sec.database, { retainMs: 15 * 60_000, reloadMs: 0 });
    await fresh.start();
    const planner = await signIn(sec.server, 'planner');
    const principal = (await send(sec.server, planner.accessToken, 'GET', '/api/auth/me')).body.data as {
      user: { id: string };
    };
    const asIssued: Principal = {
      userId: principal.user.id,
      username: 'planner',
      tenantId: 'DEMO',
      roles: ['production_planner'],
      grantedPermissions: [],
      departmentIds: [],
      departmentTreeIds: [],
      lineIds: [],
      plantIds: [],
      supplierId: null,
    };
    // Issued before the roles were taken away (version 0), and by the fresh sign-in's version.
    expect(fresh.isStale(asIssued, 0)).toBe(true);
    const version = await currentPrincipalVersion(sec.database.executor(), 'DEMO');
    expect(version).toBeGreaterThan(0);
    expect(fresh.isStale(asIssued, version)).toBe(false);
    await fresh.close();
  });
});

const quiet = new Writable({ write: (_chunk, _encoding, done) => done() });

describe('principal invalidation across two instances sharing Redis (mysql)', () => {
  let a: SecurityServer;
  let b: RunningServer;

  beforeAll(async () => {
    // No reload from the database within the test: only the Redis message can tell instance B.
    a = await startSecurityServer('mysql', 'pinv2', {
      REDIS_URL: 'redis://127.0.0.1:6379',
      QUEUE_PREFIX: `pinv${process.pid}`,
      MES_PRINCIPAL_RELOAD_SECONDS: '3600',
    });
    b = await startServer({ env: a.env, listen: false, logDestination: quiet });
  }, 120_000);
  afterAll(async () => {
    await b?.close();
    await a?.stop();
  });

  it('a role removed through instance A refuses the old token on instance B', async () => {
    const planner = await signIn(b, 'planner');
    expect((await send(b, planner.accessToken, 'GET', '/api/work-orders')).status).toBe(200);
    const row = await userRow(a, 'planner');
    const changed = await a.call('admin', 'PATCH', `/api/users/${row.id}`, {
      roles: [],
      version: row.version,
    });
    expect(changed.statusCode).toBe(200);
    await waitFor(
      'instance B to refuse the planner’s old token',
      async () => (await send(b, planner.accessToken, 'GET', '/api/work-orders')).status === 401,
    );
    expect(await send(b, planner.accessToken, 'GET', '/api/work-orders')).toMatchObject({
      body: { code: 'TOKEN_STALE' },
    });
    const renewed = await refresh(b, planner);
    expect(renewed.status).toBe(200);
    expect((await send(b, renewed.body.data.accessToken, 'GET', '/api/work-orders')).status).toBe(403);
  });
});
