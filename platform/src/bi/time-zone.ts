/**
 * Plant time zones for time buckets. Datetimes are stored as UTC; a bucket is cut on the plant's wall
 * clock, so the SQL shifts each value by the zone's UTC offset at that instant. Neither SQLite nor a
 * MariaDB without loaded zone tables knows IANA zones, so the offsets come from the runtime's Intl
 * data as a table of periods (one for zones without daylight saving time).
 */
import { BadRequestError } from '../crud/errors';
import type { ShiftWindow } from './calendar-store';

/** From `from` (UTC ISO instant, null = the beginning of time) on, wall clock = UTC + offsetMinutes. */
export interface OffsetPeriod {
  from: string | null;
  offsetMinutes: number;
}

/** Offsets are tabulated for these years; outside them the nearest period's offset applies. */
const FIRST_YEAR = 2000;
const LAST_YEAR = 2060;
const DAY_MS = 86_400_000;
const cache = new Map<string, OffsetPeriod[]>();

/** The zone's name when the runtime knows it; 400 naming the parameter otherwise. */
export function checkTimeZone(zone: string, parameter: string): string {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return zone;
  } catch {
    throw new BadRequestError(`${parameter} must be an IANA time zone such as Asia/Shanghai; got '${zone}'`, {
      errors: [{ field: parameter, path: `/${parameter}`, rule: 'timeZone', message: 'Unknown time zone' }],
    });
  }
}

/** The zone's offset periods, computed once per zone. */
export function offsetPeriods(zone: string): OffsetPeriod[] {
  let periods = cache.get(zone);
  if (!periods) {
    periods = tabulate(zone);
    cache.set(zone, periods);
  }
  return periods;
}

/** The zone's offset in minutes at a UTC instant (ms), from its periods. */
export function offsetAt(periods: OffsetPeriod[], utcMs: number): number {
  let offset = periods[0].offsetMinutes;
  for (const period of periods) {
    if (period.from !== null && Date.parse(period.from) > utcMs) break;
    offset = period.offsetMinutes;
  }
  return offset;
}

/** The UTC instant (ms) of the wall-clock midnight that starts the day holding `utcMs`. */
export function dayStart(periods: OffsetPeriod[], utcMs: number): number {
  const wallMidnight = Math.floor((utcMs + offsetAt(periods, utcMs) * 60_000) / DAY_MS) * DAY_MS;
  // The offset at midnight may differ from the one at `utcMs` (a daylight-saving change that day).
  const guess = wallMidnight - offsetAt(periods, wallMidnight) * 60_000;
  return wallMidnight - offsetAt(periods, guess) * 60_000;
}

/** The UTC instant (ms) of a wall-clock time (given as ms as if it were UTC) in the zone of `periods`. */
export function wallToUtc(periods: OffsetPeriod[], wallMs: number): number {
  const guess = wallMs - offsetAt(periods, wallMs) * 60_000;
  return wallMs - offsetAt(periods, guess) * 60_000;
}

/**
 * The instants a time bucket's label covers in the zone, `[gte, lt)` as ISO instants: an hour
 * (`2026-12-01T08:00`), a day (`2026-12-01`), a week (labelled by its Monday), a month (`2026-12`) or
 * a shift of a production day (`2026-12-01/N`: from the shift's start on that day to its end, the next
 * day for a shift that crosses midnight; `shifts` are the tenant's); null for a label that is not such
 * a bucket (nulls, a shift that no longer exists).
 */
export function bucketRange(
  periods: OffsetPeriod[],
  bucket: string,
  label: unknown,
  shifts: readonly ShiftWindow[] = [],
): { gte: string; lt: string } | null {
  if (typeof label !== 'string') return null;
  const wall = (text: string) => Date.parse(`${text}Z`);
  let start: number;
  let end: number;
  if (bucket === 'hour' && /^\d{4}-\d{2}-\d{2}T\d{2}:00$/.test(label)) {
    start = wall(`${label}:00`);
    end = start + 3_600_000;
  } else if ((bucket === 'day' || bucket === 'week') && /^\d{4}-\d{2}-\d{2}$/.test(label)) {
    start = wall(`${label}T00:00:00`);
    end = start + (bucket === 'week' ? 7 : 1) * DAY_MS;
  } else if (bucket === 'month' && /^\d{4}-\d{2}$/.test(label)) {
    start = wall(`${label}-01T00:00:00`);
    const next = new Date(start);
    next.setUTCMonth(next.getUTCMonth() + 1);
    end = next.getTime();
  } else if (bucket === 'shift' && /^\d{4}-\d{2}-\d{2}\/./.test(label)) {
    const shift = shifts.find((s) => s.code === label.slice(11));
    if (!shift) return null;
    const midnight = wall(`${label.slice(0, 10)}T00:00:00`);
    start = midnight + shift.startMinute * 60_000;
    end = midnight + ((shift.crossesMidnight ? 1440 : 0) + shift.endMinute) * 60_000;
  } else return null;
  const iso = (ms: number) => new Date(wallToUtc(periods, ms)).toISOString();
  return { gte: iso(start), lt: iso(end) };
}

function tabulate(zone: string): OffsetPeriod[] {
  const offsetAt = offsetReader(zone);
  const start = Date.UTC(FIRST_YEAR, 0, 1);
  const end = Date.UTC(LAST_YEAR + 1, 0, 1);
  const periods: OffsetPeriod[] = [{ from: null, offsetMinutes: offsetAt(start) }];
  let previous = periods[0].offsetMinutes;
  for (let day = start + DAY_MS; day <= end; day += DAY_MS) {
    const offset = offsetAt(day);
    if (offset === previous) continue;
    // The change happened within the last day: find its minute by bisection.
    let low = day - DAY_MS;
    let high = day;
    while (high - low > 60_000) {
      const middle = low + Math.floor((high - low) / 120_000) * 60_000;
      if (offsetAt(middle) === previous) low = middle;
      else high = middle;
    }
    periods.push({ from: new Date(high).toISOString(), offsetMinutes: offset });
    previous = offset;
  }
  return periods;
}

/** The en-US text of a wall-clock minute with numeric fields and a 24-hour clock. */
const EN_US_WALL_CLOCK = /^(\d{1,2})\/(\d{1,2})\/(\d{4}), (\d{2}):(\d{2})$/;

function offsetReader(zone: string): (utcMs: number) => number {
  const format = new Intl.DateTimeFormat('en-US', {
    timeZone: zone,
    hourCycle: 'h23',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
  });
  return (utcMs) => {
    // `12/7/2026, 08:05`: reading the formatted text is five times cheaper than formatToParts,
    // which matters for the 22,000 days a zone is tabulated over; other shapes take the slow road.
    const text = EN_US_WALL_CLOCK.exec(format.format(utcMs));
    const parts = text
      ? {
          month: Number(text[1]),
          day: Number(text[2]),
          year: Number(text[3]),
          hour: Number(text[4]),
          minute: Number(text[5]),
        }
      : Object.fromEntries(format.formatToParts(utcMs).map((p) => [p.type, Number(p.value)]));
    const wall = Date.UTC(parts.year!, parts.month! - 1, parts.day, parts.hour, parts.minute);
    return Math.round((wall - Math.floor(utcMs / 60_000) * 60_000) / 60_000);
  };
}
