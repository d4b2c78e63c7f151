import { HttpException, HttpStatus } from '@nestjs/common';

/** Missing, malformed, forged or expired credentials: 401 without saying which check failed. */
export class AuthenticationError extends HttpException {
  constructor(
    message = 'Authentication required',
    readonly reason: string = 'invalid',
  ) {
    super({ code: 'UNAUTHORIZED', message }, HttpStatus.UNAUTHORIZED);
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
