import { expectIntactAuditChain } from '../../support/sealed-audit';
import { AuthService } from '../../../platform/src/security/auth/auth.service';
import { CredentialVerifier } from '../../../platform/src/security/auth/credentials';
import { LoginThrottle } from '../../../platform/src/security/auth/login-throttle';
import { SqlLoginThrottleStore } from '../../../platform/src/security/auth/login-throttle-store';
import { DEMO_USERS, seedDemoSecurity } from '../../../platform/src/security/demo-seed';
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
  'sys_menu',
];
const PASSWORD = 'Demo-Passw0rd!';
const meta = { ip: '10.1.1.1', userAgent: 'jest', traceId: 'trace-auth' };

describe.each<TestDialect>(TEST_DIALECTS)('authentication on %s', (dialect) => {
  let database: SecurityTestDatabase;
  let auth: AuthService;

  beforeAll(async () => {
    database = await openSecurityDatabase(dialect, 'auth', TABLES);
    auth = new AuthService(database.db, coreModel, {
      jwtSecret: 'jwt-secret-for-tests-0123456789abcdef',
      credentials: new CredentialVerifier(
        database.db,
        coreModel,
        new LoginThrottle(new SqlLoginThrottleStore(database.db), {
          maxFailures: 3,
          lockSeconds: 600,
          accountFreeFailures: 3,
          maxDelaySeconds: 30,
        }),
      ),
    });
    const seeded = await seedDemoSecurity(database.db, coreModel(), 'DEMO', { MES_DEMO_PASSWORD: PASSWORD });
    expect(seeded).toEqual({ created: DEMO_USERS.map((u) => u.username), generatedPassword: null });
  });
  afterAll(async () => {
    await database?.close();
  });

  it('seeding again changes nothing; a generated password is returned only when users were created', async () => {
    expect(await seedDemoSecurity(database.db, coreModel(), 'DEMO', {})).toEqual({
      created: [],
      generatedPassword: null,
    });
    const other = await seedDemoSecurity(database.db, coreModel(), 'OTHER', {});
    expect(other.generatedPassword).toMatch(/^Demo-/);
    await expect(
      auth.login('OTHER', 'admin', other.generatedPassword as string, meta),
    ).resolves.toHaveProperty('accessToken');
  });

  it('logs in and carries the principal in the access token', async () => {
    const pair = await auth.login('DEMO', 'operator', PASSWORD, meta);
    expect(pair).toMatchObject({ tokenType: 'Bearer', expiresIn: 900 });
    const principal = await auth.authenticate(pair.accessToken);
    expect(principal).toMatchObject({ username: 'operator', tenantId: 'DEMO', roles: ['operator'] });
    const me = await auth.me(principal);
    expect(me.permissions).toEqual(expect.arrayContaining(['work_order:read', 'work_report:create']));
    expect(me.permissions).not.toContain('work_order:delete');
  });

  it('shows the menu entries the tenant added to whoever holds their permission', async () => {
    const sql = database.db.executor();
    const now = '2026-12-01 08:00:00';
    const insert = (code: string, parent: number | null, type: string, permission: string | null) =>
      sql.execute(
        `INSERT INTO sys_menu (tenant_id, menu_code, menu_name, menu_name_en, parent_id, menu_type, module_code,
           route_path, permission_code, sort_order, access_level, visible, keep_alive, status,
           created_at, created_by, updated_at, updated_by, version)
         VALUES ('DEMO', ?, ?, ?, ?, ?, 'production', ?, ?, 0, 'AUTHORIZED', 1, 0, 'ACTIVE', ?, 'admin', ?, 'admin', 1)`,
        [
          code,
          `菜单 ${code}`,
          `Menu ${code}`,
          parent,
          type,
          type === 'MENU' ? `/x/${code}` : null,
          permission,
          now,
          now,
        ],
      );
    const directory = await insert('SHIFT-BOARD', null, 'DIRECTORY', null);
    await insert('SHIFT-HANDOVER', Number(directory.insertId), 'MENU', 'work_report:create');
    await insert('PLANNING-ONLY', Number(directory.insertId), 'MENU', 'work_order:release');
    const menusOf = async (username: string) => {
      const pair = await auth.login('DEMO', username, PASSWORD, meta);
      return (await auth.me(await auth.authenticate(pair.accessToken))).menu as {
        menu: string;
        items: { id: string; route?: string }[];
      }[];
    };
    const operator = (await menusOf('operator')).find((menu) => menu.menu === 'SHIFT-BOARD');
    expect(operator?.items).toEqual([
      expect.objectContaining({ id: 'SHIFT-HANDOVER', route: '/x/SHIFT-HANDOVER' }),
    ]);
    const planner = (await menusOf('planner')).find((menu) => menu.menu === 'SHIFT-BOARD');
    expect(planner?.items.map((item) => item.id)).toEqual(['PLANNING-ONLY']);
  });

  it('refuses a wrong password with the same message as an unknown user, and the other tenant', async () => {
    await expect(auth.login('DEMO', 'planner', 'wrong', meta)).rejects.toThrow(
      'Invalid username or password',
    );
    await expect(auth.login('DEMO', 'nobody', PASSWORD, meta)).rejects.toThrow(
      'Invalid username or password',
    );
    await expect(auth.login('ELSEWHERE', 'planner', PASSWORD, meta)).rejects.toThrow(
      'Invalid username or password',
    );
  });

  it('locks the username for the failing client after repeated failures, even with the right password', async () => {
    for (let i = 0; i < 3; i++)
      await expect(auth.login('DEMO', 'clerk', 'wrong', meta)).rejects.toThrow('Invalid username');
    await expect(auth.login('DEMO', 'clerk', PASSWORD, meta)).rejects.toThrow('Too many attempts');
  });

  it('rotates refresh tokens and revokes the family when a spent token is reused', async () => {
    const first = await auth.login('DEMO', 'auditor', PASSWORD, meta);
    const second = await auth.refresh(first.refreshToken, meta);
    expect(second.refreshToken).not.toBe(first.refreshToken);
    const third = await auth.refresh(second.refreshToken, meta);
    await expect(auth.refresh(first.refreshToken, meta)).rejects.toThrow('reused');
    await expect(auth.refresh(third.refreshToken, meta)).rejects.toThrow('revoked');
  });

  it('logout revokes the refresh token', async () => {
    const pair = await auth.login('DEMO', 'analyst', PASSWORD, meta);
    await auth.logout(pair.refreshToken, await auth.authenticate(pair.accessToken), meta);
    await expect(auth.refresh(pair.refreshToken, meta)).rejects.toThrow('revoked');
  });

  it('audits logins and failures in an intact chain', async () => {
    const rows = await database.db
      .executor()
      .query<{ action: string }>("SELECT action FROM audit_log WHERE tenant_id = 'DEMO' ORDER BY id");
    expect(new Set(rows.map((r) => r.action))).toEqual(new Set(['LOGIN', 'LOGIN_FAILED', 'LOGOUT']));
    await expectIntactAuditChain(database.db);
  });
});
