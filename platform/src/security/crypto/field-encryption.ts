import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

/** Keys by id; new values are encrypted with the active one, old ones stay readable until rotated. */
export interface KeyRing {
  activeKeyId: string;
  keys: ReadonlyMap<string, Buffer>;
}

const PREFIX = 'enc:v1:';
const IV_BYTES = 12;

export class EncryptionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EncryptionError';
  }
}

/** A stable, non-secret id of a key: the first 8 hex digits of its SHA-256. */
export function keyIdOf(key: Buffer): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 8);
}

/** Whether a stored value is ciphertext of this scheme. */
export function isEncrypted(value: unknown): value is string {
  return typeof value === 'string' && value.startsWith(PREFIX);
}

/** AES-256-GCM with a fresh 96-bit IV: `enc:v1:<keyId>:<iv>:<tag>:<ciphertext>` (base64url parts). */
export function encryptValue(plaintext: string, ring: KeyRing): string {
  const key = ring.keys.get(ring.activeKeyId);
  if (!key) throw new EncryptionError(`Active key '${ring.activeKeyId}' is not in the key ring`);
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return `${PREFIX}${ring.activeKeyId}:${iv.toString('base64url')}:${cipher.getAuthTag().toString('base64url')}:${ciphertext.toString('base64url')}`;
}

/** Decrypts a value; plaintext written before encryption was enabled passes through unchanged. */
export function decryptValue(stored: string, ring: KeyRing): string {
  if (!isEncrypted(stored)) return stored;
  const [keyId, iv, tag, ciphertext] = stored.slice(PREFIX.length).split(':');
  const key = ring.keys.get(keyId);
  if (!key) throw new EncryptionError(`Value was encrypted with key '${keyId}', which is not configured`);
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]).toString(
      'utf8',
    );
  } catch {
    throw new EncryptionError(`Value encrypted with key '${keyId}' failed authentication: it was altered`);
  }
}

/** The key id a stored value was encrypted with, or null for plaintext. */
export function keyIdOfValue(stored: string): string | null {
  return isEncrypted(stored) ? stored.slice(PREFIX.length).split(':')[0] : null;
}

/** Re-encrypts with the active key when the value uses another key (or is still plaintext); null when current. */
export function reencryptValue(stored: string, ring: KeyRing): string | null {
  if (keyIdOfValue(stored) === ring.activeKeyId) return null;
  return encryptValue(decryptValue(stored, ring), ring);
}
