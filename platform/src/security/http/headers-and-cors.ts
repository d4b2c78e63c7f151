/**
 * Browser-facing hardening: security headers on every response (helmet) and the CORS
 * allowlist (@fastify/cors). Both answer in `onRequest` hooks registered before authentication, so a
 * preflight from an allowed origin is answered without a token, as browsers send none.
 */
import fastifyCors, { type FastifyCorsOptions } from '@fastify/cors';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import helmet from 'helmet';

/**
 * Exactly these headers: nosniff, frame deny, no referrer, same-origin opener, this CSP and the
 * permissions policy. Helmet's further defaults (HSTS, cross-origin resource policy, …) stay off: HSTS
 * belongs to the TLS terminator, which knows whether the site and its subdomains are HTTPS-only.
 */
const HELMET_OPTIONS = {
  contentSecurityPolicy: {
    useDefaults: false,
    directives: {
      defaultSrc: ["'self'"],
      // blob: is what the app itself makes of an attachment it fetched with the session's token to
      // preview it (an image, or a PDF in a frame); nothing else is framed.
      imgSrc: ["'self'", 'data:', 'blob:'],
      frameSrc: ['blob:'],
      styleSrc: ["'self'", "'unsafe-inline'"],
      scriptSrc: ["'self'"],
      frameAncestors: ["'none'"],
      baseUri: ["'self'"],
    },
  },
  frameguard: { action: 'deny' as const },
  referrerPolicy: { policy: 'no-referrer' as const },
  crossOriginOpenerPolicy: { policy: 'same-origin' as const },
  crossOriginEmbedderPolicy: false,
  crossOriginResourcePolicy: false,
  originAgentCluster: false,
  strictTransportSecurity: false,
  xDnsPrefetchControl: false,
  xDownloadOptions: false,
  xPermittedCrossDomainPolicies: false,
  xXssProtection: false,
};

/** Helmet has no Permissions-Policy; the browser app uses no camera, microphone or location. */
const PERMISSIONS_POLICY = 'camera=(), microphone=(), geolocation=()';

/**
 * Helmet's middleware is built once from the options: the Fastify wrapper rebuilds it (parsing the CSP
 * directives again) on every request, which costs more than the headers themselves.
 */
export async function registerSecurityHeaders(fastify: FastifyInstance): Promise<void> {
  const applyHeaders = helmet(HELMET_OPTIONS);
  fastify.addHook('onRequest', (request, reply, done) => {
    reply.header('permissions-policy', PERMISSIONS_POLICY);
    applyHeaders(request.raw, reply.raw, (error) => done(error as Error | undefined));
  });
}

const ALLOWED = {
  credentials: true,
  methods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'],
  allowedHeaders: ['authorization', 'content-type', 'x-trace-id'],
  maxAge: 600,
  strictPreflight: false,
};

/**
 * Origins in the allowlist (`MES_CORS_ORIGINS`) get their origin echoed with credentials, and their
 * preflights are answered 204. A preflight from any other origin is refused with 403; other requests
 * from it proceed without CORS headers, so the browser keeps the response from that page.
 * Without an allowlist (the default: the app is served from the same origin) no origin is allowed:
 * only the refusal of preflights applies, without the plugin's per-request work on every response.
 */
export async function registerCors(
  fastify: FastifyInstance,
  allowedOrigins: readonly string[],
): Promise<void> {
  if (allowedOrigins.length === 0) {
    fastify.addHook('onRequest', (request, _reply, done) => {
      const origin = request.headers.origin;
      done(origin && request.method === 'OPTIONS' ? new DisallowedOriginError(origin) : undefined);
    });
    return;
  }
  const origins = new Set(allowedOrigins);
  await fastify.register(fastifyCors, {
    hideOptionsRoute: true,
    delegator: (
      request: FastifyRequest,
      callback: (error: Error | null, options?: FastifyCorsOptions) => void,
    ) => {
      const origin = request.headers.origin;
      if (origin && origins.has(origin)) return callback(null, { ...ALLOWED, origin });
      if (origin && request.method === 'OPTIONS') return callback(new DisallowedOriginError(origin));
      return callback(null, { origin: false });
    },
  });
}

/** Mapped by the envelope's error handler like any Fastify error with a status. */
class DisallowedOriginError extends Error {
  readonly statusCode = 403;
  readonly code = 'FORBIDDEN';

  constructor(origin: string) {
    super(`Origin ${origin} is not allowed`);
  }
}
