import type { EntityRecord, FilterNode } from '../../crud/types';

/**
 * Evaluates a filter tree against a record in API shape. Used for rows that arrive by expansion,
 * where the related entity's row scope cannot be part of the root query. A value the record does not
 * carry never matches: an unprovable row is treated as out of scope.
 */
export function matchesFilter(record: EntityRecord, node: FilterNode): boolean {
  if ('kind' in node) {
    if (node.kind === 'and') return node.conditions.every((c) => matchesFilter(record, c));
    return node.conditions.some((c) => matchesFilter(record, c));
  }
  const actual = valueAt(record, node.field);
  if (actual === undefined) return false;
  const expected = node.value;
  switch (node.op) {
    case 'eq':
      return same(actual, expected);
    case 'ne':
      return !same(actual, expected);
    case 'in':
      return Array.isArray(expected) && expected.some((v) => same(actual, v));
    case 'nin':
      return Array.isArray(expected) && !expected.some((v) => same(actual, v));
    case 'null':
      return actual === null;
    case 'notNull':
      return actual !== null;
    case 'gt':
      return compare(actual, expected) > 0;
    case 'gte':
      return compare(actual, expected) >= 0;
    case 'lt':
      return compare(actual, expected) < 0;
    case 'lte':
      return compare(actual, expected) <= 0;
    case 'between':
      return (
        Array.isArray(expected) && compare(actual, expected[0]) >= 0 && compare(actual, expected[1]) <= 0
      );
    case 'contains':
      return String(actual).toLowerCase().includes(String(expected).toLowerCase());
    case 'startsWith':
      return String(actual).toLowerCase().startsWith(String(expected).toLowerCase());
  }
}

function valueAt(record: EntityRecord, path: string): unknown {
  let current: unknown = record;
  for (const segment of path.split('.')) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as EntityRecord)[segment];
  }
  return current;
}

/** Ids travel as numbers or strings (created_by holds the user id as text). */
function same(a: unknown, b: unknown): boolean {
  return a === b || (a !== null && b !== null && String(a) === String(b));
}

function compare(a: unknown, b: unknown): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return String(a).localeCompare(String(b));
}
