import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { randomBytes } from 'node:crypto';
import { EncryptionError, keyIdOf, type KeyRing } from './field-encryption';

export const DEFAULT_KEY_FILE = './data/encryption.key';

/**
 * Parses `MES_ENCRYPTION_KEY`: one base64 32-byte key, or several separated by commas, the first
 * active and the others kept to read values not yet rotated (`new,old`).
 */
export function parseKeyRing(spec: string): KeyRing {
  const keys = spec
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part.length > 0)
    .map((part, index) => {
      const key = Buffer.from(part, 'base64');
      if (key.length !== 32)
        throw new EncryptionError(
          `MES_ENCRYPTION_KEY entry ${index + 1} must be 32 bytes in base64 (got ${key.length} bytes)`,
        );
      return key;
    });
  if (keys.length === 0) throw new EncryptionError('MES_ENCRYPTION_KEY is empty');
  return { activeKeyId: keyIdOf(keys[0]), keys: new Map(keys.map((key) => [keyIdOf(key), key])) };
}

/**
 * The key ring of this process: from `MES_ENCRYPTION_KEY`, or (outside production) from a key file
 * (`MES_ENCRYPTION_KEY_FILE`, default `./data/encryption.key`) that is generated on first start, with
 * a warning, so the embedded default works out of the box.
 */
export function loadKeyRing(
  env: NodeJS.ProcessEnv = process.env,
  defaultKeyFile = DEFAULT_KEY_FILE,
  warn: (message: string) => void = console.warn,
): KeyRing {
  const keyFile = env.MES_ENCRYPTION_KEY_FILE?.trim() || defaultKeyFile;
  const configured = env.MES_ENCRYPTION_KEY?.trim();
  if (configured) return parseKeyRing(configured);
  if (env.NODE_ENV === 'production')
    throw new EncryptionError('MES_ENCRYPTION_KEY is required in production');
  if (!existsSync(keyFile)) {
    mkdirSync(dirname(keyFile), { recursive: true });
    writeFileSync(keyFile, `${randomBytes(32).toString('base64')}\n`, { mode: 0o600 });
    warn(
      `MES_ENCRYPTION_KEY is not set: generated ${keyFile}. Back it up; sensitive fields cannot be read without it.`,
    );
  }
  return parseKeyRing(readFileSync(keyFile, 'utf8'));
}

/** A new random key in the format MES_ENCRYPTION_KEY expects. */
export function generateKey(): string {
  return randomBytes(32).toString('base64');
}
