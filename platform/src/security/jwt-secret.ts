import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { dirname } from 'node:path';

export const DEFAULT_JWT_SECRET_FILE = './data/jwt.secret';

/**
 * `MES_JWT_SECRET`, or outside production a secret generated on first start into a file (with a
 * warning), so tokens survive restarts of the embedded default. Production refuses to start without
 * the variable (assertProductionSecrets).
 */
export function loadJwtSecret(
  env: NodeJS.ProcessEnv = process.env,
  file = DEFAULT_JWT_SECRET_FILE,
  warn: (message: string) => void = console.warn,
): string {
  const configured = env.MES_JWT_SECRET?.trim();
  if (configured) return configured;
  if (!existsSync(file)) {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, `${randomBytes(48).toString('base64url')}\n`, { mode: 0o600 });
    warn(`MES_JWT_SECRET is not set: generated ${file} for signing access tokens.`);
  }
  return readFileSync(file, 'utf8').trim();
}
