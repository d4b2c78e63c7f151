/**
 * Password links by e-mail through the real server (SQLite and MariaDB) and a local SMTP sink: an
 * administrator invites a user by e-mail, a user who forgot their password asks for a reset link
 * (the answer never tells whether the account exists), on the login budget; the link works once and
 * signs the user out of every session.
 */
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { PASSWORD, startSecurityServer, type Dialect, type SecurityServer } from './security-server';
import { TEST_DIALECTS } from '../../support/test-dialects';

interface Mail {
  to: string;
  subject: string;
  body: string;
}

async function startSmtpSink(): Promise<{ server: SMTPServer; port: number; mails: Mail[] }> {
  const mails: Mail[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    // A mailbox that does not exist: the server refuses the recipient.
    onRcptTo(address, _session, callback) {
      if (address.address.startsWith('bounce')) callback(new Error('550 5.1.1 mailbox unavailable'));
      else callback();
    },
    onData(stream, session, callback) {
      let raw = '';
      stream.on('data', (chunk: Buffer) => (raw += chunk.toString('utf8')));
      stream.on('end', () => {
        mails.push({
          to: session.envelope.rcptTo.map((r) => r.address).join(','),
          subject: /^Subject: (.*)$/m.exec(raw)?.[1]?.trim() ?? '',
          // Quoted-printable soft line breaks and escapes, enough to read the link back.
          body: raw.replace(/=\r?\n/g, '').replace(/=3D/g, '='),
        });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.server.address() as AddressInfo).port, mails };
}

describe.each<Dialect>(TEST_DIALECTS)('password links by e-mail (%s)', (dialect) => {
  let sec: SecurityServer;
  let smtp: Awaited<ReturnType<typeof startSmtpSink>>;
  let lastIp = 0;
  const freshIp = () => `10.77.0.${++lastIp}`;

  beforeAll(async () => {
    smtp = await startSmtpSink();
    sec = await startSecurityServer(dialect, 'pwmail', {
      SMTP_URL: `smtp://127.0.0.1:${smtp.port}`,
      MES_PUBLIC_URL: 'https://mes.plant.test/',
    });
  }, 180_000);
  afterAll(async () => {
    await sec?.stop();
    await new Promise<void>((resolve) => smtp?.server.close(() => resolve()));
  });

  const post = (url: string, token: string | null, payload: object, ip = freshIp()) =>
    sec.server.app.inject({
      method: 'POST',
      url,
      remoteAddress: ip,
      headers: token ? { authorization: `Bearer ${token}` } : {},
      payload,
    });
  const login = (username: string, password: string) => post('/api/auth/login', null, { username, password });
  /** Waits until a mail to the address arrived (sending runs after the request was answered). */
  const mailTo = async (address: string, count = 1): Promise<Mail> => {
    for (let i = 0; i < 400; i++) {
      const mails = smtp.mails.filter((mail) => mail.to === address);
      if (mails.length >= count) return mails[count - 1]!;
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error(`no mail #${count} to ${address}`);
  };
  const tokenIn = (mail: Mail): string => {
    const match = /https:\/\/mes\.plant\.test\/set-password\?token=([A-Za-z0-9_-]+)/.exec(mail.body);
    if (!match) throw new Error(`no link in ${mail.body}`);
    return match[1]!;
  };
  const userId = async (username: string): Promise<number> => {
    const [row] = await sec.query<{ id: number }>(
      "SELECT id FROM sys_user WHERE tenant_id = 'DEMO' AND username = ?",
      [username],
    );
    return Number(row!.id);
  };
  const audits = async (transition: string, username: string) =>
    sec.query<{ actor_name: string }>(
      "SELECT actor_name FROM audit_log WHERE tenant_id = 'DEMO' AND entity_name = 'user' AND transition = ? AND record_id = ?",
      [transition, String(await userId(username))],
    );
  const createUser = async (username: string, email: string | null): Promise<number> => {
    const [dept] = await sec.query<{ id: number }>(
      "SELECT id FROM sys_dept WHERE tenant_id = 'DEMO' AND dept_code = 'PRD'",
    );
    const created = await sec.call('admin', 'POST', '/api/users', {
      username,
      realName: username,
      departmentId: Number(dept!.id),
      locale: 'en',
      ...(email ? { email } : {}),
    });
    expect(created.statusCode).toBe(201);
    return created.json().data.id as number;
  };

  it('invites a user by e-mail: the token goes only to the address, works once, and the user signs in', async () => {
    expect.hasAssertions();
    const id = await createUser('mail.invitee', 'invitee@plant.test');
    const url = `/api/users/${id}/password-link`;
    const planner = await sec.login('planner');
    expect((await post(url, planner, { purpose: 'invite', send: true })).statusCode).toBe(403);
    expect((await post(url, await sec.login('admin'), { send: 'yes' })).json().errors[0]).toMatchObject({
      field: 'send',
      rule: 'type',
    });
    const sent = await post(url, await sec.login('admin'), { purpose: 'invite', send: true });
    expect(sent.statusCode).toBe(200);
    expect(sent.json().data).toEqual({
      userId: String(id),
      username: 'mail.invitee',
      purpose: 'invite',
      sentTo: 'i***@plant.test',
      expiresAt: expect.any(String),
    });
    expect(sent.body).not.toContain('token');
    const mail = await mailTo('invitee@plant.test');
    expect(mail.subject).toBe('Your BTC MES account');
    const token = tokenIn(mail);
    const redeem = await post('/api/auth/password-reset', null, {
      token,
      newPassword: 'Invited-Shift-2026!',
    });
    expect(redeem.statusCode).toBe(200);
    expect(redeem.json().data).toEqual({ username: 'mail.invitee' });
    expect(
      (await post('/api/auth/password-reset', null, { token, newPassword: 'Invited-Shift-2027!' }))
        .statusCode,
    ).toBe(401);
    expect((await login('mail.invitee', 'Invited-Shift-2026!')).statusCode).toBe(200);
    expect(await audits('invite', 'mail.invitee')).toEqual([{ actor_name: 'admin' }]);
    expect(await audits('accept_invitation', 'mail.invitee')).toEqual([{ actor_name: 'mail.invitee' }]);
  });

  it('refuses to e-mail a link to a user without an address, naming the field', async () => {
    expect.hasAssertions();
    const id = await createUser('mail.nobox', null);
    const refused = await post(`/api/users/${id}/password-link`, await sec.login('admin'), {
      purpose: 'invite',
      send: true,
    });
    expect(refused.statusCode).toBe(422);
    expect(refused.json().errors[0]).toMatchObject({ field: 'email', rule: 'required' });
  });

  it('sends a forgotten password’s reset link to the account only, answering alike for unknown users', async () => {
    expect.hasAssertions();
    await createUser('mail.forgetful', 'forgetful@plant.test');
    const set = await post(
      `/api/users/${await userId('mail.forgetful')}/password`,
      await sec.login('admin'),
      {
        newPassword: 'Forgotten-Pass-2026!',
      },
    );
    expect(set.statusCode).toBe(200);
    const session = (await login('mail.forgetful', 'Forgotten-Pass-2026!')).json().data as {
      refreshToken: string;
    };

    const unknown = await post('/api/auth/password-reset-request', null, { username: 'nobody.here' });
    const known = await post('/api/auth/password-reset-request', null, { username: 'mail.forgetful' });
    expect(unknown.statusCode).toBe(202);
    expect(known.statusCode).toBe(202);
    expect(known.json().data).toEqual(unknown.json().data);
    expect((await post('/api/auth/password-reset-request', null, {})).json().errors[0]).toMatchObject({
      field: 'username',
      rule: 'required',
    });

    const mail = await mailTo('forgetful@plant.test');
    expect(mail.subject).toBe('Reset your BTC MES password');
    expect(await audits('request_reset', 'mail.forgetful')).toEqual([{ actor_name: 'mail.forgetful' }]);
    const weak = await post('/api/auth/password-reset', null, { token: tokenIn(mail), newPassword: 'short' });
    expect(weak.statusCode).toBe(422);
    const reset = await post('/api/auth/password-reset', null, {
      token: tokenIn(mail),
      newPassword: 'Remembered-Pass-2026!',
    });
    expect(reset.statusCode).toBe(200);
    const refresh = await post('/api/auth/refresh', null, { refreshToken: session.refreshToken });
    expect(refresh.statusCode).toBe(401);
    expect((await login('mail.forgetful', 'Forgotten-Pass-2026!')).statusCode).toBe(401);
    expect((await login('mail.forgetful', 'Remembered-Pass-2026!')).statusCode).toBe(200);
  });

  it('records a reset e-mail the mail server refused in the delivery log the administrator reads', async () => {
    expect.hasAssertions();
    await createUser('mail.bouncer', 'bounce@plant.test');
    const asked = await post('/api/auth/password-reset-request', null, { username: 'mail.bouncer' });
    expect(asked.statusCode).toBe(202);
    let failed: Record<string, unknown> | undefined;
    for (let i = 0; i < 400 && !failed; i++) {
      const log = await sec.call('admin', 'GET', '/api/automation/deliveries?limit=50');
      expect(log.statusCode).toBe(200);
      failed = (log.json().data as Record<string, unknown>[]).find(
        (row) => row.recipient === 'bounce@plant.test',
      );
      if (!failed) await new Promise((r) => setTimeout(r, 25));
    }
    expect(failed).toMatchObject({
      rule: 'password_reset',
      channel: 'email',
      status: 'FAILED',
      error: expect.stringContaining('mailbox unavailable'),
    });
    // The delivery log is the administrator's: a planner is refused.
    expect((await sec.call('planner', 'GET', '/api/automation/deliveries')).statusCode).toBe(403);
  });

  it('sends nothing to a deactivated account, and unlocks a locked one for sign-in', async () => {
    expect.hasAssertions();
    const id = await createUser('mail.leaver', 'leaver@plant.test');
    await post(`/api/users/${id}/password`, await sec.login('admin'), { newPassword: 'Leaving-Soon-2026!' });
    const lock = await sec.call('admin', 'POST', `/api/users/${id}/actions/lock`, { reason: 'Lost badge' });
    expect(lock.statusCode).toBe(201);
    expect((await login('mail.leaver', 'Leaving-Soon-2026!')).statusCode).toBe(401);
    expect((await sec.call('planner', 'POST', `/api/users/${id}/actions/unlock`, {})).statusCode).toBe(403);
    expect((await sec.call('admin', 'POST', `/api/users/${id}/actions/unlock`, {})).statusCode).toBe(201);
    expect((await login('mail.leaver', 'Leaving-Soon-2026!')).statusCode).toBe(200);
    const deactivated = await sec.call('admin', 'POST', `/api/users/${id}/actions/deactivate`, {
      reason: 'Left the company',
    });
    expect(deactivated.statusCode).toBe(201);
    expect((await login('mail.leaver', 'Leaving-Soon-2026!')).statusCode).toBe(401);
    const before = smtp.mails.length;
    expect(
      (await post('/api/auth/password-reset-request', null, { username: 'mail.leaver' })).statusCode,
    ).toBe(202);
    // A reset request for an account that gets one, sent after: once it arrived, the first was handled.
    await createUser('mail.marker', 'marker@plant.test');
    await post('/api/auth/password-reset-request', null, { username: 'mail.marker' });
    await mailTo('marker@plant.test');
    expect(smtp.mails.slice(before).map((mail) => mail.to)).toEqual(['marker@plant.test']);
    expect(await audits('request_reset', 'mail.leaver')).toEqual([]);
  });

  it('puts reset requests on the login budget of the client', async () => {
    expect.hasAssertions();
    const ip = '10.77.9.9';
    const statuses: number[] = [];
    for (let i = 0; i < 11; i++)
      statuses.push(
        (await post('/api/auth/password-reset-request', null, { username: `guess${i}` }, ip)).statusCode,
      );
    expect(statuses.slice(0, 10)).toEqual(Array(10).fill(202));
    expect(statuses[10]).toBe(429);
    expect((await login('admin', PASSWORD)).statusCode).toBe(200);
  });
});
