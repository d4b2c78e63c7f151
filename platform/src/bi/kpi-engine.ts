/**
 * KPIs declared in dashboard metadata, computed through the AggregateEngine, so the caller's entity,
 * field and row permissions hold for every number. A ratio KPI is scale × Σnumerator ÷ Σdenominator
 * (null when the denominator is 0), per group and overall; a measure KPI shows one measure by group,
 * with cumulative shares when it is a Pareto; an ageing KPI counts rows by age band; OEE and
 * reliability (MTBF, MTTR) KPIs have engines of their own over the same aggregates.
 */
import type { Model } from '../../../metadata/src/model';
import type { DashboardGroupBy, KpiDef } from '../../../metadata/src/types';
import { NotFoundError } from '../crud/errors';
import type { KpiPoint, KpiResult } from '../contracts/bi';
import type { RequestContext } from '../crud/types';
import type { AggregateEngine } from './aggregate-engine';
import {
  DEFAULT_AGGREGATE_LIMIT,
  type AggregateQuery,
  type GroupTerm,
  type Measure,
} from './aggregate-query';
import { OeeEngine, type OeeResult } from './oee-engine';
import { ReliabilityEngine } from './reliability-engine';
import { WidgetQueries, type ListParser, type SharedFilters } from './widget-query';

export type { KpiResult };

const DAY_MS = 86_400_000;

/**
 * OEE results computed for one dashboard request, by everything but the figure reported: OEE and its
 * factors are one computation shown four ways.
 */
export type OeeShare = Map<string, Promise<OeeResult>>;

/** Every KPI declared by the Model's dashboards, by name. */
export function kpisOf(model: Model): Map<string, KpiDef> {
  const kpis = new Map<string, KpiDef>();
  for (const dashboard of model.dashboards.values())
    for (const [name, kpi] of Object.entries(dashboard.kpis ?? {})) kpis.set(name, kpi);
  return kpis;
}

