/** The whitelist of functions an expression may call, with their arity. */

import type { ExpressionValue } from './values';

export interface ExpressionFunction {
  minArgs: number;
  maxArgs: number;
  call(args: ExpressionValue[]): ExpressionValue;
}

/** A date-only value (`2026-12-06`) or a timestamp moved by whole days; dates stay dates. */
function shiftTime(value: ExpressionValue, milliseconds: number, dateOnly: boolean): ExpressionValue {
  if (value === null) return null;
  const time = value instanceof Date ? value : new Date(text(value));
  if (Number.isNaN(time.getTime())) return null;
  const shifted = new Date(time.getTime() + milliseconds);
  return dateOnly ? shifted.toISOString().slice(0, 10) : shifted;
}

const HOUR_MS = 3_600_000;

function amount(value: ExpressionValue): number {
  const number = Number(value);
  return Number.isFinite(number) ? number : 0;
}

/** A number, or a decimal column's string ('12.5000'); anything else is not a number. */
function numeric(value: ExpressionValue): number | null {
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value)))
    return Number(value);
  return null;
}

/** A numeric function of its arguments; null when any argument is null or not a number. */
function onNumbers(fn: (...numbers: number[]) => number): ExpressionFunction['call'] {
  return (args) => {
    const numbers = args.map(numeric);
    return numbers.every((n): n is number => n !== null) ? fn(...numbers) : null;
  };
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
  ['if', { minArgs: 3, maxArgs: 3, call: ([test, then, otherwise]) => (test ? then : otherwise) ?? null }],
  [
    'addDays',
    {
      minArgs: 2,
      maxArgs: 2,
      call: ([time, days]) =>
        shiftTime(time, amount(days) * 24 * HOUR_MS, typeof time === 'string' && time.length === 10),
    },
  ],
  [
    'addHours',
    { minArgs: 2, maxArgs: 2, call: ([time, hours]) => shiftTime(time, amount(hours) * HOUR_MS, false) },
  ],
  [
    'coalesce',
    {
      minArgs: 1,
      maxArgs: Number.POSITIVE_INFINITY,
      call: (args) => args.find((value) => value !== null) ?? null,
    },
  ],
  ['min', { minArgs: 2, maxArgs: Number.POSITIVE_INFINITY, call: onNumbers(Math.min) }],
  ['max', { minArgs: 2, maxArgs: Number.POSITIVE_INFINITY, call: onNumbers(Math.max) }],
  ['round', { minArgs: 1, maxArgs: 1, call: onNumbers(Math.round) }],
  ['floor', { minArgs: 1, maxArgs: 1, call: onNumbers(Math.floor) }],
  ['ceil', { minArgs: 1, maxArgs: 1, call: onNumbers(Math.ceil) }],
]);
