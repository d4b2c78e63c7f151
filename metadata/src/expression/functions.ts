/** The whitelist of functions an expression may call, with their arity. */

import type { ExpressionValue } from './values';

export interface ExpressionFunction {
  minArgs: number;
  maxArgs: number;
  call(args: ExpressionValue[]): ExpressionValue;
}

function text(value: ExpressionValue): string {
  if (value === null) return '';
  if (value instanceof Date) return value.toISOString();
  return String(value);
}

export const FUNCTIONS: ReadonlyMap<string, ExpressionFunction> = new Map<string, ExpressionFunction>([
  ['now', { minArgs: 0, maxArgs: 0, call: () => new Date() }],
  ['today', { minArgs: 0, maxArgs: 0, call: () => new Date().toISOString().slice(0, 10) }],
  [
    'len',
    {
      minArgs: 1,
      maxArgs: 1,
      call: ([value]) => (Array.isArray(value) ? value.length : text(value).length),
    },
  ],
  [
    'lower',
    { minArgs: 1, maxArgs: 1, call: ([value]) => (value === null ? null : text(value).toLowerCase()) },
  ],
  [
    'upper',
    { minArgs: 1, maxArgs: 1, call: ([value]) => (value === null ? null : text(value).toUpperCase()) },
  ],
  [
    'contains',
    {
      minArgs: 2,
      maxArgs: 2,
      call: ([haystack, needle]) =>
        Array.isArray(haystack) ? haystack.includes(needle) : text(haystack).includes(text(needle)),
    },
  ],
  ['startsWith', { minArgs: 2, maxArgs: 2, call: ([value, prefix]) => text(value).startsWith(text(prefix)) }],
  [
    'coalesce',
    {
      minArgs: 1,
      maxArgs: Number.POSITIVE_INFINITY,
      call: (args) => args.find((value) => value !== null) ?? null,
    },
  ],
]);
