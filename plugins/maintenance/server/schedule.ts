import type { EntityRecord } from '../../../platform/src/plugins/plugin-api';
import { num, round } from './records';

const DAY_MS = 86_400_000;
const MONTHS: Record<string, number> = { MONTH: 1, QUARTER: 3, YEAR: 12 };
const DAYS: Record<string, number> = { DAY: 1, WEEK: 7 };

/** `at` plus `value` calendar units; months keep the day, clamped to the month's end (31 Jan + 1 month = 28/29 Feb). */
export function addInterval(at: Date, value: number, unit: string): Date {
  if (unit in DAYS) return new Date(at.getTime() + value * DAYS[unit]! * DAY_MS);
  const months = value * (MONTHS[unit] ?? 1);
  const target = new Date(at.getTime());
  target.setUTCDate(1);
  target.setUTCMonth(target.getUTCMonth() + months);
  const lastDay = new Date(Date.UTC(target.getUTCFullYear(), target.getUTCMonth() + 1, 0)).getUTCDate();
  target.setUTCDate(Math.min(at.getUTCDate(), lastDay));
  return target;
}

/** One due occurrence of a plan: the order created for it carries its key (unique per plan). */
export interface Occurrence {
  key: string;
  dueAt: string | null;
  dueUsage: number | null;
}

/** The plan's current occurrence (its next due date or usage), or null while it has none. */
export function currentOccurrence(plan: EntityRecord): Occurrence | null {
  if (plan.triggerType === 'USAGE') {
    if (plan.nextDueUsage === null || plan.nextDueUsage === undefined) return null;
    const dueUsage = round(num(plan.nextDueUsage), 2);
    return { key: `U:${dueUsage}`, dueAt: null, dueUsage };
  }
  if (typeof plan.nextDueAt !== 'string') return null;
  return { key: `C:${plan.nextDueAt}`, dueAt: plan.nextDueAt, dueUsage: null };
}

/**
 * Whether the occurrence is due at `asOf`: a calendar plan `lead_days` before its due date, a usage
 * plan once the equipment's counter has reached the due value.
 */
export function isDue(plan: EntityRecord, occurrence: Occurrence, usageCounter: number, asOf: Date): boolean {
  if (occurrence.dueUsage !== null) return usageCounter >= occurrence.dueUsage;
  const leadMs = num(plan.leadDays) * DAY_MS;
  return new Date(String(occurrence.dueAt)).getTime() - leadMs <= asOf.getTime();
}

/** The plan's next occurrence after one served at `servedAt` (date) with the counter at `usage`. */
export function nextOccurrence(
  plan: EntityRecord,
  servedAt: Date,
  usage: number,
): { nextDueAt: string | null; nextDueUsage: number | null } {
  if (plan.triggerType === 'USAGE') {
    return { nextDueAt: null, nextDueUsage: round(usage + num(plan.usageInterval), 2) };
  }
  const next = addInterval(servedAt, num(plan.intervalValue), String(plan.intervalUnit ?? 'MONTH'));
  return { nextDueAt: next.toISOString(), nextDueUsage: null };
}
