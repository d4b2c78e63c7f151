/**
 * The working calendars of a schedule's lanes (`list.schedule.calendar`, a path through the lane field
 * such as `line.plant.calendar`, with `timeZone` such as `line.plant.timezone`): followed hop by hop
 * through the list API as the caller, then the working time of each calendar over the range from
 * `GET /api/calendars/:id/working-time`. A hop the caller may not read leaves the lane without a
 * calendar: nothing is shaded there and the server alone judges the times.
 */
import { entityMeta, fieldByName } from '../api/entity-meta';
import { api } from '../api/http';
import type { CalendarWorkingTime } from '../../../platform/src/contracts/bi';
import type { EntityRecord, ListPage } from '../api/meta';

/** Working time from `start` (inclusive) to `end`, epoch milliseconds. */
export interface Span {
  start: number;
  end: number;
}

/** The value at the end of `segments` for each record (by id), following relations as the caller. */
export async function valuesAlong(
  entity: string,
  records: EntityRecord[],
  segments: string[],
  canRead: (entity: string) => boolean,
): Promise<Map<number, unknown>> {
  const values = new Map<number, unknown>();
  const meta = await entityMeta(entity);
  const field = segments[0] ? fieldByName(meta, segments[0]) : undefined;
  if (!field) return values;
  if (segments.length === 1) {
    for (const record of records) values.set(record.id, record[field.property] ?? null);
    return values;
  }
  const relation = field.relation;
  if (!relation?.targetPath || !canRead(relation.target)) return values;
  const ids = [
    ...new Set(records.map((r) => r[field.property]).filter((id): id is number => typeof id === 'number')),
  ];
  if (ids.length === 0) return values;
  const params = new URLSearchParams({ pageSize: String(ids.length), count: 'none' });
  params.set('filter[id][in]', ids.join(','));
  const page = await api<ListPage<EntityRecord>>('GET', `/api/${relation.targetPath}?${params}`);
  const next = await valuesAlong(relation.target, page.items, segments.slice(1), canRead);
  for (const record of records) {
    const id = record[field.property];
    if (typeof id === 'number') values.set(record.id, next.get(id) ?? null);
  }
  return values;
}

/** The calendar's working spans over the range, on the wall clock of `timeZone`. */
export async function workingSpans(
  calendar: number,
  timeZone: string,
  from: Date,
  to: Date,
): Promise<Span[]> {
  const params = new URLSearchParams({ from: from.toISOString(), to: to.toISOString(), tz: timeZone });
  const answer = await api<CalendarWorkingTime>('GET', `/api/calendars/${calendar}/working-time?${params}`);
  return answer.working.map((span) => ({ start: Date.parse(span.start), end: Date.parse(span.end) }));
}

/** The stretches of the range the spans leave out: the non-working time to shade. */
export function gaps(spans: Span[], from: number, to: number): Span[] {
  const free: Span[] = [];
  let at = from;
  for (const span of spans) {
    if (span.start > at) free.push({ start: at, end: Math.min(span.start, to) });
    at = Math.max(at, span.end);
  }
  if (at < to) free.push({ start: at, end: to });
  return free.filter((gap) => gap.end > gap.start);
}

/**
 * Whether an instant inside the range lies outside every working span (a span's end still works, so
 * an order may end as the shift does); false outside the range, where the server decides.
 */
export function offCalendar(spans: Span[], from: number, to: number, instant: number): boolean {
  if (instant < from || instant >= to) return false;
  return !spans.some((span) => span.start <= instant && instant <= span.end);
}
