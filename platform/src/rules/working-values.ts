/**
 * The `working` values of a rule: for each, whether the record's time lies in the working time of
 * the calendar its path leads to (read through relations into the record beforehand), on the wall
 * clock of the time zone its other path names. Null when the time or the calendar is empty or the
 * calendar is not active, so records without a calendar are never held to one.
 */
import type { RuleDef } from '../../../metadata/src/types';
import { CalendarStore, type PendingWorkingTime, type WorkingTime } from '../bi/calendar-store';
import { offsetPeriods } from '../bi/time-zone';
import { isWorkingAt } from '../bi/working-time';
import type { RequestContext } from '../crud/types';
import type { SqlExecutor } from '../data/database';
import type { RuleRecord } from './rule-record';
import type { WorkingTimeCache } from './working-time-cache';

function at(record: RuleRecord, path: string): unknown {
  let current: unknown = record;
  for (const segment of path.split('.')) {
    if (current === null || typeof current !== 'object') return null;
    current = (current as RuleRecord)[segment];
  }
  return current ?? null;
}

function idOf(value: unknown): number | null {
  const id = value && typeof value === 'object' && 'id' in value ? (value as { id: unknown }).id : value;
  const number = Number(id);
  return id === null || id === undefined || id === '' || !Number.isFinite(number) ? null : number;
}

function zoneOf(value: unknown): string {
  if (typeof value !== 'string' || value === '') return 'UTC';
  try {
    offsetPeriods(value);
    return value;
  } catch {
    // A zone the runtime does not know reads as UTC rather than failing every write of the record.
    return 'UTC';
  }
}

/** Per rule, the tenants whose last check of the rule read their working time. */
const readWorkingTime = new WeakMap<RuleDef, Set<string>>();

/**
 * The tenant's working time sent ahead (`queryLater`, with the transaction's next statement: the
 * read of the rule's paths) when the rule's last check in the tenant needed it; null otherwise.
 * Whether it is needed is known only once the paths are read (a record's plant may have no
 * calendar), so a rule that needed it on its last write is expected to need it on the next.
 */
export function workingTimeAhead(
  tx: SqlExecutor,
  ctx: RequestContext,
  def: RuleDef,
  cache: WorkingTimeCache | null = null,
): PendingWorkingTime | null {
  if (!readWorkingTime.get(def)?.has(ctx.tenantId) || cache?.has(tx, ctx)) return null;
  return new CalendarStore(tx, ctx.model, ctx.tenantId).workingTimeAhead();
}

export async function workingValues(
  tx: SqlExecutor,
  ctx: RequestContext,
  def: RuleDef,
  record: RuleRecord,
  ahead: PendingWorkingTime | null = null,
  cache: WorkingTimeCache | null = null,
): Promise<Record<string, boolean | null>> {
  const load = () => (ahead ? ahead.read() : new CalendarStore(tx, ctx.model, ctx.tenantId).workingTime());
  const values: Record<string, boolean | null> = {};
  let loaded: WorkingTime | null = null;
  for (const [name, working] of Object.entries(def.working ?? {})) {
    values[name] = null;
    const time = at(record, working.time);
    const instant = typeof time === 'string' || time instanceof Date ? new Date(time).getTime() : NaN;
    const calendarId = idOf(at(record, working.calendar));
    if (Number.isNaN(instant) || calendarId === null) continue;
    loaded ??= await (cache ? cache.read(tx, ctx, load) : load());
    const calendar = loaded.calendars.find((c) => c.id === calendarId);
    if (!calendar) continue;
    const zone = zoneOf(working.timeZone ? at(record, working.timeZone) : null);
    values[name] = isWorkingAt(calendar, loaded.calendars, loaded.shifts, zone, instant);
  }
  const tenants = readWorkingTime.get(def) ?? new Set<string>();
  if (loaded) tenants.add(ctx.tenantId);
  else tenants.delete(ctx.tenantId);
  readWorkingTime.set(def, tenants);
  return values;
}
