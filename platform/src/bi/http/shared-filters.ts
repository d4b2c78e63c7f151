/**
 * The dashboards' shared filters (plant, line, shift, date range, time zone) read from a request, for
 * the dashboard API and the studio's dashboard preview alike.
 */
import { BadRequestError } from '../../crud/errors';
import type { EntityOperations, RequestContext } from '../../crud/types';
import { checkTimeZone, offsetPeriods } from '../time-zone';
import type { SharedFilters } from '../widget-query';

const FILTER_KEYS = new Set(['plant', 'line', 'shift', 'from', 'to', 'tz']);
const DATE = /^\d{4}-\d{2}-\d{2}$/;

/**
 * Shared filters from query parameters (or a body's `filters` object); without `tz`, the chosen
 * plant's time zone (read as the caller), else UTC. `prefix` names the parameters in errors.
 */
export async function sharedFilters(
  query: Record<string, unknown>,
  ctx: RequestContext,
  operations: EntityOperations,
  extraKeys: ReadonlySet<string> = new Set(),
  prefix = '',
): Promise<SharedFilters> {
  for (const key of Object.keys(query))
    if (!FILTER_KEYS.has(key) && !extraKeys.has(key))
      throw new BadRequestError(`Unknown query parameter '${key}'`, paramError(prefix + key, 'unknown'));
  const plantId = id(query.plant, prefix + 'plant');
  const lineId = id(query.line, prefix + 'line');
  const shiftId = id(query.shift, prefix + 'shift');
  let timeZone = 'UTC';
  if (query.tz !== undefined) timeZone = checkTimeZone(text(query.tz, prefix + 'tz'), prefix + 'tz');
  else if (plantId !== null) {
    const plant = await operations.get('plant', plantId, ctx, { fields: ['timezone'] });
    if (typeof plant.timezone === 'string' && plant.timezone !== '')
      timeZone = checkTimeZone(plant.timezone, 'plant.timezone');
  }
  const from = instant(query.from, prefix + 'from', timeZone);
  const to = instant(query.to, prefix + 'to', timeZone);
  if (from !== null && to !== null && from >= to)
    throw new BadRequestError('to must be after from', paramError(prefix + 'to', 'after'));
  return { plantId, lineId, shiftId, from, to, timeZone };
}

export function text(value: unknown, parameter: string): string {
  if (typeof value === 'string') return value;
  throw new BadRequestError(`${parameter} must be a single value`, paramError(parameter, 'type'));
}

function id(value: unknown, parameter: string): number | null {
  if (value === undefined || value === '' || value === null) return null;
  const raw = typeof value === 'number' ? String(value) : text(value, parameter);
  if (!/^\d+$/.test(raw) || Number(raw) < 1)
    throw new BadRequestError(`${parameter} must be a record id`, paramError(parameter, 'type'));
  return Number(raw);
}

/** An ISO instant, or a date meaning midnight of that day in the dashboard's time zone. */
function instant(value: unknown, parameter: string, timeZone: string): string | null {
  if (value === undefined || value === '' || value === null) return null;
  const raw = text(value, parameter);
  if (DATE.test(raw)) {
    const midnight = Date.parse(`${raw}T00:00:00Z`);
    if (!Number.isNaN(midnight)) {
      const periods = offsetPeriods(timeZone);
      // The offset in force at that wall-clock midnight (taken at the UTC midnight; exact away from a change).
      const period = [...periods].reverse().find((p) => p.from === null || Date.parse(p.from) <= midnight);
      return new Date(midnight - (period?.offsetMinutes ?? 0) * 60_000).toISOString();
    }
  }
  const parsed = Date.parse(raw);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(raw) || Number.isNaN(parsed))
    throw new BadRequestError(
      `${parameter} must be a date (YYYY-MM-DD) or an ISO 8601 instant`,
      paramError(parameter, 'format'),
    );
  return new Date(parsed).toISOString();
}

export function paramError(parameter: string, rule: string) {
  return {
    errors: [{ field: parameter, path: `/${parameter.replace(/\./g, '/')}`, rule, message: rule }],
  };
}
