/**
 * Detached Ed25519 signatures of plugin packages: `mes plugin build --sign <key.pem>` writes
 * `<name>-<version>.tgz.sig` (the base64 signature of the .tgz bytes); a server given trusted public
 * keys (MES_PLUGIN_TRUSTED_KEYS) installs only packages signed by one of them.
 */
import { createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';

/** Suffix of the signature file written beside a package. */
export const SIGNATURE_SUFFIX = '.sig';

/** Request header carrying an uploaded package's signature (the content of its `.sig` file). */
export const SIGNATURE_HEADER = 'x-plugin-signature';

/** A package refused for its signature; `rule` is `signature-missing` or `signature-invalid`. */
export class SignatureRejectedError extends Error {
  constructor(
    readonly rule: 'signature-missing' | 'signature-invalid',
    message: string,
  ) {
    super(message);
    this.name = 'SignatureRejectedError';
  }
}

const PEM_BLOCK = /-----BEGIN ([A-Z ]+)-----[\s\S]+?-----END \1-----/g;

/** Reads an Ed25519 private key (PKCS#8 PEM) to sign packages with. */
export function readSigningKey(file: string): KeyObject {
  const key = createPrivateKey(readFileSync(file));
  if (key.asymmetricKeyType !== 'ed25519')
    throw new Error(`${file}: an Ed25519 private key is required, not ${key.asymmetricKeyType ?? 'unknown'}`);
  return key;
}

/** The detached signature of the package bytes, base64 (the content of the `.sig` file). */
export function signPackage(archive: Buffer, key: KeyObject): string {
  return sign(null, archive, key).toString('base64');
}

/**
 * The Ed25519 public keys of MES_PLUGIN_TRUSTED_KEYS: inline PEM blocks (`-----BEGIN PUBLIC KEY-----`)
 * and paths of PEM files (each may hold several keys), separated by commas or new lines; relative
 * paths are resolved against `root`. A private key, another key type or a missing file stops startup.
 */
export function parseTrustedKeys(value: string, root: string): KeyObject[] {
  const inline = [...value.matchAll(PEM_BLOCK)].map((match) => ({ pem: match[0], from: 'inline PEM' }));
  const paths = value
    .replace(PEM_BLOCK, '')
    .split(/[,\n]/)
    .map((entry) => entry.trim())
    .filter((entry) => entry.length > 0);
  const fromFiles = paths.flatMap((path) => {
    const file = isAbsolute(path) ? path : resolve(root, path);
    if (!existsSync(file)) throw new Error(`MES_PLUGIN_TRUSTED_KEYS: ${file} does not exist`);
    const blocks = [...readFileSync(file, 'utf8').matchAll(PEM_BLOCK)].map((match) => match[0]);
    if (blocks.length === 0) throw new Error(`MES_PLUGIN_TRUSTED_KEYS: ${file} holds no PEM public key`);
    return blocks.map((pem) => ({ pem, from: file }));
  });
  return [...inline, ...fromFiles].map(({ pem, from }) => publicKeyOf(pem, from));
}

function publicKeyOf(pem: string, from: string): KeyObject {
  if (!pem.startsWith('-----BEGIN PUBLIC KEY-----'))
    throw new Error(
      `MES_PLUGIN_TRUSTED_KEYS (${from}): only public keys (-----BEGIN PUBLIC KEY-----) may be trusted`,
    );
  let key: KeyObject;
  try {
    key = createPublicKey(pem);
  } catch (error) {
    throw new Error(`MES_PLUGIN_TRUSTED_KEYS (${from}): not a public key: ${(error as Error).message}`, {
      cause: error,
    });
  }
  if (key.asymmetricKeyType !== 'ed25519')
    throw new Error(
      `MES_PLUGIN_TRUSTED_KEYS (${from}): an Ed25519 key is required, not ${key.asymmetricKeyType ?? 'unknown'}`,
    );
  return key;
}

/**
 * Checks the package against the trusted keys: with none configured every package passes; otherwise
 * the signature must be present and made by one of them.
 */
export function verifyPackageSignature(
  archive: Buffer,
  signature: string | undefined,
  trustedKeys: readonly KeyObject[],
): void {
  if (trustedKeys.length === 0) return;
  const encoded = signature?.trim() ?? '';
  if (encoded.length === 0)
    throw new SignatureRejectedError(
      'signature-missing',
      'this server installs only signed packages (MES_PLUGIN_TRUSTED_KEYS is set): send the package ' +
        'signature (the content of the .sig file written by `mes plugin build --sign`)',
    );
  const bytes = /^[A-Za-z0-9+/]+={0,2}$/.test(encoded) ? Buffer.from(encoded, 'base64') : Buffer.alloc(0);
  if (bytes.length !== 64 || !trustedKeys.some((key) => verify(null, archive, key, bytes)))
    throw new SignatureRejectedError(
      'signature-invalid',
      'the package signature does not verify against any key of MES_PLUGIN_TRUSTED_KEYS',
    );
}
