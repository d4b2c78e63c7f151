import type { ColumnType } from '../../../metadata/src/model';
import type { DialectName } from './dialect';

/**
 * Conversions between API values and what both drivers store and return. Datetimes are stored as
 * UTC wall-clock text `YYYY-MM-DD HH:MM:SS.mmm` (portable between MySQL DATETIME(3) and SQLite TEXT,
 * and ordered correctly as text); the API speaks ISO 8601 with `Z`.
 */

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

export function nowForDb(): string {
  return isoToDbDatetime(new Date().toISOString());
}

export function isoToDbDatetime(iso: string): string {
  const date = new Date(iso);
  return (
    `${date.getUTCFullYear()}-${pad(date.getUTCMonth() + 1)}-${pad(date.getUTCDate())} ` +
    `${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())}.` +
    pad(date.getUTCMilliseconds(), 3)
  );
}

/**
 * mysql2 builds Date objects from DATETIME with local-time constructors; reading them back with
 * local getters recovers the stored wall-clock exactly, whatever the process time zone.
 */
function dateToWallClock(date: Date, withTime: boolean): string {
  const day = `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
  if (!withTime) return day;
  const time = `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
  return `${day} ${time}.${pad(date.getMilliseconds(), 3)}`;
}

/** A stored value in the canonical text form used for cursors and comparisons. */
export function canonicalDbValue(columnType: ColumnType | undefined, value: unknown): unknown {
  if (value instanceof Date) return dateToWallClock(value, columnType !== 'date');
  if (typeof value === 'bigint') return Number(value);
  if (columnType === 'datetime' && typeof value === 'string') return value.replace('T', ' ');
  return value;
}

/** In a `u` regex a surrogate pair is one code point, so only unpaired halves match. */
const UNPAIRED_SURROGATE = /\p{Surrogate}/u;

/**
 * Whether the database keeps a bound value exactly as sent, so that a row built from the written
 * values equals what reading it back returns. Not so for unpaired UTF-16 surrogates (both drivers
 * encode UTF-8 with replacement characters) and, on MySQL, decimals with more digits after the point
 * than the column's scale (rounded). Everything else the engine binds is stored as is.
 */
export function storedAsSent(
  dialect: DialectName,
  column: { columnType?: ColumnType; scale?: number },
  value: unknown,
): boolean {
  if (typeof value === 'string') return !UNPAIRED_SURROGATE.test(value);
  if (typeof value === 'number' && column.columnType === 'decimal' && dialect === 'mysql') {
    const digits = /^-?\d+(?:\.(\d+))?$/.exec(String(value));
    return digits !== null && (digits[1]?.length ?? 0) <= (column.scale ?? 0);
  }
  return true;
}

/**
 * API value → bound parameter for a column of this type. A number for a decimal column is rounded
 * to the column's scale, so every dialect stores what MySQL's DECIMAL would (SQLite keeps any
 * double) and a computed value (`83.333…` for a yield rate) is stored as the column declares it.
 */
export function toDbValue(columnType: ColumnType | undefined, value: unknown, scale?: number): unknown {
  if (value === null || value === undefined) return null;
  switch (columnType) {
    case 'decimal':
      return typeof value === 'number' && scale !== undefined ? Number(value.toFixed(scale)) : value;
    case 'datetime':
      return isoToDbDatetime(String(value));
    case 'date':
      return String(value).slice(0, 10);
    case 'boolean':
      return value ? 1 : 0;
    case 'json':
      return JSON.stringify(value);
    default:
      return value;
  }
}

/** Stored value → API value. */
export function fromDbValue(columnType: ColumnType | undefined, value: unknown): unknown {
  if (value === null || value === undefined) return null;
  switch (columnType) {
    case 'datetime': {
      const [date, time = '00:00:00'] = String(canonicalDbValue('datetime', value)).split(' ');
      const [seconds, fraction = ''] = time.split('.');
      return `${date}T${seconds}.${fraction.padEnd(3, '0').slice(0, 3)}Z`;
    }
    case 'date':
      return String(canonicalDbValue('date', value)).slice(0, 10);
    case 'boolean':
      return value === true || value === 1 || value === '1';
    case 'int':
    case 'bigint':
    case 'decimal':
      return Number(value);
    case 'json':
      return typeof value === 'string' ? (JSON.parse(value) as unknown) : value;
    default:
      return value;
  }
}
