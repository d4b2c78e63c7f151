/**
 * Planned production time from working calendars: a day works when its exception says WORKDAY or
 * MAKEUP_WORKDAY (WEEKEND, HOLIDAY and SHUTDOWN do not), else when its weekday is one of the
 * calendar's working weekdays; it works the day's shifts, else the calendar's default shifts. A
 * shift plans its clock window (across midnight when it crosses) less its break.
 */
import type { ShiftWindow, WorkingCalendar } from './calendar-store';

const WORKING_DAY_TYPES = new Set(['WORKDAY', 'MAKEUP_WORKDAY']);
const DAY_MS = 86_400_000;

/** Planned minutes of a shift: its window less its break, never below zero. */
export function shiftMinutes(shift: ShiftWindow): number {
  const window = shift.crossesMidnight
    ? 1440 - shift.startMinute + shift.endMinute
    : shift.endMinute - shift.startMinute;
  return Math.max(0, window - shift.breakMinutes);
}

/**
 * The calendar that holds `date`: the one with the same code for the date's year (calendars are kept
 * per year), else the plant's own.
 */
export function calendarFor(
  plantCalendar: WorkingCalendar,
  calendars: readonly WorkingCalendar[],
  date: string,
): WorkingCalendar {
  const year = Number(date.slice(0, 4));
  return calendars.find((c) => c.code === plantCalendar.code && c.year === year) ?? plantCalendar;
}

/** Whether the calendar works on `date` (YYYY-MM-DD): its exception's day type, else its weekday. */
export function worksOn(calendar: WorkingCalendar, date: string): boolean {
  const exception = calendar.days.get(date);
  if (exception) return WORKING_DAY_TYPES.has(exception.dayType);
  const weekday = ((new Date(`${date}T00:00:00Z`).getUTCDay() + 6) % 7) + 1;
  return calendar.workingWeekdays.includes(weekday);
}

/** Ids of the shifts the calendar works on `date` (YYYY-MM-DD); empty on a day off. */
export function workingShiftIds(calendar: WorkingCalendar, date: string): number[] {
  if (!worksOn(calendar, date)) return [];
  const exception = calendar.days.get(date);
  return exception && exception.shiftIds.length > 0 ? exception.shiftIds : calendar.defaultShiftIds;
}

/** Every date from `first` to `last` (YYYY-MM-DD, inclusive). */
export function datesBetween(first: string, last: string): string[] {
  const dates: string[] = [];
  for (let day = Date.parse(`${first}T00:00:00Z`); day <= Date.parse(`${last}T00:00:00Z`); day += DAY_MS)
    dates.push(new Date(day).toISOString().slice(0, 10));
  return dates;
}
