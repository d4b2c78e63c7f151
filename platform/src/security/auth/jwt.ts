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
  const cache = verifiedOf(secret);
  const known = cache.get(token);
  if (known) {
    if (known.exp <= nowSeconds) {
      cache.delete(token);
      throw new AuthenticationError('Token expired', 'expired');
    }
    return known;
  }
  const claims = await verifyWithJose(token, secret, nowSeconds);
  // A token that is not valid yet (nbf) is checked again on its next use.
  if (claims.nbf === undefined) remember(cache, token, deepFreeze(claims));
  return claims;
}

/**
 * Tokens whose signature and claims were verified, per secret, at most VERIFIED_TOKENS of them (the
 * oldest verified is forgotten first): a client sends the same access token with every request,
 * and checking its HMAC again (WebCrypto, asynchronous) cost about 7 % of the server's CPU. Only a
 * byte-identical token hits, its expiry is checked on every use, and a token verified under one
 * secret is never accepted under another. The claims are frozen, as they are shared between requests.
 */
const VERIFIED_TOKENS = 2000;
const verified = new Map<string, Map<string, AccessClaims>>();

function verifiedOf(secret: string): Map<string, AccessClaims> {
  let cache = verified.get(secret);
  if (!cache) {
    cache = new Map();
    verified.set(secret, cache);
  }
  return cache;
}

function remember(cache: Map<string, AccessClaims>, token: string, claims: AccessClaims): void {
  if (cache.size >= VERIFIED_TOKENS) cache.delete(cache.keys().next().value as string);
  cache.set(token, claims);
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

async function verifyWithJose(token: string, secret: string, nowSeconds: number): Promise<AccessClaims> {
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
