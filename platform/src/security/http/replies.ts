/**
 * Error replies and request readers shared by the security hooks and the routes they register: the
 * same envelope as every other API error, and the client details that audit records carry.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { messageLocale } from '../../crud/http/api-exception.filter';
import { localizeEnvelope } from '../../crud/http/error-locale';
import { mapError } from '../../crud/http/error-mapping';
import { AuthenticationError, TooManyAttemptsError } from '../auth/auth-errors';
import type { ClientMeta } from '../auth/auth.service';

export function fail(
  request: FastifyRequest,
  reply: FastifyReply,
  status: number,
  code: string,
  message: string,
): FastifyReply {
  return reply.code(status).send({ code, message, timestamp: new Date().toISOString(), traceId: request.id });
}

export function sendError(request: FastifyRequest, reply: FastifyReply, error: unknown): FastifyReply {
  if (error instanceof TooManyAttemptsError) {
    reply.header('retry-after', String(error.retryAfterSeconds));
    return fail(request, reply, 429, 'TOO_MANY_REQUESTS', error.message);
  }
  if (error instanceof AuthenticationError) return fail(request, reply, 401, error.code, error.message);
  const mapped = mapError(error, request.id);
  // In the caller's language, as the exception filter answers.
  const locale = messageLocale(request);
  return reply
    .code(mapped.status)
    .header('content-language', locale === 'zh' ? 'zh-CN' : 'en')
    .send(localizeEnvelope(mapped.body, locale, mapped.i18n, mapped.labels));
}

/** The client as audit records name it; `ip` honours TRUST_PROXY (Fastify's `trustProxy`). */
export function clientMeta(request: FastifyRequest): ClientMeta {
  const agent = request.headers['user-agent'];
  return { ip: request.ip, userAgent: typeof agent === 'string' ? agent : null, traceId: request.id };
}

export function objectBody(request: FastifyRequest): Record<string, unknown> {
  const body = request.body;
  return body !== null && typeof body === 'object' && !Array.isArray(body)
    ? (body as Record<string, unknown>)
    : {};
}

export function stringField(body: Record<string, unknown>, name: string): string | undefined {
  const value = body[name];
  return typeof value === 'string' && value.length > 0 && value.length <= 4096 ? value : undefined;
}
