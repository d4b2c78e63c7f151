/** A syntax or evaluation error in an expression; `column` is 1-based within the source text. */
export class ExpressionError extends Error {
  constructor(
    message: string,
    readonly column: number,
  ) {
    super(message);
    this.name = 'ExpressionError';
  }
}
