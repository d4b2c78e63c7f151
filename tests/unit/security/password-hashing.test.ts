/**
 * Password hashes: made with the named argon2id parameters, older hashes recognised for re-hashing,
 * and never more than CONCURRENT_PASSWORD_HASHES argon2 computations at once.
 */
import argon2 from 'argon2';
import {
  CONCURRENT_PASSWORD_HASHES,
  hashPassword,
  passwordNeedsRehash,
  PASSWORD_HASH_LANES,
  PASSWORD_HASH_MEMORY_KIB,
  PASSWORD_HASH_PASSES,
  verifyPassword,
} from '../../../platform/src/security/auth/password';

const PASSWORD = 'Shift-Start-2026!';

describe('password hashes', () => {
  afterEach(() => jest.restoreAllMocks());

  it('hashes with argon2id and the named parameters, and verifies only the same password', async () => {
    const hash = await hashPassword(PASSWORD);
    const [, variant, , parameters] = hash.split('$');
    expect(variant).toBe('argon2id');
    expect(Object.fromEntries(parameters!.split(',').map((pair) => pair.split('=')))).toEqual({
      m: String(PASSWORD_HASH_MEMORY_KIB),
      t: String(PASSWORD_HASH_PASSES),
      p: String(PASSWORD_HASH_LANES),
    });
    expect(passwordNeedsRehash(hash)).toBe(false);
    expect(await verifyPassword(hash, PASSWORD)).toBe(true);
    expect(await verifyPassword(hash, `${PASSWORD}x`)).toBe(false);
  });

  it('still verifies a hash with other parameters or variant, and marks it for re-hashing', async () => {
    const older = await argon2.hash(PASSWORD, { type: argon2.argon2id, memoryCost: 65_536, timeCost: 3 });
    const argon2i = await argon2.hash(PASSWORD, {
      type: argon2.argon2i,
      memoryCost: PASSWORD_HASH_MEMORY_KIB,
      timeCost: PASSWORD_HASH_PASSES,
      parallelism: PASSWORD_HASH_LANES,
    });
    for (const hash of [older, argon2i]) {
      expect(passwordNeedsRehash(hash)).toBe(true);
      expect(await verifyPassword(hash, PASSWORD)).toBe(true);
    }
    expect(passwordNeedsRehash('$argon2id$not-a-hash')).toBe(true);
  });

  it('runs at most CONCURRENT_PASSWORD_HASHES argon2 computations at once; the rest wait their turn', async () => {
    const hash = await hashPassword(PASSWORD);
    const real = argon2.verify.bind(argon2);
    let running = 0;
    let most = 0;
    jest.spyOn(argon2, 'verify').mockImplementation(async (digest, password, options) => {
      most = Math.max(most, ++running);
      try {
        return await real(digest, password, options);
      } finally {
        running--;
      }
    });
    const answers = await Promise.all(
      Array.from({ length: 3 * CONCURRENT_PASSWORD_HASHES }, (_, i) =>
        verifyPassword(hash, i % 2 === 0 ? PASSWORD : 'Wrong-Guess-2026!'),
      ),
    );
    expect(answers).toEqual(Array.from({ length: answers.length }, (_, i) => i % 2 === 0));
    expect(most).toBe(CONCURRENT_PASSWORD_HASHES);
    expect(running).toBe(0);
  });
});
