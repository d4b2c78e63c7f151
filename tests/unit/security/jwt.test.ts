import { createHmac } from 'node:crypto';
import { signJwt, verifyJwt } from '../../../platform/src/security/auth/jwt';
import { assertProductionSecrets } from '../../../platform/src/security/production-secrets';
import { passwordPolicyViolations } from '../../../platform/src/security/auth/password';

const SECRET = 'test-secret-0123456789-0123456789-abcdef';
const now = 1_800_000_000;
const claims = { sub: '7', tid: 't1', iat: now, exp: now + 900 };
const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

describe('access tokens', () => {
  it('round-trips a signed token', async () => {
    await expect(verifyJwt(await signJwt(claims, SECRET), SECRET, now + 10)).resolves.toEqual(claims);
  });

  it('rejects an expired token', async () => {
    await expect(verifyJwt(await signJwt(claims, SECRET), SECRET, now + 900)).rejects.toThrow(
      'Token expired',
    );
  });

  it('rejects a token signed with another secret and a tampered payload', async () => {
    await expect(verifyJwt(await signJwt(claims, 'another-secret'), SECRET, now)).rejects.toThrow(
      'Invalid token signature',
    );
    const [header, , signature] = (await signJwt(claims, SECRET)).split('.');
    const forged = `${header}.${b64({ ...claims, sub: '1' })}.${signature}`;
    await expect(verifyJwt(forged, SECRET, now)).rejects.toThrow('Invalid token signature');
  });

  it('rejects alg none and algorithm confusion', async () => {
    const unsigned = `${b64({ alg: 'none', typ: 'JWT' })}.${b64(claims)}.`;
    await expect(verifyJwt(unsigned, SECRET, now)).rejects.toThrow('Unsupported token algorithm');
    const body = `${b64({ alg: 'HS512', typ: 'JWT' })}.${b64(claims)}`;
    const hs512 = `${body}.${createHmac('sha512', SECRET).update(body).digest('base64url')}`;
    await expect(verifyJwt(hs512, SECRET, now)).rejects.toThrow('Unsupported token algorithm');
  });

  it('checks a token it verified before against its expiry and its secret on every use', async () => {
    const token = await signJwt({ ...claims, sub: '8' }, SECRET);
    await expect(verifyJwt(token, SECRET, now)).resolves.toMatchObject({ sub: '8' });
    await expect(verifyJwt(token, SECRET, now + 899)).resolves.toMatchObject({ sub: '8' });
    await expect(verifyJwt(token, 'another-secret', now)).rejects.toThrow('Invalid token signature');
    await expect(verifyJwt(token, SECRET, now + 900)).rejects.toThrow('Token expired');
    await expect(verifyJwt(token, SECRET, now + 10_000)).rejects.toThrow('Token expired');
  });

  it('shares the claims of a verified token between requests only frozen', async () => {
    const token = await signJwt({ ...claims, sub: '9', roles: ['operator'] }, SECRET);
    const first = await verifyJwt(token, SECRET, now);
    expect(await verifyJwt(token, SECRET, now)).toBe(first);
    expect(Object.isFrozen(first) && Object.isFrozen(first.roles)).toBe(true);
  });

  it('rejects malformed tokens and tokens without expiry', async () => {
    await expect(verifyJwt('abc', SECRET, now)).rejects.toThrow('Malformed token');
    const body = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64({ sub: '7', tid: 't1' })}`;
    const noExp = `${body}.${createHmac('sha256', SECRET).update(body).digest('base64url')}`;
    await expect(verifyJwt(noExp, SECRET, now)).rejects.toThrow('Malformed token claims');
  });
});

describe('password policy', () => {
  it('names each violated rule', () => {
    expect(passwordPolicyViolations('short', 'li')).toEqual([
      'at least 10 characters',
      '3 of: lower case, upper case, digit, symbol',
    ]);
    expect(passwordPolicyViolations('Operator-2026!', 'operator')).toEqual(['must not contain the username']);
    expect(passwordPolicyViolations('Blue-Cactus-42', 'li.wei')).toEqual([]);
  });
});

describe('assertProductionSecrets', () => {
  const strong = 'x'.repeat(32);
  it('refuses production without the encryption key and JWT secret, naming them', () => {
    expect(() => assertProductionSecrets({ NODE_ENV: 'production' })).toThrow(
      'MES_ENCRYPTION_KEY and MES_JWT_SECRET',
    );
    expect(() =>
      assertProductionSecrets({ NODE_ENV: 'production', MES_ENCRYPTION_KEY: strong, MES_JWT_SECRET: 'weak' }),
    ).toThrow('requires MES_JWT_SECRET');
    expect(() =>
      assertProductionSecrets({ NODE_ENV: 'production', MES_ENCRYPTION_KEY: strong, MES_JWT_SECRET: strong }),
    ).not.toThrow();
    expect(() => assertProductionSecrets({ NODE_ENV: 'development' })).not.toThrow();
  });
});
