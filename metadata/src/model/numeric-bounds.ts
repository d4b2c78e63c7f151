/**
 * The numbers a column can store, as JSON Schema bounds: the server's payload validator and the
 * form rules both apply them, so a value the form accepts is one the server stores.
 */
import type { ColumnType } from './types';

const INT_RANGE = { minimum: -2_147_483_648, maximum: 2_147_483_647 };
/** BIGINT holds more, but a JSON number is exact only up to 2^53 - 1. */
const BIGINT_RANGE = { minimum: Number.MIN_SAFE_INTEGER, maximum: Number.MAX_SAFE_INTEGER };

/**
 * JSON Schema bounds of the numbers a column can store, the same on both drivers (SQLite would keep
 * out-of-range values, or turn an overflowing `1e309` into NULL; MySQL refuses them). DECIMAL(p, s)
 * holds magnitudes up to p − s nines, a point and s nines; where that value is not exact as a double
 * (p − s beyond 15 digits) the bound is the exclusive power of ten instead.
 */
export function numericBounds(column: {
  columnType?: ColumnType;
  precision?: number;
  scale?: number;
}): Record<string, number> | null {
  switch (column.columnType) {
    case 'int':
      return INT_RANGE;
    case 'bigint':
      return BIGINT_RANGE;
    case 'decimal': {
      const scale = column.scale ?? 0;
      const integerDigits = (column.precision ?? 10) - scale;
      const largest = Number(`${'9'.repeat(integerDigits) || '0'}.${'9'.repeat(scale) || '0'}`);
      const ceiling = 10 ** integerDigits;
      return largest < ceiling
        ? { minimum: -largest, maximum: largest }
        : { exclusiveMinimum: -ceiling, exclusiveMaximum: ceiling };
    }
    default:
      return null;
  }
}

/**
 * The same bounds as inclusive limits on doubles: an exclusive bound becomes the nearest double on
 * the inside of it, which is what a `min`/`max` rule compares against.
 */
export function inclusiveBounds(column: {
  columnType?: ColumnType;
  precision?: number;
  scale?: number;
}): { min: number; max: number } | null {
  const bounds = numericBounds(column);
  if (!bounds) return null;
  if (bounds.maximum !== undefined) return { min: bounds.minimum, max: bounds.maximum };
  const max = nextDown(bounds.exclusiveMaximum);
  return { min: -max, max };
}

/** The largest double below a positive double. */
function nextDown(value: number): number {
  const bits = new BigInt64Array(new Float64Array([value]).buffer);
  bits[0] -= 1n;
  return new Float64Array(bits.buffer)[0];
}
