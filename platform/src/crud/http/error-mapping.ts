/**
 * Maps anything thrown while serving a request to an HTTP status and an error envelope. One function
 * serves the Nest exception filter and Fastify's own error handler (body parsing happens before Nest
 * sees the request), so malformed JSON, oversize bodies and wrong content types get the same 4xx
 * envelope as engine errors. Unexpected errors become 500 INTERNAL_ERROR without internals leaking.
 */
import { HttpException } from '@nestjs/common';
import { ApiError, type ErrorLabels } from '../errors';
import type { ErrorEnvelope } from './envelope';

export interface MappedError {
  status: number;
  body: ErrorEnvelope;
  /** True for failures the caller could not have caused; they are logged with their stack. */
  unexpected: boolean;
  /** The message in the languages metadata gives it, when it does. */
  i18n?: { en: string; zh?: string };
  /** Labels that name fields, states and actions in the localized field messages. */
  labels?: ErrorLabels;
}

interface FastifyLikeError {
  code?: string;
  statusCode?: number;
  message?: string;
  validation?: unknown;
}

const FASTIFY_CODES: Record<string, { status: number; code: ErrorEnvelope['code'] }> = {
  FST_ERR_CTP_BODY_TOO_LARGE: { status: 413, code: 'PAYLOAD_TOO_LARGE' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { status: 400, code: 'BAD_REQUEST' },
  FST_ERR_CTP_INVALID_JSON_BODY: { status: 400, code: 'BAD_REQUEST' },
  FST_ERR_BAD_URL: { status: 400, code: 'BAD_REQUEST' },
};

export function mapError(error: unknown, traceId: string): MappedError {
  const timestamp = new Date().toISOString();
  if (error instanceof ApiError) {
    const details = error.details ?? {};
    const body: ErrorEnvelope = { code: error.code, message: error.message, timestamp, traceId };
    if (details.errors) body.errors = details.errors;
    if (details.rows) body.rows = details.rows;
    if (details.currentVersion !== undefined) body.currentVersion = details.currentVersion;
    return {
      status: error.httpStatus,
      body,
      unexpected: false,
      ...(details.i18n ? { i18n: details.i18n } : {}),
      ...(details.labels ? { labels: details.labels } : {}),
    };
  }
  if (error instanceof HttpException) {
    const status = error.getStatus();
    return {
      status,
      body: { code: codeForStatus(status), message: error.message, timestamp, traceId },
      unexpected: status >= 500,
    };
  }
  const fastifyError = asFastifyError(error);
  if (fastifyError) {
    const known = fastifyError.code ? FASTIFY_CODES[fastifyError.code] : undefined;
    const status = known?.status ?? fastifyError.statusCode ?? 500;
    if (status < 500) {
      const message = isJsonSyntaxError(error)
        ? `Malformed JSON body: ${fastifyError.message}`
        : (fastifyError.message ?? 'Bad request');
      return {
        status,
        body: { code: known?.code ?? codeForStatus(status), message, timestamp, traceId },
        unexpected: false,
      };
    }
  }
  if (isDatabaseUnavailable(error)) {
    return {
      status: 503,
      body: {
        code: 'DATABASE_UNAVAILABLE',
        message: 'The database cannot be reached or is busy; retry shortly',
        timestamp,
        traceId,
      },
      unexpected: true,
    };
  }
  if (isMissingTable(error)) {
    return {
      status: 503,
      body: {
        code: 'SERVICE_UNAVAILABLE',
        message:
          'A table this request needs does not exist yet: run the pending migrations or install the plugin',
        timestamp,
        traceId,
      },
      unexpected: true,
    };
  }
  return {
    status: 500,
    body: {
      code: 'INTERNAL_ERROR',
      message: 'Internal server error; quote the traceId when reporting it',
      timestamp,
      traceId,
    },
    unexpected: true,
  };
}

function asFastifyError(error: unknown): FastifyLikeError | null {
  if (typeof error !== 'object' || error === null) return null;
  const candidate = error as FastifyLikeError;
  const hasStatus = typeof candidate.statusCode === 'number';
  const hasFastifyCode = typeof candidate.code === 'string' && candidate.code.startsWith('FST_');
  return hasStatus || hasFastifyCode || isJsonSyntaxError(error) ? candidate : null;
}

/** MySQL ER_NO_SUCH_TABLE or SQLite's "no such table", as TypeORM's QueryFailedError wraps them. */
function isMissingTable(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const driver = (error as { driverError?: { code?: unknown; errno?: unknown } }).driverError;
  if (driver?.code === 'ER_NO_SUCH_TABLE' || driver?.errno === 1146) return true;
  return error instanceof Error && /no such table/i.test(error.message);
}

/**
 * Driver errors meaning the database is out of reach, not that the request is wrong: the server
 * refused or dropped the connection, it is shutting down or has no free connection, or SQLite's
 * file is locked by another writer past the busy timeout. mysql2 also marks every error that leaves
 * a connection unusable as `fatal`, some of them without a code ("Can't add new command when
 * connection is in closed state").
 */
const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
  'PROTOCOL_CONNECTION_LOST',
  'PROTOCOL_SEQUENCE_TIMEOUT',
  'PROTOCOL_ENQUEUE_AFTER_FATAL_ERROR',
  'PROTOCOL_ENQUEUE_AFTER_QUIT',
  'ER_CON_COUNT_ERROR',
  'ER_SERVER_SHUTDOWN',
  'ER_LOCK_WAIT_TIMEOUT',
  // With read replicas (mysql2 PoolCluster): every server of the kind asked for is offline.
  'POOL_NONEONLINE',
  'POOL_NOEXIST',
  'SQLITE_BUSY',
  'SQLITE_BUSY_SNAPSHOT',
  'SQLITE_BUSY_RECOVERY',
  'SQLITE_LOCKED',
]);

function isDatabaseUnavailable(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const driver = (error as { driverError?: unknown }).driverError;
  const cause = (driver ?? error) as { code?: unknown; fatal?: unknown };
  return cause.fatal === true || (typeof cause.code === 'string' && UNAVAILABLE_CODES.has(cause.code));
}

/** Fastify's JSON parser rethrows JSON.parse's SyntaxError with statusCode 400. */
function isJsonSyntaxError(error: unknown): boolean {
  return error instanceof SyntaxError;
}

function codeForStatus(status: number): ErrorEnvelope['code'] {
  switch (status) {
    case 400:
      return 'BAD_REQUEST';
    case 401:
      return 'UNAUTHORIZED';
    case 403:
      return 'FORBIDDEN';
    case 404:
      return 'NOT_FOUND';
    case 405:
      return 'METHOD_NOT_ALLOWED';
    case 409:
      return 'CONFLICT';
    case 413:
      return 'PAYLOAD_TOO_LARGE';
    case 415:
      return 'UNSUPPORTED_MEDIA_TYPE';
    case 422:
      return 'VALIDATION_FAILED';
    case 429:
      return 'TOO_MANY_REQUESTS';
    case 503:
      return 'SERVICE_UNAVAILABLE';
    default:
      return status < 500 ? 'BAD_REQUEST' : 'INTERNAL_ERROR';
  }
}
