/** Length of a string field that declares none. */
export const DEFAULT_STRING_LENGTH = 255;

/**
 * Fixed part of a sealed value `enc:v1:<keyId>:<iv>:<tag>:<ciphertext>` (platform/src/security/crypto/
 * field-encryption.ts): `enc:v1:` 7, key id 8, 96-bit IV 16 and 128-bit tag 22 base64url characters,
 * three separators.
 */
const SEALED_OVERHEAD = 7 + 8 + 1 + 16 + 1 + 22 + 1;
/** A character is at most 4 bytes of UTF-8. */
const MAX_UTF8_BYTES_PER_CHAR = 4;

/**
 * Column length (characters) that holds the sealed form of any plaintext of `plaintextChars`
 * characters: sensitive string columns are widened to it so ciphertext always fits.
 */
export function sealedColumnLength(plaintextChars: number): number {
  return SEALED_OVERHEAD + Math.ceil((plaintextChars * MAX_UTF8_BYTES_PER_CHAR * 4) / 3);
}
