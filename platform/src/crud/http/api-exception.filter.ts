import { Catch, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { TooManyAttemptsError } from '../../security/auth/auth-errors';
import { principalOfRequest } from '../../security/http/request-principal';
import { mapError } from './error-mapping';
import { localizeEnvelope, preferredLocale, type MessageLocale } from './error-locale';

/**
 * Every exception thrown in a Nest handler becomes an error envelope. Errors the caller caused are
 * logged at info; unexpected ones at error with their stack, under the request's traceId.
 */
@Catch()
export class ApiExceptionFilter implements ExceptionFilter {
  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const reply = http.getResponse<FastifyReply>();
    sendError(exception, request, reply);
  }
}

/**
 * The language of the caller's messages: the signed-in user's stored preference, else the
 * `Accept-Language` header (no principal, or no preference stored).
 */
export function messageLocale(request: FastifyRequest): MessageLocale {
  return principalOfRequest(request)?.locale ?? preferredLocale(request.headers['accept-language']);
}

/** Shared with Fastify's error handler, which sees failures before Nest does (body parsing, routing). */
export function sendError(exception: unknown, request: FastifyRequest, reply: FastifyReply): void {
  const mapped = mapError(exception, request.id);
  const { status, unexpected } = mapped;
  const locale = messageLocale(request);
  const body = localizeEnvelope(mapped.body, locale, mapped.i18n, mapped.labels);
  if (unexpected) request.log.error({ err: exception }, 'request failed');
  else request.log.info({ code: mapped.body.code, status }, mapped.body.message);
  if (reply.sent) return;
  if (exception instanceof TooManyAttemptsError)
    reply.header('retry-after', String(exception.retryAfterSeconds));
  void reply
    .status(status)
    .header('content-type', 'application/json; charset=utf-8')
    .header('content-language', locale === 'zh' ? 'zh-CN' : 'en')
    .send(body);
}
