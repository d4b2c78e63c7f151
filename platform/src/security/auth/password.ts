import argon2 from 'argon2';

/** Argon2id with the library's defaults (64 MiB, 3 passes, 4 lanes): OWASP's recommended range. */
export function hashPassword(password: string): Promise<string> {
  return argon2.hash(password, { type: argon2.argon2id });
}

/** False for a wrong password and for a hash that is not an argon2 hash (never throws on bad input). */
export async function verifyPassword(hash: string | null | undefined, password: string): Promise<boolean> {
  if (!hash || !hash.startsWith('$argon2')) return false;
  try {
    return await argon2.verify(hash, password);
  } catch {
    return false;
  }
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
