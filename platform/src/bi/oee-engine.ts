/**
 * OEE = availability × performance × quality per line, shift and day, computed as the caller:
 *
 * - planned minutes: for each line the caller can read (under the line and plant filters), each day of
 *   the date range in the dashboard's time zone and each shift the line's plant calendar works that
 *   day, the shift's window less its break;
 * - downtime minutes and failures: either the downtime entity's measures, attributed to the line,
 *   production day and shift in which each downtime started; or the periods of a state history (the
 *   equipment's states), of which the part inside each planned shift window is lost — the union of the
 *   line's periods, so two machines standing together lose the time once, at most the shift's planned
 *   minutes (where in the window its break falls is not known) — and failures the periods starting in
 *   a planned window;
 * - good and total counts and Σ ideal cycle seconds × count: the output entity's measures, by the line,
 *   production day and shift of each row's time.
 *
 * availability = (planned − downtime) ÷ planned, performance = ideal seconds ÷ run seconds (run =
 * planned − downtime), quality = good ÷ total, MTBF = run minutes ÷ failures. Output and downtime
 * outside every shift count for their line and day but have no planned time of their own.
 */
import type { CompiledEntity } from '../../../metadata/src/model';
import type { DashboardDimensions, KpiDef, OeeDef, OeeStates } from '../../../metadata/src/types';
import type { OeeComponents as Components, OeeFigures } from '../contracts/bi';
import { BadRequestError } from '../crud/errors';
import type { RequestContext } from '../crud/types';
import type { AggregateEngine } from './aggregate-engine';
import {
  DEFAULT_AGGREGATE_LIMIT,
  MAX_AGGREGATE_LIMIT,
  type BasicMeasure,
  type GroupTerm,
} from './aggregate-query';
import type { ShiftWindow, WorkingCalendar } from './calendar-store';
import { calendarFor, datesBetween, shiftMinutes, workingShiftIds } from './planned-time';
import { offsetPeriods, wallToUtc } from './time-zone';
import { WidgetQueries, type AppliedFilters, type ListParser, type SharedFilters } from './widget-query';

export const OEE_GROUPS = ['line', 'day', 'shift'] as const;
export type OeeGroup = (typeof OEE_GROUPS)[number];

export interface OeeResult {
  value: number | null;
  measures: Record<string, number | null>;
  groupBy: OeeGroup | null;
  points: { key: unknown; value: number | null; figures: OeeFigures }[];
  applied: AppliedFilters;
  filter: Record<string, unknown>;
}

interface Cell extends Components {
  line: string;
  day: string;
  shift: string | null;
}

/** A planned shift of one line on one production day, as UTC instants (ms). */
interface PlannedWindow {
  line: string;
  day: string;
  shift: string;
  start: number;
  end: number;
  minutes: number;
}

const DAY_MS = 86_400_000;
const MINUTE_MS = 60_000;

export class OeeEngine {
  constructor(
    private readonly aggregates: AggregateEngine,
    private readonly parseList: ListParser,
    private readonly now: () => number = Date.now,
  ) {}

