import { randomBytes } from 'node:crypto';
import argon2 from 'argon2';
import { ValidationError } from '../../crud/errors';

/**
 * Argon2id memory per hash, in KiB: OWASP's recommended 19 MiB, under a third of the library's
 * default (64 MiB), which every sign-in held while it verified.
 */
export const PASSWORD_HASH_MEMORY_KIB = 19_456;
/** Passes over the memory: OWASP pairs 2 with 19 MiB. */
export const PASSWORD_HASH_PASSES = 2;
/** One lane: a hash runs on the libuv worker that started it, without threads of its own. */
export const PASSWORD_HASH_LANES = 1;

const HASH_PARAMETERS = {
  memoryCost: PASSWORD_HASH_MEMORY_KIB,
  timeCost: PASSWORD_HASH_PASSES,
  parallelism: PASSWORD_HASH_LANES,
} as const;

/**
 * Argon2 computations that run at once; the rest wait their turn. Bounds their memory to twice the
 * cost when a shift signs in together, and leaves libuv's other workers to file and DNS work.
 */
export const CONCURRENT_PASSWORD_HASHES = 2;

let running = 0;
const waiting: (() => void)[] = [];

/** Runs `work` once fewer than CONCURRENT_PASSWORD_HASHES computations are running. */
async function inTurn<T>(work: () => Promise<T>): Promise<T> {
  if (running >= CONCURRENT_PASSWORD_HASHES) await new Promise<void>((turn) => waiting.push(turn));
  else running++;
  try {
    return await work();
  } finally {
    // The slot passes to the next in line, or frees up.
    const next = waiting.shift();
    if (next) next();
    else running--;
  }
}

export function hashPassword(password: string): Promise<string> {
  return inTurn(() => argon2.hash(password, { type: argon2.argon2id, ...HASH_PARAMETERS }));
}

/**
 * True for a hash made with other parameters or another argon2 variant than `hashPassword` uses
 * today: it still verifies (argon2 reads the parameters from the hash) and is replaced after the next
 * successful sign-in, when the password is at hand.
 */
export function passwordNeedsRehash(hash: string): boolean {
  if (!hash.startsWith('$argon2id$')) return true;
  try {
    return argon2.needsRehash(hash, HASH_PARAMETERS);
  } catch {
    return true;
  }
}

export function isPasswordHash(hash: string | null | undefined): hash is string {
  return typeof hash === 'string' && hash.startsWith('$argon2');
}

/** False for a wrong password and for a hash that is not an argon2 hash (never throws on bad input). */
export async function verifyPassword(hash: string | null | undefined, password: string): Promise<boolean> {
  if (!isPasswordHash(hash)) return false;
  try {
    return await inTurn(() => argon2.verify(hash, password));
  } catch {
    return false;
  }
}

let dummy: Promise<string> | null = null;

/**
 * Checks the password against the account's hash, or, when there is no account or it has no
 * password, against a hash of a random secret made with the same parameters: every answer costs one
 * argon2 verification, so the time taken does not tell which usernames exist.
 */
export async function verifyAgainst(hash: string | null | undefined, password: string): Promise<boolean> {
  if (isPasswordHash(hash)) return verifyPassword(hash, password);
  dummy ??= hashPassword(randomBytes(32).toString('base64url'));
  await verifyPassword(await dummy, password);
  return false;
}

export interface PasswordPolicy {
  minLength: number;
  maxLength: number;
  /** Character classes required among lower, upper, digit, symbol. */
  minClasses: number;
}

export const DEFAULT_PASSWORD_POLICY: PasswordPolicy = { minLength: 10, maxLength: 128, minClasses: 3 };

/** Reasons the password fails the policy; empty when it passes. */
export function passwordPolicyViolations(
  password: string,
  username: string,
  policy = DEFAULT_PASSWORD_POLICY,
): string[] {
  const violations: string[] = [];
  if (password.length < policy.minLength) violations.push(`at least ${policy.minLength} characters`);
  if (password.length > policy.maxLength) violations.push(`at most ${policy.maxLength} characters`);
  const classes = [/[a-z]/, /[A-Z]/, /[0-9]/, /[^A-Za-z0-9]/].filter((r) => r.test(password)).length;
  if (classes < policy.minClasses)
    violations.push(`${policy.minClasses} of: lower case, upper case, digit, symbol`);
  if (username && password.toLowerCase().includes(username.toLowerCase()))
    violations.push('must not contain the username');
  return violations;
}

/** 422 naming the field and every violated rule when the password fails the policy. */
export function assertPasswordPolicy(password: string, username: string, field = 'password'): void {
  const violations = passwordPolicyViolations(password, username);
  if (violations.length === 0) return;
  const message = `${field} does not meet the password policy: ${violations.join('; ')}`;
  throw new ValidationError([{ field, path: `/${field}`, rule: 'password-policy', message }], message);
}
