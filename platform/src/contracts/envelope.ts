/** The envelope every API answer comes in (docs/architecture.md §5); type-only, no runtime code. */
import type { FieldError, RowError } from './crud';

/** Stable error codes of the API; clients branch on these, never on messages. */
export type ErrorCode =
  | 'VALIDATION_FAILED'
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'DUPLICATE_VALUE'
  | 'UNKNOWN_FIELD'
  | 'BAD_REQUEST'
  | 'BUSINESS_RULE'
  | 'FORBIDDEN'
  | 'PLUGIN_FAILED'
  | 'PLUGIN_TIMEOUT'
  | 'PAYLOAD_TOO_LARGE'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'STORAGE_FAILED'
  | 'STORAGE_UNAVAILABLE';

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

export interface SuccessEnvelope<T> {
  code: 'OK';
  message: string;
  data: T;
  timestamp: string;
  traceId: string;
}

export interface ErrorEnvelope {
  code: ErrorCode | HttpErrorCode;
  message: string;
  errors?: FieldError[];
  rows?: RowError[];
  currentVersion?: number;
  timestamp: string;
  traceId: string;
}
