/**
 * MTBF and MTTR from the periods of a state history (the KPI's entity), computed as the caller and cut
 * at the requested window [from, to) — `to` at most now, `from` open when the date range has none:
 *
 * - failures: the periods the KPI's failure measures count whose start lies in the window (an entry
 *   into a failure state); a failure that began before the window is not counted again;
 * - repair minutes: the part of those periods inside the window (an open period lasts until now);
 * - operating minutes: the part of the periods the operating measures count inside the window.
 *
 * MTBF = operating minutes ÷ failures, MTTR = repair minutes ÷ failures (null without failures). The
 * periods are read through the aggregate engine (counts by group, start and end), so the caller's
 * entity, field and row permissions and the line and plant filters apply as for a list.
 */
import type { DashboardGroupBy, KpiDef, ReliabilityDef } from '../../../metadata/src/types';
import type { ReliabilityFigures } from '../contracts/bi';
import { BadRequestError } from '../crud/errors';
import type { RequestContext } from '../crud/types';
import type { AggregateEngine } from './aggregate-engine';
import { MAX_AGGREGATE_LIMIT, type GroupTerm } from './aggregate-query';
import { WidgetQueries, type AppliedFilters, type ListParser, type SharedFilters } from './widget-query';

export interface ReliabilityResult {
  value: number | null;
  measures: Record<string, number | null>;
  groupBy: string | null;
  groupField: string | null;
  points: { key: unknown; value: number | null; figures: ReliabilityFigures }[];
  applied: AppliedFilters;
  /** The periods that overlap the window, as a list filter. */
  filter: Record<string, unknown>;
}

interface Sums {
  failures: number;
  repairMinutes: number;
  operatingMinutes: number;
}

const MINUTE_MS = 60_000;
const START = '__periodStart';
const END = '__periodEnd';

export class ReliabilityEngine {
  constructor(
    private readonly aggregates: AggregateEngine,
    private readonly parseList: ListParser,
    private readonly now: () => number = Date.now,
  ) {}

  async compute(
    kpi: KpiDef & { reliability: ReliabilityDef },
    filters: SharedFilters,
    ctx: RequestContext,
    groupBy: DashboardGroupBy | undefined,
  ): Promise<ReliabilityResult> {
    const def = kpi.reliability;
    const queries = new WidgetQueries(ctx.model, this.parseList);
    const entity = queries.entity(kpi.entity);
    const group = groupBy === undefined ? null : queries.groupTerm(entity, groupBy);
    if (group && group.bucket !== null)
      throw new BadRequestError('A reliability KPI groups by a field, not a time bucket', {
        errors: [{ field: 'groupBy', path: '/groupBy', rule: 'bucket', message: 'a field without a bucket' }],
      });
    const { filter, applied } = queries.rowFilter(
      entity,
      kpi.filter,
      { line: kpi.dimensions?.line, plant: kpi.dimensions?.plant },
      filters,
    );
    const now = this.now();
    const windowStart = filters.from === null ? -Infinity : Date.parse(filters.from);
    const windowEnd = Math.min(filters.to === null ? now : Date.parse(filters.to), now);
    const start = queries.path(entity, def.start);
    const end = queries.path(entity, def.end);
    const overlapping = {
      and: [
        filter,
        { [start]: { lt: new Date(windowEnd).toISOString() } },
        ...(filters.from === null
          ? []
          : [{ or: [{ [end]: { null: true } }, { [end]: { gt: new Date(windowStart).toISOString() } }] }]),
      ],
    };
    const names = [...new Set([...def.failures, ...def.operating])];
    const result = await this.aggregates.aggregate(
      entity.name,
      {
        rows: queries.rows(entity, overlapping),
        groupBy: [
          ...(group ? [group] : []),
          { key: START, field: start, bucket: null },
          { key: END, field: end, bucket: null },
        ] satisfies GroupTerm[],
        measures: names.map((name) => queries.measure(entity, name, kpi.measures[name])),
        having: [],
        sort: [],
        limit: MAX_AGGREGATE_LIMIT,
        timeZone: filters.timeZone,
      },
      ctx,
    );
    if (result.rows.length >= MAX_AGGREGATE_LIMIT)
      throw new BadRequestError(`More than ${MAX_AGGREGATE_LIMIT} periods: narrow the date range`, {
        errors: [{ field: 'from', path: '/from', rule: 'range', message: 'too many periods' }],
      });

    const overall = zero();
    const groups = new Map<string, { key: unknown; sums: Sums }>();
    for (const row of result.rows) {
      if (row[START] === null || row[START] === undefined) continue;
      const periodStart = Date.parse(String(row[START]));
      const periodEnd = row[END] === null ? Math.max(periodStart, now) : Date.parse(String(row[END]));
      const minutes =
        Math.max(0, Math.min(periodEnd, windowEnd) - Math.max(periodStart, windowStart)) / MINUTE_MS;
      const count = (keys: string[]) => keys.reduce((total, key) => total + (Number(row[key]) || 0), 0);
      const failing = count(def.failures);
      const cell: Sums = {
        failures: periodStart >= windowStart && periodStart < windowEnd ? failing : 0,
        repairMinutes: failing * minutes,
        operatingMinutes: count(def.operating) * minutes,
      };
      addTo(overall, cell);
      if (group) {
        const key = row[group.key] ?? null;
        const id = JSON.stringify(key);
        const found = groups.get(id) ?? { key, sums: zero() };
        addTo(found.sums, cell);
        groups.set(id, found);
      }
    }
    const total = figures(overall);
    return {
      value: total[def.report],
      measures: { ...total },
      groupBy: group?.key ?? null,
      groupField: group?.field ?? null,
      points: [...groups.values()]
        .sort((a, b) => String(a.key).localeCompare(String(b.key), 'en', { numeric: true }))
        .map(({ key, sums }) => {
          const f = figures(sums);
          return { key, value: f[def.report], figures: f };
        }),
      applied: { ...applied, dateRange: filters.from !== null || filters.to !== null },
      filter: overlapping,
    };
  }
}

function zero(): Sums {
  return { failures: 0, repairMinutes: 0, operatingMinutes: 0 };
}

function addTo(sum: Sums, cell: Sums): void {
  sum.failures += cell.failures;
  sum.repairMinutes += cell.repairMinutes;
  sum.operatingMinutes += cell.operatingMinutes;
}

function figures(s: Sums): ReliabilityFigures {
  return {
    failures: s.failures,
    repairMinutes: round(s.repairMinutes),
    operatingMinutes: round(s.operatingMinutes),
    mtbf: s.failures > 0 ? round(s.operatingMinutes / s.failures) : null,
    mttr: s.failures > 0 ? round(s.repairMinutes / s.failures) : null,
  };
}

function round(value: number): number {
  return Math.round(value * 10_000) / 10_000;
}
