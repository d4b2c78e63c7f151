import { FUNCTIONS } from '../../../metadata/src/expression/functions';
import type { ExpressionValue } from '../../../metadata/src/expression/values';

/**
 * The expression language's functions as FormKit schema data, so `$len(...)` in a served
 * visibleWhen/requiredWhen condition runs the very implementation the server evaluates.
 */
export const expressionFunctions: Record<string, (...args: ExpressionValue[]) => ExpressionValue> =
  Object.fromEntries(
    [...FUNCTIONS.entries()].map(([name, fn]) => [name, (...args: ExpressionValue[]) => fn.call(args)]),
  );
