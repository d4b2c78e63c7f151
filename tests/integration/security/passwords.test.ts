/**
 * Setting passwords through the real server (SQLite and MariaDB): a user changes their own with the
 * current one (wrong guesses throttled like sign-ins), an administrator resets another's, and
 * `mes users set-password` (the built CLI, password on standard input) sets one by username. Each
 * path enforces the password policy, signs the user out everywhere and is audited; the demo seed
 * refuses a demo password outside the policy. A hash made with older argon2 parameters still signs
 * in and is replaced by one with the current parameters.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import argon2 from 'argon2';
import {
  passwordNeedsRehash,
  PASSWORD_HASH_LANES,
  PASSWORD_HASH_MEMORY_KIB,
  PASSWORD_HASH_PASSES,
} from '../../../platform/src/security/auth/password';
import { seedDemoSecurity } from '../../../platform/src/security/demo-seed';
import { PASSWORD, startSecurityServer, type Dialect, type SecurityServer } from './security-server';
import { TEST_DIALECTS } from '../../support/test-dialects';

describe.each<Dialect>(TEST_DIALECTS)('setting passwords (%s)', (dialect) => {
  let sec: SecurityServer;
  let lastIp = 0;
  const freshIp = () => `10.88.0.${++lastIp}`;

  beforeAll(async () => {
    sec = await startSecurityServer(dialect, 'passwords');
  }, 180_000);
  afterAll(() => sec?.stop());

  const login = (username: string, password: string, ip = freshIp()) =>
    sec.server.app.inject({
      method: 'POST',
      url: '/api/auth/login',
      remoteAddress: ip,
      payload: { username, password },
    });
  const tokensOf = async (username: string, password: string) => {
    const response = await login(username, password);
    expect(response.statusCode).toBe(200);
    return response.json().data as { accessToken: string; refreshToken: string };
  };
  const post = (url: string, token: string | null, payload: object, ip = freshIp()) =>
    sec.server.app.inject({
      method: 'POST',
      url,
      remoteAddress: ip,
      headers: token ? { authorization: `Bearer ${token}` } : {},
      payload,
    });
  const refresh = (refreshToken: string) =>
    sec.server.app.inject({ method: 'POST', url: '/api/auth/refresh', payload: { refreshToken } });
  const userId = async (username: string): Promise<number> => {
    const [row] = await sec.query<{ id: number }>(
      "SELECT id FROM sys_user WHERE tenant_id = 'DEMO' AND username = ?",
      [username],
    );
    return Number(row!.id);
  };
  const departmentId = async (code: string): Promise<number> => {
    const [row] = await sec.query<{ id: number }>(
      "SELECT id FROM sys_dept WHERE tenant_id = 'DEMO' AND dept_code = ?",
      [code],
    );
    return Number(row!.id);
  };
  const passwordAudits = async (username: string, transition: string) =>
    sec.query<{ actor_name: string }>(
      "SELECT actor_name FROM audit_log WHERE tenant_id = 'DEMO' AND entity_name = 'user' AND action = 'UPDATE' AND transition = ? AND record_id = ?",
      [transition, String(await userId(username))],
    );

  it('changes one’s own password with the current one, under the policy, revoking every session', async () => {
    expect.hasAssertions();
    const session = await tokensOf('operator', PASSWORD);
    const change = (payload: object) => post('/api/auth/change-password', session.accessToken, payload);
    expect(
      (await post('/api/auth/change-password', null, { currentPassword: PASSWORD, newPassword: 'x' }))
        .statusCode,
    ).toBe(401);
    const missing = await change({ newPassword: 'Line-Shift-2026!' });
    expect(missing.statusCode).toBe(400);
    expect(missing.json().errors).toEqual([
      expect.objectContaining({ field: 'currentPassword', rule: 'required' }),
    ]);
    const weak = await change({ currentPassword: PASSWORD, newPassword: 'operator-2026' });
    expect(weak.statusCode).toBe(422);
    expect(weak.json().errors).toEqual([
      expect.objectContaining({ field: 'newPassword', path: '/newPassword', rule: 'password-policy' }),
    ]);
    expect(weak.json().errors[0].message).toContain('must not contain the username');
    expect(
      (await change({ currentPassword: 'Not-the-current-1', newPassword: 'Line-Shift-2026!' })).statusCode,
    ).toBe(401);
    const changed = await change({ currentPassword: PASSWORD, newPassword: 'Line-Shift-2026!' });
    expect(changed.statusCode).toBe(200);
    expect(changed.json().data.refreshTokensRevoked).toBeGreaterThanOrEqual(1);
    expect((await refresh(session.refreshToken)).statusCode).toBe(401);
    expect((await login('operator', PASSWORD)).statusCode).toBe(401);
    expect((await login('operator', 'Line-Shift-2026!')).statusCode).toBe(200);
    expect(await passwordAudits('operator', 'change_password')).toEqual([{ actor_name: 'operator' }]);
  });

  it('throttles wrong current passwords like sign-ins and audits them as failed logins', async () => {
    expect.hasAssertions();
    const { accessToken } = await tokensOf('analyst', PASSWORD);
    const ip = freshIp();
    for (let i = 0; i < 5; i++)
      expect(
        (
          await post(
            '/api/auth/change-password',
            accessToken,
            { currentPassword: `Guess-${i}-x`, newPassword: 'Fresh-Analysis-77' },
            ip,
          )
        ).statusCode,
      ).toBe(401);
    const throttled = await post(
      '/api/auth/change-password',
      accessToken,
      { currentPassword: PASSWORD, newPassword: 'Fresh-Analysis-77' },
      ip,
    );
    expect(throttled.statusCode).toBe(429);
    expect((await login('analyst', PASSWORD, ip)).statusCode).toBe(429);
    const [failed] = await sec.query<{ n: number | string }>(
      "SELECT COUNT(*) AS n FROM audit_log WHERE tenant_id = 'DEMO' AND action = 'LOGIN_FAILED' AND actor_name = 'analyst' AND diff LIKE '%change-password%'",
    );
    expect(Number(failed!.n)).toBe(5);
  });

  it('lets only holders of user:reset_password reset another user’s password, under the policy', async () => {
    expect.hasAssertions();
    const clerk = await tokensOf('clerk', PASSWORD);
    const planner = (await tokensOf('planner', PASSWORD)).accessToken;
    const admin = (await tokensOf('admin', PASSWORD)).accessToken;
    const url = `/api/users/${await userId('clerk')}/password`;
    const denied = await post(url, planner, { newPassword: 'Stock-Count-2026!' });
    expect(denied.statusCode).toBe(403);
    expect(denied.json().message).toContain('user:reset_password');
    expect(
      (await post('/api/users/999999/password', admin, { newPassword: 'Stock-Count-2026!' })).statusCode,
    ).toBe(404);
    const weak = await post(url, admin, { newPassword: 'short' });
    expect(weak.statusCode).toBe(422);
    expect(weak.json().errors[0]).toMatchObject({ field: 'newPassword', rule: 'password-policy' });
    const reset = await post(url, admin, { newPassword: 'Stock-Count-2026!' });
    expect(reset.statusCode).toBe(200);
    expect(reset.json().data).toMatchObject({ username: 'clerk', refreshTokensRevoked: 1 });
    expect((await refresh(clerk.refreshToken)).statusCode).toBe(401);
    expect((await login('clerk', 'Stock-Count-2026!')).statusCode).toBe(200);
    expect(await passwordAudits('clerk', 'reset_password')).toEqual([{ actor_name: 'admin' }]);
  });

  it('invites a new user by a one-time link and resets a forgotten password by one, as the administrator issues them', async () => {
    expect.hasAssertions();
    const admin = (await tokensOf('admin', PASSWORD)).accessToken;
    const planner = (await tokensOf('planner', PASSWORD)).accessToken;
    const created = await sec.server.app.inject({
      method: 'POST',
      url: '/api/users',
      headers: { authorization: `Bearer ${admin}` },
      payload: {
        username: 'new.operator',
        realName: 'New operator',
        departmentId: await departmentId('PRD'),
      },
    });
    expect(created.statusCode).toBe(201);
    const id = created.json().data.id as number;
    const linkUrl = `/api/users/${id}/password-link`;
    expect((await post(linkUrl, planner, { purpose: 'invite' })).statusCode).toBe(403);
    expect((await post(linkUrl, admin, { purpose: 'welcome' })).json().errors[0]).toMatchObject({
      field: 'purpose',
      rule: 'enum',
    });
    const first = (await post(linkUrl, admin, { purpose: 'invite' })).json().data;
    const invite = await post(linkUrl, admin, { purpose: 'invite' });
    expect(invite.statusCode).toBe(200);
    expect(invite.json().data).toMatchObject({ username: 'new.operator', purpose: 'invite' });
    const token = invite.json().data.token as string;
    const redeem = (payload: object) => post('/api/auth/password-reset', null, payload);
    expect((await redeem({ token: first.token, newPassword: 'Night-Shift-2026!' })).statusCode).toBe(401);
    const weak = await redeem({ token, newPassword: 'short' });
    expect(weak.statusCode).toBe(422);
    expect(weak.json().errors[0]).toMatchObject({ field: 'newPassword', rule: 'password-policy' });
    const accepted = await redeem({ token, newPassword: 'Night-Shift-2026!' });
    expect(accepted.statusCode).toBe(200);
    expect(accepted.json().data).toEqual({ username: 'new.operator' });
    expect((await redeem({ token, newPassword: 'Night-Shift-2027!' })).statusCode).toBe(401);
    expect((await login('new.operator', 'Night-Shift-2026!')).statusCode).toBe(200);
    expect(await passwordAudits('new.operator', 'invite')).toEqual([
      { actor_name: 'admin' },
      { actor_name: 'admin' },
    ]);
    expect(await passwordAudits('new.operator', 'accept_invitation')).toEqual([
      { actor_name: 'new.operator' },
    ]);

    const reset = (await post(linkUrl, admin, {})).json().data;
    expect(reset.purpose).toBe('reset');
    expect((await redeem({ token: reset.token, newPassword: 'Day-Shift-2026!' })).statusCode).toBe(200);
    expect((await login('new.operator', 'Night-Shift-2026!')).statusCode).toBe(401);
    expect((await login('new.operator', 'Day-Shift-2026!')).statusCode).toBe(200);
  });

  it('signs in a user whose hash has older argon2 parameters and re-hashes it with the current ones', async () => {
    expect.hasAssertions();
    const id = await userId('inspector');
    const storedHash = async () => {
      const [row] = await sec.query<{ password_hash: string; password_changed_at: unknown }>(
        'SELECT password_hash, password_changed_at FROM sys_user WHERE id = ?',
        [id],
      );
      return row!;
    };
    // The library's defaults, which earlier releases stored: 64 MiB, 3 passes, 4 lanes.
    const oldHash = await argon2.hash(PASSWORD, {
      type: argon2.argon2id,
      memoryCost: 65_536,
      timeCost: 3,
      parallelism: 4,
    });
    await sec.query('UPDATE sys_user SET password_hash = ? WHERE id = ?', [oldHash, id]);
    const before = await storedHash();
    expect(passwordNeedsRehash(before.password_hash)).toBe(true);

    expect((await login('inspector', 'Not-the-password-1')).statusCode).toBe(401);
    expect((await storedHash()).password_hash).toBe(oldHash);

    expect((await login('inspector', PASSWORD)).statusCode).toBe(200);
    const after = await storedHash();
    expect(after.password_hash).not.toBe(oldHash);
    const [, variant, , parameters] = after.password_hash.split('$');
    expect(variant).toBe('argon2id');
    expect(Object.fromEntries(parameters!.split(',').map((pair) => pair.split('=')))).toEqual({
      m: String(PASSWORD_HASH_MEMORY_KIB),
      t: String(PASSWORD_HASH_PASSES),
      p: String(PASSWORD_HASH_LANES),
    });
    expect(passwordNeedsRehash(after.password_hash)).toBe(false);
    expect(after.password_changed_at).toEqual(before.password_changed_at);
    expect(await passwordAudits('inspector', 'rehash_password')).toEqual([{ actor_name: 'inspector' }]);

    expect((await login('inspector', PASSWORD)).statusCode).toBe(200);
    expect((await login('inspector', 'Not-the-password-1')).statusCode).toBe(401);
    expect((await storedHash()).password_hash).toBe(after.password_hash);
    expect(await passwordAudits('inspector', 'rehash_password')).toHaveLength(1);
  });

  it('sets a password with `mes users set-password`, read from standard input, under the policy', async () => {
    expect.hasAssertions();
    const weak = await setPasswordWithCli(sec, 'auditor', 'weakness\n');
    expect(weak.exitCode).toBe(1);
    expect(weak.stderr).toContain('does not meet the password policy');
    const unknown = await setPasswordWithCli(sec, 'nobody-here', 'Ledger-Check-2026!\n');
    expect(unknown.exitCode).toBe(1);
    expect(unknown.stderr).toContain('not found');
    const set = await setPasswordWithCli(sec, 'auditor', 'Ledger-Check-2026!\n');
    expect(set).toMatchObject({ exitCode: 0 });
    expect(set.stdout).toContain('password of auditor (tenant DEMO) set');
    expect((await login('auditor', PASSWORD)).statusCode).toBe(401);
    expect((await login('auditor', 'Ledger-Check-2026!')).statusCode).toBe(200);
    expect(await passwordAudits('auditor', 'reset_password')).toEqual([{ actor_name: 'cli' }]);
  });

  it('refuses to seed demo users with a demo password outside the policy', async () => {
    expect.hasAssertions();
    await expect(
      seedDemoSecurity(sec.database, sec.server.registry.current(), 'WEAK', {
        MES_DEMO_PASSWORD: 'password',
      }),
    ).rejects.toThrow('MES_DEMO_PASSWORD does not meet the password policy');
    expect(await sec.query("SELECT id FROM sys_user WHERE tenant_id = 'WEAK'")).toEqual([]);
  });
});

interface CliRun {
  exitCode: number | null;
  stdout: string;
  stderr: string;
}

/** The built CLI (`npm run build`) against the server's database, the password piped to stdin. */
function setPasswordWithCli(sec: SecurityServer, username: string, input: string): Promise<CliRun> {
  const options = sec.server.dataSource.options as { type: string; database?: string };
  const databaseUrl =
    options.type === 'mysql' || options.type === 'mariadb'
      ? `mysql://root@127.0.0.1:3306/${options.database!}`
      : `sqlite:${options.database!}`;
  const child = spawn(
    process.execPath,
    [join(__dirname, '../../../bin/mes.js'), 'users', 'set-password', username, '--tenant', 'DEMO'],
    {
      env: { ...process.env, DATABASE_URL: databaseUrl },
      stdio: ['pipe', 'pipe', 'pipe'],
    },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdin.end(input);
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (exitCode) => resolve({ exitCode, stdout, stderr }));
  });
}
