/**
 * Trace ids: a caller's `x-trace-id` is kept when it is a sane token, otherwise a new UUID is made.
 * Fastify uses it as the request id, so every request log line carries it as `traceId`.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export const TRACE_HEADER = 'x-trace-id';
const SAFE_TRACE_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export function traceIdFor(request: IncomingMessage): string {
  const incoming = request.headers[TRACE_HEADER];
  const candidate = Array.isArray(incoming) ? incoming[0] : incoming;
  return candidate && SAFE_TRACE_ID.test(candidate) ? candidate : randomUUID();
}
