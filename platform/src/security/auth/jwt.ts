import { createHmac, timingSafeEqual } from 'node:crypto';
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

const HEADER = base64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));

/** Signs claims with HS256. */
export function signJwt(claims: AccessClaims, secret: string): string {
  const body = `${HEADER}.${base64url(JSON.stringify(claims))}`;
  return `${body}.${signature(body, secret)}`;
}

/**
 * Verifies an HS256 token: the header must name exactly HS256 (`none` and every other algorithm are
 * refused, so a token cannot choose how it is checked), the signature must match in constant time,
 * and `exp` must be in the future.
 */
export function verifyJwt(
  token: string,
  secret: string,
  nowSeconds = Math.floor(Date.now() / 1000),
): AccessClaims {
  const parts = token.split('.');
  if (parts.length !== 3) throw new AuthenticationError('Malformed token', 'malformed');
  const [header, payload, sig] = parts;
  const decodedHeader = parseJson(header);
  if (decodedHeader?.alg !== 'HS256' || (decodedHeader.typ !== undefined && decodedHeader.typ !== 'JWT'))
    throw new AuthenticationError('Unsupported token algorithm', 'algorithm');
  const expected = Buffer.from(signature(`${header}.${payload}`, secret));
  const given = Buffer.from(sig);
  if (given.length !== expected.length || !timingSafeEqual(given, expected))
    throw new AuthenticationError('Invalid token signature', 'signature');
  const claims = parseJson(payload);
  if (
    !claims ||
    typeof claims.sub !== 'string' ||
    typeof claims.tid !== 'string' ||
    typeof claims.exp !== 'number'
  )
    throw new AuthenticationError('Malformed token claims', 'malformed');
  if (claims.exp <= nowSeconds) throw new AuthenticationError('Token expired', 'expired');
  return claims as AccessClaims;
}

function signature(data: string, secret: string): string {
  return createHmac('sha256', secret).update(data).digest('base64url');
}

function base64url(text: string): string {
  return Buffer.from(text).toString('base64url');
}

function parseJson(segment: string): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
    return value !== null && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : null;
  } catch {
    return null;
  }
}