  async compute(
    kpi: KpiDef & { oee: OeeDef },
    filters: SharedFilters,
    ctx: RequestContext,
    groupBy: string | undefined,
  ): Promise<OeeResult> {
    if (groupBy !== undefined && !(OEE_GROUPS as readonly string[]).includes(groupBy))
      throw new BadRequestError(`groupBy of an OEE KPI must be one of ${OEE_GROUPS.join(', ')}`, {
        errors: [{ field: 'groupBy', path: '/groupBy', rule: 'enum', message: OEE_GROUPS.join(', ') }],
      });
    const queries = new WidgetQueries(ctx.model, this.parseList);
    const store = this.aggregates.calendars(ctx);
    const shifts = (await store.shifts()).filter((s) => filters.shiftId === null || s.id === filters.shiftId);
    const shiftCodes = new Set(shifts.map((s) => s.code));
    const cells = new Map<string, Cell>();
    const cell = (line: string, day: string, shift: string | null): Cell => {
      const key = `${line}|${day}|${shift ?? ''}`;
      let found = cells.get(key);
      if (!found) {
        found = { line, day, shift, ...zero() };
        cells.set(key, found);
      }
      return found;
    };
    // The shift filter keeps the cells of that shift: buckets come from the clock, not a relation.
    const unfiltered = { ...filters, shiftId: null };

    const output = queries.entity(kpi.entity);
    const outputRows = queries.rowFilter(output, kpi.filter, kpi.dimensions, unfiltered);
    const measures = Object.entries(kpi.measures).map(([key, m]) => queries.measure(output, key, m));
    for (const row of await this.byLineDayShift(
      queries,
      output,
      kpi.dimensions,
      outputRows.filter,
      measures,
      filters,
      ctx,
    )) {
      if (filters.shiftId !== null && (row.shift === null || !shiftCodes.has(row.shift))) continue;
      const target = cell(row.line, row.day, row.shift);
      const sum = (keys: string[]) => keys.reduce((total, key) => total + (Number(row.values[key]) || 0), 0);
      target.good += sum(kpi.oee.good);
      target.total += sum(kpi.oee.total);
      target.idealSeconds += sum(kpi.oee.idealSeconds);
    }

    const downtimeDef = kpi.oee.downtime;
    if (downtimeDef) {
      const downtime = queries.entity(downtimeDef.entity);
      const downtimeRows = queries.rowFilter(
        downtime,
        downtimeDef.filter,
        downtimeDef.dimensions,
        unfiltered,
      );
      const downtimeMeasures = [
        queries.measure(downtime, 'minutes', downtimeDef.minutes),
        queries.measure(downtime, 'failures', downtimeDef.failures),
      ];
      for (const row of await this.byLineDayShift(
        queries,
        downtime,
        downtimeDef.dimensions,
        downtimeRows.filter,
        downtimeMeasures,
        filters,
        ctx,
      )) {
        if (filters.shiftId !== null && (row.shift === null || !shiftCodes.has(row.shift))) continue;
        const target = cell(row.line, row.day, row.shift);
        target.downtimeMinutes += Number(row.values.minutes) || 0;
        target.failures += Number(row.values.failures) || 0;
      }
    }

    const windows = await this.addPlannedTime(
      queries,
      filters,
      ctx,
      shifts,
      await store.calendars(),
      cells,
      cell,
    );
    if (kpi.oee.states) await this.addStates(queries, kpi.oee.states, windows, filters, ctx, cell);

    const figuresOf = (group: Cell[]) => figures(group.reduce(add, zero()));
    const overall = figuresOf([...cells.values()]);
    const points = groupBy
      ? [...groupCells(cells, groupBy as OeeGroup)].map(([key, group]) => {
          const f = figuresOf(group);
          return { key, value: f[kpi.oee.report], figures: f };
        })
      : [];
    return {
      value: overall[kpi.oee.report],
      measures: { ...overall },
      groupBy: (groupBy as OeeGroup | undefined) ?? null,
      points,
      applied: { ...outputRows.applied, shift: filters.shiftId !== null },
      filter: outputRows.filter,
    };
  }

  /** One aggregate by line, production day and shift (`<day>/<code>`, null outside every shift). */
  private async byLineDayShift(
    queries: WidgetQueries,
    entity: CompiledEntity,
    dimensions: DashboardDimensions | undefined,
    filter: Record<string, unknown>,
    measures: BasicMeasure[],
    filters: SharedFilters,
    ctx: RequestContext,
  ): Promise<{ line: string; day: string; shift: string | null; values: Record<string, unknown> }[]> {
    const time = queries.path(entity, dimensions!.time!);
    const groups: GroupTerm[] = [
      { key: 'line', field: queries.path(entity, dimensions!.line!), bucket: null },
      { key: 'shift', field: time, bucket: 'shift' },
      { key: 'day', field: time, bucket: 'day' },
    ];
    const result = await this.aggregates.aggregate(
      entity.name,
      {
        rows: queries.rows(entity, filter),
        groupBy: groups,
        measures,
        having: [],
        sort: [],
        limit: MAX_AGGREGATE_LIMIT,
        timeZone: filters.timeZone,
      },
      ctx,
    );
    return result.rows
      .filter((row) => row.line !== null && row.line !== undefined)
      .map((row) => {
        const shift = typeof row.shift === 'string' ? row.shift : null;
        return {
          line: String(row.line),
          // The production day: a night shift's hours after midnight belong to the day it started.
          day: shift ? shift.slice(0, 10) : String(row.day),
          shift: shift ? shift.slice(11) : null,
          values: row,
        };
      });
  }

