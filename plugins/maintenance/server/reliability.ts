import type { EntityRecord, PluginApi } from '../../../platform/src/plugins/plugin-api';
import { round } from './records';

const MINUTE_MS = 60_000;
const HOUR_MS = 3_600_000;

export interface Reliability {
  equipmentId: number;
  from: string;
  to: string;
  /** Closed breakdowns (reason BREAKDOWN) that started in the window. */
  failures: number;
  /** Window length minus every closed downtime in it (overlaps counted once). */
  operatingHours: number;
  /** Breakdown downtime inside the window. */
  repairHours: number;
  /** Mean time between failures = operating hours ÷ failures; null without failures. */
  mtbfHours: number | null;
  /** Mean time to repair = breakdown hours ÷ failures; null without failures. */
  mttrHours: number | null;
  /** Operating hours ÷ window hours × 100. */
  availability: number;
}

type Interval = [start: number, end: number];

/** Total length of the union of intervals (overlapping downtime records count once). */
function unionLength(intervals: Interval[]): number {
  const sorted = [...intervals].sort((a, b) => a[0] - b[0]);
  let total = 0;
  let current: Interval | null = null;
  for (const [start, end] of sorted) {
    if (!current || start > current[1]) {
      if (current) total += current[1] - current[0];
      current = [start, end];
    } else current[1] = Math.max(current[1], end);
  }
  return current ? total + current[1] - current[0] : total;
}

/** MTBF and MTTR of one equipment over [from, to) from its closed downtime records. */
export function reliabilityOf(
  equipmentId: number,
  records: EntityRecord[],
  from: Date,
  to: Date,
): Reliability {
  const window: Interval = [from.getTime(), to.getTime()];
  const clip = (record: EntityRecord): Interval | null => {
    if (typeof record.startTime !== 'string' || typeof record.endTime !== 'string') return null;
    const start = Math.max(Date.parse(record.startTime), window[0]);
    const end = Math.min(Date.parse(record.endTime), window[1]);
    return end > start ? [start, end] : null;
  };
  const downtime = records.map(clip).filter((i): i is Interval => i !== null);
  const breakdowns = records.filter(
    (r) =>
      r.reasonCategory === 'BREAKDOWN' &&
      typeof r.endTime === 'string' &&
      Date.parse(String(r.startTime)) >= window[0] &&
      Date.parse(String(r.startTime)) < window[1],
  );
  const repairMs = unionLength(breakdowns.map(clip).filter((i): i is Interval => i !== null));
  const operatingMs = window[1] - window[0] - unionLength(downtime);
  const failures = breakdowns.length;
  return {
    equipmentId,
    from: from.toISOString(),
    to: to.toISOString(),
    failures,
    operatingHours: round(operatingMs / HOUR_MS, 2),
    repairHours: round(repairMs / HOUR_MS, 2),
    mtbfHours: failures > 0 ? round(operatingMs / HOUR_MS / failures, 2) : null,
    mttrHours: failures > 0 ? round(repairMs / HOUR_MS / failures, 2) : null,
    availability: round((operatingMs / (window[1] - window[0])) * 100, 2),
  };
}

/**
 * Downtime records get their duration from start and end (an end before the start is refused), and
 * `GET /api/plugins/maintenance/equipment/:id/reliability?from=…&to=…` reports MTBF and MTTR.
 */
export function registerReliability(api: PluginApi): void {
  api.hooks.beforeWrite({ entity: 'downtime_record', action: '*' }, ({ action, body, current }) => {
    if (action !== 'create' && action !== 'update') return;
    const record = { ...(current ?? {}), ...body };
    if (typeof record.endTime !== 'string' || typeof record.startTime !== 'string') {
      body.durationMinutes = null;
      return;
    }
    const minutes = (Date.parse(record.endTime) - Date.parse(record.startTime)) / MINUTE_MS;
    if (minutes < 0) {
      throw api.errors.validation([
        {
          field: 'endTime',
          path: '/endTime',
          rule: 'after-start',
          message: 'endTime must not be before startTime',
        },
      ]);
    }
    body.durationMinutes = round(minutes, 2);
  });

  api.routes.get('/equipment/:id/reliability', async ({ params, query, ctx }) => {
    const errors = (['from', 'to'] as const)
      .filter((key) => typeof query[key] !== 'string' || Number.isNaN(Date.parse(String(query[key]))))
      .map((key) => ({
        field: key,
        path: `/${key}`,
        rule: 'format',
        message: `${key} must be an ISO 8601 date-time`,
      }));
    if (errors.length > 0) throw api.errors.validation(errors);
    const from = new Date(String(query.from));
    const to = new Date(String(query.to));
    if (to <= from)
      throw api.errors.validation([
        { field: 'to', path: '/to', rule: 'after-from', message: 'to must be after from' },
      ]);
    const equipment = await api.entities.get('equipment', Number(params.id), ctx);
    // Records that started before the window may reach into it; those ending before it are clipped away.
    const records = await api.entities.listAll(
      'downtime_record',
      { equipmentId: equipment.id, startTime: { lt: to.toISOString() }, endTime: { notNull: true } },
      ctx,
    );
    return reliabilityOf(Number(equipment.id), records, from, to);
  });
}
