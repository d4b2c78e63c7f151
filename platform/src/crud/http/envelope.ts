/**
 * The response envelope of every API response (docs/architecture.md §5). Success carries `code: 'OK'`;
 * failures carry a stable error code from crud/errors.ts or one of the HTTP-level codes below.
 */
import type { ErrorCode } from '../errors';
import type { FieldError, RowError } from '../types';

export const SUCCESS_CODE = 'OK';

/** Failures raised by the HTTP layer itself, before or around the EntityService. */
export type HttpErrorCode =
  | 'UNAUTHORIZED'
  | 'TOKEN_STALE'
  | 'ACCOUNT_INACTIVE'
  | 'TOO_MANY_REQUESTS'
  | 'PAYLOAD_TOO_LARGE'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'METHOD_NOT_ALLOWED'
  | 'SERVICE_UNAVAILABLE'
  | 'DATABASE_UNAVAILABLE'
  | 'INTERNAL_ERROR';

export type EnvelopeCode = typeof SUCCESS_CODE | ErrorCode | HttpErrorCode;

export interface SuccessEnvelope<T> {
  code: typeof SUCCESS_CODE;
  message: string;
  data: T;
  timestamp: string;
  traceId: string;
}

export interface ErrorEnvelope {
  code: Exclude<EnvelopeCode, typeof SUCCESS_CODE>;
  message: string;
  errors?: FieldError[];
  rows?: RowError[];
  currentVersion?: number;
  timestamp: string;
  traceId: string;
}

export function successEnvelope<T>(data: T, traceId: string): SuccessEnvelope<T> {
  return { code: SUCCESS_CODE, message: 'OK', data, timestamp: new Date().toISOString(), traceId };
}