  /** Planned minutes of every line the caller reads under the filters, each day and working shift. */
  private async addPlannedTime(
    queries: WidgetQueries,
    filters: SharedFilters,
    ctx: RequestContext,
    shifts: ShiftWindow[],
    calendars: WorkingCalendar[],
    cells: Map<string, Cell>,
    cell: (line: string, day: string, shift: string | null) => Cell,
  ): Promise<PlannedWindow[]> {
    const days = dateSpan(
      filters,
      [...cells.values()].map((c) => c.day),
    );
    if (days.length === 0) return [];
    const lineEntity = queries.entity('production_line');
    const { filter } = queries.rowFilter(lineEntity, undefined, { line: 'id', plant: 'plant' }, filters);
    const lines = await this.aggregates.aggregate(
      lineEntity.name,
      {
        rows: queries.rows(lineEntity, filter),
        groupBy: [
          { key: 'line', field: 'id', bucket: null },
          { key: 'calendar', field: queries.path(lineEntity, 'plant.calendar'), bucket: null },
        ],
        measures: [{ key: 'count', fn: 'count', field: null, where: null, compare: null }],
        having: [],
        sort: [],
        limit: DEFAULT_AGGREGATE_LIMIT,
        timeZone: filters.timeZone,
      },
      ctx,
    );
    const byId = new Map(calendars.map((c) => [c.id, c]));
    const shiftById = new Map(shifts.map((s) => [s.id, s]));
    const periods = offsetPeriods(filters.timeZone);
    const windows: PlannedWindow[] = [];
    for (const row of lines.rows) {
      const plantCalendar = byId.get(Number(row.calendar));
      if (!plantCalendar) continue;
      for (const day of days) {
        const calendar = calendarFor(plantCalendar, calendars, day);
        for (const shiftId of workingShiftIds(calendar, day)) {
          const shift = shiftById.get(shiftId);
          if (!shift) continue;
          const minutes = shiftMinutes(shift);
          cell(String(row.line), day, shift.code).plannedMinutes += minutes;
          const midnight = Date.parse(`${day}T00:00:00Z`);
          const endMinute = shift.crossesMidnight ? 1440 + shift.endMinute : shift.endMinute;
          windows.push({
            line: String(row.line),
            day,
            shift: shift.code,
            start: wallToUtc(periods, midnight + shift.startMinute * MINUTE_MS),
            end: wallToUtc(periods, midnight + endMinute * MINUTE_MS),
            minutes,
          });
        }
      }
    }
    return windows;
  }

  /**
   * Lost time and failures from a state history: the selected periods of each line that overlap its
   * planned windows, read as the caller (the line and plant filters apply; the date range is the
   * windows'), merged per line and cut to each window.
   */
  private async addStates(
    queries: WidgetQueries,
    def: OeeStates,
    windows: PlannedWindow[],
    filters: SharedFilters,
    ctx: RequestContext,
    cell: (line: string, day: string, shift: string | null) => Cell,
  ): Promise<void> {
    if (windows.length === 0) return;
    const entity = queries.entity(def.entity);
    const dimensions = { line: def.dimensions.line, plant: def.dimensions.plant };
    const { filter } = queries.rowFilter(entity, def.filter, dimensions, {
      ...filters,
      shiftId: null,
      from: null,
      to: null,
    });
    const start = queries.path(entity, def.start);
    const end = queries.path(entity, def.end);
    const first = Math.min(...windows.map((w) => w.start));
    const last = Math.max(...windows.map((w) => w.end));
    const overlapping = {
      and: [
        filter,
        { [start]: { lt: new Date(last).toISOString() } },
        { or: [{ [end]: { null: true } }, { [end]: { gt: new Date(first).toISOString() } }] },
      ],
    };
    const measures: BasicMeasure[] = [
      { key: 'periods', fn: 'count', field: null, where: null, compare: null },
      def.failures
        ? queries.measure(entity, 'failures', { fn: 'count', where: def.failures })
        : { key: 'failures', fn: 'count', field: null, where: null, compare: null },
    ];
    const result = await this.aggregates.aggregate(
      entity.name,
      {
        rows: queries.rows(entity, overlapping),
        groupBy: [
          { key: 'line', field: queries.path(entity, def.dimensions.line!), bucket: null },
          { key: 'start', field: start, bucket: null },
          { key: 'end', field: end, bucket: null },
        ],
        measures,
        having: [],
        sort: [],
        limit: MAX_AGGREGATE_LIMIT,
        timeZone: filters.timeZone,
      },
      ctx,
    );
    const now = this.now();
    const byLine = new Map<string, { start: number; end: number; failures: number }[]>();
    for (const row of result.rows) {
      if (row.line === null || row.line === undefined || row.start === null) continue;
      const periodStart = Date.parse(String(row.start));
      const periodEnd = row.end === null ? Math.max(periodStart, now) : Date.parse(String(row.end));
      const failures = def.failures ? Number(row.failures) || 0 : 0;
      const line = String(row.line);
      byLine.set(line, [...(byLine.get(line) ?? []), { start: periodStart, end: periodEnd, failures }]);
    }
    for (const window of windows) {
      const periods = byLine.get(window.line);
      if (!periods) continue;
      const lost = unionMinutes(
        periods
          .map((p) => ({ start: Math.max(p.start, window.start), end: Math.min(p.end, window.end) }))
          .filter((p) => p.end > p.start),
      );
      const target = cell(window.line, window.day, window.shift);
      target.downtimeMinutes += Math.min(window.minutes, lost);
      target.failures += periods
        .filter((p) => p.start >= window.start && p.start < window.end)
        .reduce((total, p) => total + p.failures, 0);
    }
  }
}

