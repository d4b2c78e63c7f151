/**
 * Password guessing through the real server (SQLite; MariaDB; MariaDB with the counters in Redis):
 * concurrent guesses are counted before they are checked, a client's failures lock that client out
 * of the account but never the account itself, failures across clients only slow the account down,
 * unknown users cost the same argon2 verification as wrong passwords, a malformed or unknown tenant
 * writes nothing, and e-signature passwords on workflow actions share the throttle and the audit.
 */
import { hashPassword, verifyPassword } from '../../../platform/src/security/auth/password';
import { PASSWORD, startSecurityServer, type Dialect, type SecurityServer } from './security-server';

interface Setup {
  name: string;
  dialect: Dialect;
  env: Record<string, string>;
}

const SETUPS: Setup[] = [
  { name: 'sqlite', dialect: 'sqlite', env: {} },
  { name: 'mysql', dialect: 'mysql', env: {} },
  {
    name: 'mysql + redis',
    dialect: 'mysql',
    env: { REDIS_URL: 'redis://127.0.0.1:6379', QUEUE_PREFIX: `mes-throttle-${process.pid}-${Date.now()}` },
  },
];

describe.each(SETUPS)('login throttle ($name)', ({ name, dialect, env }) => {
  let sec: SecurityServer;
  let lastIp = 0;
  /** Each test guesses from addresses of its own: the per-client counters and rate limit start at zero. */
  const freshIp = () => `10.77.${Math.floor(++lastIp / 250)}.${(lastIp % 250) + 1}`;

  beforeAll(async () => {
    sec = await startSecurityServer(dialect, `throttle_${name.replace(/\W+/g, '_')}`, env);
  }, 180_000);
  afterAll(() => sec?.stop());

  const login = (username: string, password: string, ip: string, tenant?: string) =>
    sec.server.app.inject({
      method: 'POST',
      url: '/api/auth/login',
      remoteAddress: ip,
      payload: { username, password, ...(tenant === undefined ? {} : { tenant }) },
    });

  const failedLogins = async (username: string, purpose = 'login'): Promise<number> => {
    const [row] = await sec.query<{ n: number | string }>(
      "SELECT COUNT(*) AS n FROM audit_log WHERE tenant_id = 'DEMO' AND action = 'LOGIN_FAILED' AND actor_name = ? AND diff LIKE ?",
      [username, `%"${purpose}"%`],
    );
    return Number(row?.n);
  };

  it('checks at most five of twenty concurrent wrong passwords; the rest are throttled unchecked', async () => {
    expect.hasAssertions();
    const ip = freshIp();
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) => login('planner', `Wrong-guess-${i}`, ip)),
    );
    const statuses = answers.map((answer) => answer.statusCode);
    expect(statuses.filter((status) => status === 401)).toHaveLength(5);
    expect(statuses.filter((status) => status === 429)).toHaveLength(15);
    for (const answer of answers.filter((a) => a.statusCode === 429)) {
      expect(answer.json()).toMatchObject({ code: 'TOO_MANY_REQUESTS' });
      expect(Number(answer.headers['retry-after'])).toBeGreaterThan(0);
    }
    expect(await failedLogins('planner')).toBe(5);
    // The client is locked out of the account even with the right password.
    expect((await login('planner', PASSWORD, ip)).statusCode).toBe(429);
  });

  it('locks the guessing client out of admin, never admin out of another client', async () => {
    expect.hasAssertions();
    const attacker = freshIp();
    for (let i = 0; i < 5; i++) expect((await login('admin', `Not-it-${i}`, attacker)).statusCode).toBe(401);
    expect((await login('admin', 'Not-it-again', attacker)).statusCode).toBe(429);
    const response = await login('admin', PASSWORD, freshIp());
    expect(response.statusCode).toBe(200);
    expect(response.json().data).toHaveProperty('accessToken');
  });

  it("lifts a client's lockout when an administrator unlocks the account, and only then", async () => {
    expect.hasAssertions();
    const guesser = freshIp();
    for (let i = 0; i < 5; i++)
      expect((await login('supervisor', `Nope-${i}`, guesser)).statusCode).toBe(401);
    expect((await login('supervisor', PASSWORD, guesser)).statusCode).toBe(429);
    const [user] = await sec.query<{ id: number | string }>(
      "SELECT id FROM sys_user WHERE tenant_id = 'DEMO' AND username = 'supervisor'",
    );
    const lock = await sec.call('admin', 'POST', `/api/users/${user!.id}/actions/lock`, {
      reason: 'Guessing seen',
    });
    expect(lock.statusCode).toBe(201);
    // Locking alone lifts nothing.
    expect((await login('supervisor', PASSWORD, guesser)).statusCode).toBe(429);
    expect((await sec.call('admin', 'POST', `/api/users/${user!.id}/actions/unlock`, {})).statusCode).toBe(
      201,
    );
    expect((await login('supervisor', PASSWORD, guesser)).statusCode).toBe(200);
  });

  it('slows an account guessed from many clients down progressively, and lets the right password in after the wait', async () => {
    expect.hasAssertions();
    // Seven clients at once: five failures are free, the sixth makes the next attempt wait a second.
    const guesses = await Promise.all(
      Array.from({ length: 7 }, (_, i) => login('inspector', `Guess-${i}`, freshIp())),
    );
    const statuses = guesses.map((guess) => guess.statusCode).sort();
    expect(statuses).toEqual([401, 401, 401, 401, 401, 401, 429]);
    const delayed = guesses.find((guess) => guess.statusCode === 429)!;
    expect(Number(delayed.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(Number(delayed.headers['retry-after'])).toBeLessThanOrEqual(30);
    // The owner waits as told and is let in: a delay, never a lock.
    const user = freshIp();
    let answer = await login('inspector', PASSWORD, user);
    for (let tries = 0; answer.statusCode === 429 && tries < 5; tries++) {
      await new Promise((resolve) => setTimeout(resolve, Number(answer.headers['retry-after']) * 1000));
      answer = await login('inspector', PASSWORD, user);
    }
    expect(answer.statusCode).toBe(200);
    // The success cleared the account's failures: the next wrong password is checked at once.
    expect((await login('inspector', 'Wrong-again-1', freshIp())).statusCode).toBe(401);
  });

  it('verifies a password hash for unknown users and tenants as for a wrong password', async () => {
    expect.hasAssertions();
    const hash = await hashPassword('Reference-Passw0rd!');
    const timed = async (work: () => Promise<unknown>): Promise<number> => {
      const started = process.hrtime.bigint();
      await work();
      return Number(process.hrtime.bigint() - started) / 1e6;
    };
    const oneVerification = Math.min(
      await timed(() => verifyPassword(hash, 'wrong')),
      await timed(() => verifyPassword(hash, 'wrong')),
      await timed(() => verifyPassword(hash, 'wrong')),
    );
    const cases: [string, string, string | undefined][] = [
      ['wrong password', 'analyst', undefined],
      ['unknown user', 'nobody-at-all', undefined],
      ['unknown tenant', 'analyst', 'NOWHERE'],
    ];
    for (const [what, username, tenant] of cases) {
      let status = 0;
      const elapsed = await timed(async () => {
        status = (await login(username, 'Wrong-Passw0rd!', freshIp(), tenant)).statusCode;
      });
      expect({ what, status }).toEqual({ what, status: 401 });
      // Loose on purpose: skipping the verification answers in a few milliseconds.
      expect({ what, fractionOfOneVerification: elapsed / oneVerification >= 0.3 }).toEqual({
        what,
        fractionOfOneVerification: true,
      });
    }
  });

  it('answers a malformed tenant 400 naming the field, and an unknown one 401 without an audit chain', async () => {
    expect.hasAssertions();
    const long = await login('admin', PASSWORD, freshIp(), 'T'.repeat(33));
    expect(long.statusCode).toBe(400);
    expect(long.json().errors).toEqual([
      expect.objectContaining({ field: 'tenant', path: '/tenant', rule: 'maxLength', limit: 32 }),
    ]);
    const odd = await login('admin', PASSWORD, freshIp(), 'no such tenant!');
    expect(odd.statusCode).toBe(400);
    expect(odd.json().errors).toEqual([expect.objectContaining({ field: 'tenant', rule: 'pattern' })]);
    const unknown = await login('admin', PASSWORD, freshIp(), 'GHOST');
    expect(unknown.statusCode).toBe(401);
    expect(unknown.json().message).toBe((await login('admin', 'Wrong-Passw0rd!', freshIp())).json().message);
    const written = await sec.query(
      "SELECT id FROM audit_log WHERE tenant_id IN ('GHOST', 'no such tenant!')",
    );
    expect(written).toEqual([]);
  });

  it('counts e-signature passwords toward the throttle and audits them as failed logins', async () => {
    expect.hasAssertions();
    // A fresh sign-in clears the failures earlier tests left on admin's account.
    sec.forget('admin');
    const uom = await sec.call('admin', 'POST', '/api/units', { uomCode: 'THR-PCS', uomName: 'Pieces' });
    const item = await sec.call('admin', 'POST', '/api/items', {
      itemName: 'Throttle board',
      itemType: 'FINISHED',
      uomId: uom.json().data.id,
    });
    const bom = await sec.call('admin', 'POST', '/api/boms', {
      bomCode: 'BOM-THR',
      itemId: item.json().data.id,
    });
    expect(bom.statusCode).toBe(201);
    const ip = freshIp();
    const token = await sec.login('admin');
    const activate = (password: string) =>
      sec.server.app.inject({
        method: 'POST',
        url: `/api/boms/${String(bom.json().data.id)}/actions/activate`,
        remoteAddress: ip,
        headers: { authorization: `Bearer ${token}` },
        payload: { password },
      });
    const before = await failedLogins('admin', 'e-signature');
    for (let i = 0; i < 5; i++) {
      const refused = await activate(`Not-my-signature-${i}`);
      expect(refused.statusCode).toBe(403);
      expect(refused.json().message).toContain('E-signature failed');
    }
    const throttled = await activate(PASSWORD);
    expect(throttled.statusCode).toBe(429);
    expect(throttled.json()).toMatchObject({ code: 'TOO_MANY_REQUESTS' });
    expect(Number(throttled.headers['retry-after'])).toBeGreaterThan(0);
    expect(await failedLogins('admin', 'e-signature')).toBe(before + 5);
    // The same counter: a sign-in from that client is throttled too, another client signs in.
    expect((await login('admin', PASSWORD, ip)).statusCode).toBe(429);
    expect((await login('admin', PASSWORD, freshIp())).statusCode).toBe(200);
  });
});
