import { HttpException, HttpStatus } from '@nestjs/common';

/**
 * Codes of a 401 the client acts on: `TOKEN_STALE` — the access token predates a change to the
 * caller's roles, grants or account, so refresh it (the refresh reads them afresh); `ACCOUNT_INACTIVE`
 * — a refresh for an account that was disabled, locked or expired, so sign in again is refused too.
 * Every other failure is `UNAUTHORIZED`.
 */
export type AuthenticationCode = 'UNAUTHORIZED' | 'TOKEN_STALE' | 'ACCOUNT_INACTIVE';

const CODE_OF_REASON: Record<string, AuthenticationCode> = {
  stale: 'TOKEN_STALE',
  inactive: 'ACCOUNT_INACTIVE',
};

/** Missing, malformed, forged or expired credentials: 401 without saying which check failed. */
export class AuthenticationError extends HttpException {
  readonly code: AuthenticationCode;

  constructor(
    message = 'Authentication required',
    readonly reason: string = 'invalid',
  ) {
    const code = CODE_OF_REASON[reason] ?? 'UNAUTHORIZED';
    super({ code, message }, HttpStatus.UNAUTHORIZED);
    this.code = code;
  }
}

/** Too many attempts: 429 with the seconds to wait. */
export class TooManyAttemptsError extends HttpException {
  constructor(readonly retryAfterSeconds: number) {
    super(
      { code: 'TOO_MANY_REQUESTS', message: `Too many attempts; retry in ${retryAfterSeconds}s` },
      HttpStatus.TOO_MANY_REQUESTS,
    );
  }
}