/** The days of the date range in its time zone, else from the first to the last day with data. */
function dateSpan(filters: SharedFilters, dataDays: string[]): string[] {
  const localDay = (instant: number) =>
    new Intl.DateTimeFormat('en-CA', { timeZone: filters.timeZone }).format(instant);
  const sorted = [...dataDays].sort();
  const first = filters.from !== null ? localDay(Date.parse(filters.from)) : sorted[0];
  const last = filters.to !== null ? localDay(Date.parse(filters.to) - 1) : sorted[sorted.length - 1];
  if (first === undefined || last === undefined || first > last) return [];
  if (Date.parse(last) - Date.parse(first) > 366 * DAY_MS)
    throw new BadRequestError('An OEE date range spans at most 366 days', {
      errors: [{ field: 'from', path: '/from', rule: 'range', message: 'at most 366 days' }],
    });
  return datesBetween(first, last);
}

/** Minutes covered by the intervals (ms), overlaps counted once. */
function unionMinutes(intervals: { start: number; end: number }[]): number {
  let covered = 0;
  let reach = -Infinity;
  for (const { start, end } of [...intervals].sort((a, b) => a.start - b.start)) {
    if (end <= reach) continue;
    covered += end - Math.max(start, reach);
    reach = end;
  }
  return covered / MINUTE_MS;
}

function groupCells(cells: Map<string, Cell>, groupBy: OeeGroup): Map<string, Cell[]> {
  const groups = new Map<string, Cell[]>();
  const keyOf = (c: Cell) =>
    groupBy === 'line' ? c.line : groupBy === 'day' ? c.day : c.shift === null ? null : `${c.day}/${c.shift}`;
  for (const c of [...cells.values()].sort((a, b) => (keyOf(a) ?? '').localeCompare(keyOf(b) ?? ''))) {
    const key = keyOf(c);
    if (key === null) continue;
    groups.set(key, [...(groups.get(key) ?? []), c]);
  }
  return groups;
}

function zero(): Components {
  return { plannedMinutes: 0, downtimeMinutes: 0, failures: 0, good: 0, total: 0, idealSeconds: 0 };
}

function add(sum: Components, c: Components): Components {
  return {
    plannedMinutes: sum.plannedMinutes + c.plannedMinutes,
    downtimeMinutes: sum.downtimeMinutes + c.downtimeMinutes,
    failures: sum.failures + c.failures,
    good: sum.good + c.good,
    total: sum.total + c.total,
    idealSeconds: sum.idealSeconds + c.idealSeconds,
  };
}

function figures(c: Components): OeeFigures {
  const runMinutes = Math.max(0, c.plannedMinutes - c.downtimeMinutes);
  const ratio = (numerator: number, denominator: number) =>
    denominator > 0 ? numerator / denominator : null;
  const availability = ratio(runMinutes, c.plannedMinutes);
  const performance = ratio(c.idealSeconds, runMinutes * 60);
  const quality = ratio(c.good, c.total);
  const oee =
    availability === null || performance === null || quality === null
      ? null
      : availability * performance * quality;
  const percent = (value: number | null) => (value === null ? null : round(100 * value));
  return {
    ...c,
    runMinutes: round(runMinutes),
    availability: percent(availability),
    performance: percent(performance),
    quality: percent(quality),
    oee: percent(oee),
    mtbf: c.failures > 0 ? round(runMinutes / c.failures) : null,
  };
}

function round(value: number): number {
  return Math.round(value * 10_000) / 10_000;
}
