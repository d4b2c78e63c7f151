/**
 * Working time of a calendar as instants: on each day the calendar works, the clock windows of the
 * shifts it works that day (across midnight when a shift crosses it), read on the wall clock of the
 * plant's time zone; a working day without any shift works around the clock. The schedule shades the
 * rest, and rules refuse a time that falls in it.
 */
import type { ShiftWindow, WorkingCalendar } from './calendar-store';
import { calendarFor, workingShiftIds, worksOn } from './planned-time';
import { offsetAt, offsetPeriods, type OffsetPeriod } from './time-zone';

const DAY_MS = 86_400_000;
const MINUTE_MS = 60_000;

/** A stretch of working time, from `start` (inclusive) to `end` (exclusive), UTC milliseconds. */
export interface WorkingSpan {
  start: number;
  end: number;
}

/** The UTC instant of a wall-clock time (ms since the epoch as if the wall clock were UTC). */
function wallToUtc(periods: OffsetPeriod[], wallMs: number): number {
  const guess = wallMs - offsetAt(periods, wallMs) * MINUTE_MS;
  return wallMs - offsetAt(periods, guess) * MINUTE_MS;
}

/** The calendar's working spans that overlap `[fromMs, toMs)`, clipped to it, merged and in order. */
export function workingSpans(
  calendar: WorkingCalendar,
  calendars: readonly WorkingCalendar[],
  shifts: readonly ShiftWindow[],
  timeZone: string,
  fromMs: number,
  toMs: number,
): WorkingSpan[] {
  const periods = offsetPeriods(timeZone);
  const byId = new Map(shifts.map((shift) => [shift.id, shift]));
  // A shift that crosses midnight reaches into the range from the day before it.
  const firstDay = Math.floor((fromMs + offsetAt(periods, fromMs) * MINUTE_MS) / DAY_MS) * DAY_MS - DAY_MS;
  const lastDay = toMs + offsetAt(periods, toMs) * MINUTE_MS;
  const spans: WorkingSpan[] = [];
  for (let day = firstDay; day <= lastDay; day += DAY_MS) {
    const date = new Date(day).toISOString().slice(0, 10);
    const dayCalendar = calendarFor(calendar, calendars, date);
    if (!worksOn(dayCalendar, date)) continue;
    const windows = workingShiftIds(dayCalendar, date)
      .map((id) => byId.get(id))
      .filter((shift): shift is ShiftWindow => shift !== undefined)
      .map((shift) => ({
        start: day + shift.startMinute * MINUTE_MS,
        end: day + (shift.crossesMidnight ? DAY_MS : 0) + shift.endMinute * MINUTE_MS,
      }));
    for (const window of windows.length > 0 ? windows : [{ start: day, end: day + DAY_MS }]) {
      const start = Math.max(wallToUtc(periods, window.start), fromMs);
      const end = Math.min(wallToUtc(periods, window.end), toMs);
      if (end > start) spans.push({ start, end });
    }
  }
  return merge(spans);
}

/** Whether `instant` lies in working time; a span's end counts (an order may end as the shift does). */
export function isWorkingAt(
  calendar: WorkingCalendar,
  calendars: readonly WorkingCalendar[],
  shifts: readonly ShiftWindow[],
  timeZone: string,
  instant: number,
): boolean {
  return workingSpans(calendar, calendars, shifts, timeZone, instant - DAY_MS, instant + DAY_MS).some(
    (span) => span.start <= instant && instant <= span.end,
  );
}

function merge(spans: WorkingSpan[]): WorkingSpan[] {
  const merged: WorkingSpan[] = [];
  for (const span of [...spans].sort((a, b) => a.start - b.start)) {
    const last = merged.at(-1);
    if (last && span.start <= last.end) last.end = Math.max(last.end, span.end);
    else merged.push({ ...span });
  }
  return merged;
}