export class KpiEngine {
  constructor(
    private readonly aggregates: AggregateEngine,
    private readonly parseList: ListParser,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async compute(
    name: string,
    filters: SharedFilters,
    ctx: RequestContext,
    groupBy?: DashboardGroupBy,
    oeeShare?: OeeShare,
  ): Promise<KpiResult> {
    const kpi = kpisOf(ctx.model).get(name);
    if (!kpi) throw new NotFoundError('kpi', name);
    const queries = new WidgetQueries(ctx.model, this.parseList);
    const entity = queries.entity(kpi.entity);
    const { filter, applied } = queries.rowFilter(entity, kpi.filter, kpi.dimensions, filters);
    const rows = queries.rows(entity, filter);
    const run = (groups: GroupTerm[], measures: Measure[], sort: AggregateQuery['sort'] = []) =>
      this.aggregates.aggregate(
        entity.name,
        {
          rows,
          groupBy: groups,
          measures,
          having: [],
          sort,
          limit: DEFAULT_AGGREGATE_LIMIT,
          timeZone: filters.timeZone,
        },
        ctx,
      );
    const declared = Object.entries(kpi.measures).map(([key, measure]) =>
      queries.measure(entity, key, measure),
    );
    const base = {
      name,
      label: kpi.label,
      formula: kpi.formula,
      unit: kpi.unit ?? null,
      target: kpi.target ?? null,
      direction: kpi.direction ?? 'above',
      applied,
    };

    if (kpi.oee) {
      const report = kpi.oee.report;
      const group = oeeGroup(groupBy ?? kpi.groupBy);
      const { entity: output, filter: outputFilter, dimensions, measures, oee: def } = kpi;
      const key = JSON.stringify([
        output,
        outputFilter,
        dimensions,
        measures,
        { ...def, report: null },
        group,
      ]);
      let computed = oeeShare?.get(key);
      if (!computed) {
        computed = new OeeEngine(this.aggregates, this.parseList).compute(
          { ...kpi, oee: def },
          filters,
          ctx,
          group,
        );
        oeeShare?.set(key, computed);
      }
      const shared = await computed;
      const oee = {
        ...shared,
        value: shared.measures[report] ?? null,
        points: shared.points.map((p) => ({ ...p, value: p.figures[report] })),
      };
      return {
        ...base,
        applied: oee.applied,
        value: oee.value,
        measures: oee.measures,
        groupBy: oee.groupBy,
        points: oee.points,
        drillDown: { entity: entity.name, path: entity.path, filter: oee.filter, groupField: null },
      };
    }

    if (kpi.reliability) {
      const reliability = await new ReliabilityEngine(this.aggregates, this.parseList).compute(
        { ...kpi, reliability: kpi.reliability },
        filters,
        ctx,
        groupBy ?? kpi.groupBy,
      );
      return {
        ...base,
        applied: reliability.applied,
        value: reliability.value,
        measures: reliability.measures,
        groupBy: reliability.groupBy,
        points: reliability.points,
        drillDown: {
          entity: entity.name,
          path: entity.path,
          filter: reliability.filter,
          groupField: reliability.groupField,
        },
      };
    }

    if (kpi.ageing) {
      const field = queries.path(entity, kpi.ageing.field);
      const now = this.now().getTime();
      const bounds = [0, ...kpi.ageing.bands];
      const bands = bounds.map((lower, i) => {
        const upper = bounds[i + 1];
        const range: Record<string, string> = { lt: new Date(now - lower * DAY_MS).toISOString() };
        if (upper !== undefined) range.gte = new Date(now - upper * DAY_MS).toISOString();
        const label = upper === undefined ? `>${lower}` : `${i === 0 ? 0 : lower + 1}-${upper}`;
        return { label, where: queries.filterGroup(entity, { [field]: range }) };
      });
      const counted = declared[0];
      const measures = bands.map((band, i) => ({ ...counted, key: `band${i}`, where: band.where }));
      const [row] = (await run([], [counted, ...measures])).rows;
      return {
        ...base,
        value: numberOrNull(row?.[counted.key]),
        measures: { [counted.key]: numberOrNull(row?.[counted.key]) },
        groupBy: 'ageDays',
        points: bands.map((band, i) => ({ key: band.label, value: numberOrNull(row?.[`band${i}`]) })),
        drillDown: { entity: entity.name, path: entity.path, filter, groupField: null },
      };
    }

    const groupSpec = groupBy ?? kpi.groupBy;
    const group = groupSpec === undefined ? null : queries.groupTerm(entity, groupSpec);
    const valueOf = (row: Record<string, unknown> | undefined): number | null => {
      if (!row) return null;
      if (kpi.value) return numberOrNull(row[kpi.value]);
      const sum = (keys: string[] = []) =>
        keys.reduce((total, key) => total + (numberOrNull(row[key]) ?? 0), 0);
      const denominator = sum(kpi.denominator);
      return denominator === 0 ? null : round((kpi.scale ?? 1) * (sum(kpi.numerator) / denominator));
    };
    let overall: Record<string, unknown> | undefined;
    let points: KpiPoint[] = [];
    if (group) {
      const sort = kpi.pareto && kpi.value ? [{ key: kpi.value, direction: 'desc' as const }] : [];
      const grouped = await run([group], declared, sort);
      points = grouped.rows.map((row) => ({ key: row[group.key], value: valueOf(row) }));
      // Every row falls in one group (nulls form their own), so counts and sums over all the groups
      // are the totals: one statement instead of two, unless the group list was cut short.
      if (grouped.rows.length < DEFAULT_AGGREGATE_LIMIT && declared.every(additive))
        overall = totals(declared, grouped.rows);
    }
    overall ??= (await run([], declared)).rows[0];
    if (group && kpi.pareto) addShares(points, valueOf(overall));
    return {
      ...base,
      value: valueOf(overall),
      measures: Object.fromEntries(declared.map((m) => [m.key, numberOrNull(overall?.[m.key])])),
      groupBy: group?.key ?? null,
      points,
      drillDown: {
        entity: entity.name,
        path: entity.path,
        filter,
        groupField: group && group.bucket === null ? group.field : null,
      },
    };
  }
}

/** A measure whose value over all rows is the sum of its values over any partition of them. */
function additive(measure: Measure): boolean {
  return measure.fn === 'count' || measure.fn === 'sum';
}

function totals(measures: Measure[], rows: Record<string, unknown>[]): Record<string, unknown> {
  return Object.fromEntries(
    measures.map((m) => [
      m.key,
      Number(rows.reduce((total, row) => total + (numberOrNull(row[m.key]) ?? 0), 0).toPrecision(15)),
    ]),
  );
}

function addShares(points: KpiPoint[], total: number | null): void {
  let running = 0;
  for (const point of points) {
    running += point.value ?? 0;
    point.share = total ? round((100 * (point.value ?? 0)) / total) : null;
    point.cumulativeShare = total ? round((100 * running) / total) : null;
  }
}

function numberOrNull(value: unknown): number | null {
  return value === null || value === undefined ? null : Number(value);
}

/** KPI values are shown, not summed further: 4 decimals are plenty and keep tests exact. */
function round(value: number): number {
  return Math.round(value * 10_000) / 10_000;
}

/** An OEE KPI groups by `line`, `day` or `shift`, given as a plain name. */
function oeeGroup(groupBy: DashboardGroupBy | undefined): string | undefined {
  return typeof groupBy === 'string' || groupBy === undefined ? groupBy : groupBy.field;
}
