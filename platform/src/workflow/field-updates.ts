import type { FieldUpdateValue } from '../../../metadata/src/types';
import { evaluate, parsedExpression } from '../../../metadata/src/expression';
import type { ExpressionValue } from '../../../metadata/src/expression';

/** Values a transition's `set` block may refer to besides the record. */
export interface FieldUpdateEnvironment {
  /** Null when the engine acts for no user. */
  userId: string | null;
  /** The moment of the transition; `$now` and `$today` derive from it (UTC). */
  now: Date;
}

/**
 * Resolves a transition's `set` block against the record: `$now` (UTC timestamp), `$today` (UTC date),
 * `$user` (the actor's id), `=<expression>` (computed with the safe expression language over the
 * record) or a literal. Keys stay metadata field names.
 */
export function resolveFieldUpdates(
  set: Readonly<Record<string, FieldUpdateValue>> | undefined,
  record: Readonly<Record<string, unknown>>,
  env: FieldUpdateEnvironment,
): Record<string, unknown> {
  const updates: Record<string, unknown> = {};
  for (const [field, value] of Object.entries(set ?? {})) updates[field] = resolveValue(value, record, env);
  return updates;
}

function resolveValue(
  value: FieldUpdateValue,
  record: Readonly<Record<string, unknown>>,
  env: FieldUpdateEnvironment,
): unknown {
  if (typeof value !== 'string') return value;
  if (value === '$now') return formatTimestamp(env.now);
  if (value === '$today') return env.now.toISOString().slice(0, 10);
  if (value === '$user') return env.userId;
  if (value.startsWith('=')) return plainValue(evaluate(parsedExpression(value.slice(1)), record));
  return value;
}

/** UTC `YYYY-MM-DD HH:MM:SS`, the datetime form both MySQL and SQLite store. */
export function formatTimestamp(time: Date): string {
  return time.toISOString().slice(0, 19).replace('T', ' ');
}

function plainValue(value: ExpressionValue): unknown {
  if (value instanceof Date) return formatTimestamp(value);
  if (typeof value === 'number' && !Number.isFinite(value)) return null;
  return value;
}
