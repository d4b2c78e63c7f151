import { webcrypto } from 'node:crypto';
import { errors, jwtVerify, SignJWT, type JWTPayload } from 'jose';
import { AuthenticationError } from './auth-errors';

/** Claims of an access token. */
export interface AccessClaims {
  /** User id. */
  sub: string;
  tid: string;
  /** Issued at / expires, seconds since the epoch. */
  iat: number;
  exp: number;
  [claim: string]: unknown;
}

const ALGORITHM = 'HS256';

/** Signs claims with HS256 (`jose`); `iat` and `exp` are taken from the claims as given. */
export async function signJwt(claims: AccessClaims, secret: string): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ alg: ALGORITHM, typ: 'JWT' }).sign(await keyOf(secret));
}

/**
 * Verifies an HS256 token: only HS256 is accepted (`none` and every other algorithm are refused, so a
 * token cannot choose how it is checked), the signature must match, and `exp` must be in the future.
 * jose's failures become 401s that name the failed check for the log, not for the client.
 */
export async function verifyJwt(
  token: string,
  secret: string,
  nowSeconds = Math.floor(Date.now() / 1000),
): Promise<AccessClaims> {
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(token, await keyOf(secret), {
      algorithms: [ALGORITHM],
      currentDate: new Date(nowSeconds * 1000),
      requiredClaims: ['sub', 'exp'],
    }));
  } catch (error) {
    throw authenticationErrorOf(error);
  }
  if (typeof payload.sub !== 'string' || typeof payload.tid !== 'string')
    throw new AuthenticationError('Malformed token claims', 'malformed');
  return payload as AccessClaims;
}

/**
 * The HMAC key of each secret, imported once: given raw bytes, jose imports a WebCrypto key on every
 * call, which cost more than the verification itself.
 */
const keys = new Map<string, Promise<webcrypto.CryptoKey>>();

function keyOf(secret: string): Promise<webcrypto.CryptoKey> {
  let key = keys.get(secret);
  if (!key) {
    key = webcrypto.subtle.importKey(
      'raw',
      new TextEncoder().encode(secret),
      { name: 'HMAC', hash: 'SHA-256' },
      false,
      ['sign', 'verify'],
    );
    keys.set(secret, key);
  }
  return key;
}

function authenticationErrorOf(error: unknown): AuthenticationError {
  if (error instanceof errors.JWTExpired) return new AuthenticationError('Token expired', 'expired');
  if (error instanceof errors.JWTClaimValidationFailed)
    return new AuthenticationError('Malformed token claims', 'malformed');
  if (error instanceof errors.JOSEAlgNotAllowed || error instanceof errors.JOSENotSupported)
    return new AuthenticationError('Unsupported token algorithm', 'algorithm');
  if (error instanceof errors.JWSSignatureVerificationFailed)
    return new AuthenticationError('Invalid token signature', 'signature');
  return new AuthenticationError('Malformed token', 'malformed');
}
