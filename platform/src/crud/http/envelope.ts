/**
 * The response envelope of every API response (docs/architecture.md §5), declared in
 * contracts/envelope.ts. Success carries `code: 'OK'`; failures carry a stable error code of the API or
 * of the HTTP layer.
 */
import type { ErrorCode, ErrorEnvelope, HttpErrorCode, SuccessEnvelope } from '../../contracts/envelope';

export const SUCCESS_CODE = 'OK';

export type { ErrorEnvelope, SuccessEnvelope };

export type EnvelopeCode = typeof SUCCESS_CODE | ErrorCode | HttpErrorCode;

export function successEnvelope<T>(data: T, traceId: string): SuccessEnvelope<T> {
  return { code: SUCCESS_CODE, message: 'OK', data, timestamp: new Date().toISOString(), traceId };
}
