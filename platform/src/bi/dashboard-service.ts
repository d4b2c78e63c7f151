/**
 * Dashboards from metadata with their widgets' data. A caller sees a dashboard when they hold
 * `bi:dashboard` and one of its roles (or it names none); each widget's data is computed through the
 * AggregateEngine (or the secure list for tables) as the caller, so a widget over rows they cannot
 * read answers with its own 403 instead of failing the dashboard.
 */
import type { CompiledEntity, Model } from '../../../metadata/src/model';
import type { DashboardDef, DashboardGroupBy, DashboardWidget } from '../../../metadata/src/types';
import { ApiError, ForbiddenError, NotFoundError } from '../crud/errors';
import type { EntityOperations, EntityRecord, RequestContext } from '../crud/types';
import type { DashboardData, DashboardSummary, WidgetData } from '../contracts/bi';
import { dashboardSharedWith, holds } from '../security/authorization/access';
import type { SecureContext } from '../security/principal';
import type { AggregateEngine } from './aggregate-engine';
import { DEFAULT_AGGREGATE_LIMIT } from './aggregate-query';
import { entitiesRead, widgetEntities } from './dashboard-invalidation';
import { KpiEngine, type KpiResult, type OeeShare } from './kpi-engine';
import { bucketRange, offsetPeriods } from './time-zone';
import type { WidgetCache } from './widget-cache';
import { WidgetQueries, type SharedFilters } from './widget-query';

export type { DashboardData, DashboardSummary };

export class DashboardService {
  private readonly kpis: KpiEngine;

  /** `cache`: widget results kept until the entities under them change (the dashboard API's). */
  constructor(
    private readonly aggregates: AggregateEngine,
    private readonly operations: EntityOperations,
    private readonly cache: WidgetCache | null = null,
  ) {
    this.kpis = new KpiEngine(aggregates, (entity, raw, model) =>
      operations.parseListQuery(entity, raw, model),
    );
  }

  list(ctx: RequestContext): DashboardSummary[] {
    return [...ctx.model.dashboards.values()]
      .filter((dashboard) => visible(dashboard, ctx))
      .sort((a, b) => a.dashboard.localeCompare(b.dashboard))
      .map((dashboard) => summary(dashboard, ctx));
  }

  async get(name: string, filters: SharedFilters, ctx: RequestContext): Promise<DashboardData> {
    const dashboard = ctx.model.dashboards.get(name);
    if (!dashboard) throw new NotFoundError('dashboard', name);
    if (!visible(dashboard, ctx))
      throw new ForbiddenError(`Dashboard '${name}' is not shared with your roles`);
    const widgets: WidgetData[] = [];
    // One widget at a time: SQLite has one connection, and a dashboard is a handful of statements.
    const oeeShare: OeeShare = new Map();
    for (const widget of dashboard.widgets)
      widgets.push(await this.cached(dashboard, widget, filters, ctx, oeeShare));
    return { ...summary(dashboard, ctx), widgets };
  }

  /**
   * A dashboard as a Metadata Studio draft defines it, computed as the caller over `ctx.model` (the
   * draft's Model): the live preview of the dashboard designer. Sharing is not checked (the analyst
   * designs dashboards for other roles), but every widget reads only what the caller may read. A
   * widget over an entity whose table the draft changes answers with `NOT_PUBLISHED`: its columns
   * exist once the change set is published.
   */
  async preview(
    dashboard: DashboardDef,
    filters: SharedFilters,
    ctx: RequestContext,
    served: Model,
  ): Promise<DashboardData> {
    const widgets: WidgetData[] = [];
    const oeeShare: OeeShare = new Map();
    for (const widget of dashboard.widgets) {
      const unpublished = [...entitiesRead({ ...dashboard, kpis: {}, widgets: [widget] }, ctx.model)].find(
        (name) => !sameColumns(ctx.model.entities.get(name), served.entities.get(name)),
      );
      widgets.push(
        unpublished === undefined
          ? await this.widget(widget, filters, ctx, oeeShare)
          : {
              ...widgetBase(widget),
              error: {
                code: 'NOT_PUBLISHED',
                message: `${unpublished} changes with this change set: its data can be previewed once it is published`,
              },
            },
      );
    }
    return { ...summary(dashboard, ctx), widgets };
  }

  kpi(
    name: string,
    filters: SharedFilters,
    ctx: RequestContext,
    groupBy?: DashboardGroupBy,
  ): Promise<KpiResult> {
    return this.kpis.compute(name, filters, ctx, groupBy);
  }

  /** The widget's data from the cache when the entities it reads have not changed since. */
  private cached(
    dashboard: DashboardDef,
    widget: DashboardWidget,
    filters: SharedFilters,
    ctx: RequestContext,
    oeeShare: OeeShare,
  ): Promise<WidgetData> {
    const principal = (ctx as Partial<SecureContext>).principal;
    if (!this.cache || !principal) return this.widget(widget, filters, ctx, oeeShare);
    const caller = { tenantId: ctx.tenantId, principal, model: ctx.model };
    const entities = widgetEntities(dashboard, widget, ctx.model);
    return this.cache.get(caller, [dashboard.dashboard, widget], filters, entities, () =>
      this.widget(widget, filters, ctx, oeeShare),
    );
  }

  private async widget(
    widget: DashboardWidget,
    filters: SharedFilters,
    ctx: RequestContext,
    oeeShare: OeeShare,
  ): Promise<WidgetData> {
    const base = widgetBase(widget);
    try {
      if (widget.kpi !== undefined) {
        const kpi = await this.kpis.compute(widget.kpi, filters, ctx, widget.groupBy, oeeShare);
        return { ...base, kpi, applied: kpi.applied, drillDown: kpi.drillDown };
      }
      const queries = new WidgetQueries(ctx.model, (entity, raw, model) =>
        this.operations.parseListQuery(entity, raw, model),
      );
      const entity = queries.entity(widget.entity ?? '');
      const { filter, applied } = queries.rowFilter(entity, widget.filter, widget.dimensions, filters);
      const drillDown = { entity: entity.name, path: entity.path, filter, groupField: null as string | null };
      if (widget.type === 'table')
        return { ...base, ...(await this.table(queries, entity, widget, filter, ctx)), applied, drillDown };
      const measure = queries.measure(entity, 'value', widget.measure ?? { fn: 'count' });
      const group = widget.groupBy === undefined ? null : queries.groupTerm(entity, widget.groupBy);
      const series = widget.seriesBy === undefined ? null : queries.groupTerm(entity, widget.seriesBy);
      const groups = [group, series].filter((term) => term !== null);
      // One group by a field: largest first; time buckets and two-way groupings in their own order.
      const byValue = group !== null && group.bucket === null && series === null;
      const result = await this.aggregates.aggregate(
        entity.name,
        {
          rows: queries.rows(entity, filter),
          groupBy: groups,
          measures: [measure],
          having: [],
          sort: byValue ? [{ key: 'value', direction: 'desc' }] : [],
          limit: widget.limit ?? DEFAULT_AGGREGATE_LIMIT,
          timeZone: filters.timeZone,
        },
        ctx,
      );
      if (!group) return { ...base, value: numberOrNull(result.rows[0]?.value), applied, drillDown };
      const periods = offsetPeriods(filters.timeZone);
      const shifts = group.bucket === 'shift' ? await this.aggregates.calendars(ctx).shifts() : [];
      return {
        ...base,
        groupBy: group.key,
        ...(series ? { seriesBy: series.key } : {}),
        points: result.rows.map((row) => {
          const range =
            group.bucket === null ? null : bucketRange(periods, group.bucket, row[group.key], shifts);
          return {
            key: row[group.key],
            ...(series ? { series: row[series.key] } : {}),
            value: numberOrNull(row.value),
            ...(range ? { range } : {}),
          };
        }),
        applied,
        drillDown: {
          ...drillDown,
          groupField: group.bucket === null ? group.field : null,
          ...(group.bucket === null ? {} : { groupTimeField: group.field }),
          ...(series ? { seriesField: series.bucket === null ? series.field : null } : {}),
        },
      };
    } catch (error) {
      if (error instanceof ApiError) return { ...base, error: { code: error.code, message: error.message } };
      throw error;
    }
  }

  private async table(
    queries: WidgetQueries,
    entity: CompiledEntity,
    widget: DashboardWidget,
    filter: Record<string, unknown>,
    ctx: RequestContext,
  ): Promise<Pick<WidgetData, 'columns' | 'rows'>> {
    const fields = (widget.columns ?? [])
      .map((column) => entity.fieldsByName.get(column))
      .filter((f) => f !== undefined);
    const relations = fields.filter((field) => field.type === 'relation').map((field) => field.apiName);
    const query = queries.rows(entity, filter, {
      fields: fields.map((field) => field.apiName).join(','),
      ...(relations.length > 0 ? { expand: relations.join(',') } : {}),
      pageSize: String(widget.limit ?? 20),
    });
    const page = await this.operations.list(entity.name, query, ctx);
    return {
      columns: fields.map((field) => ({ key: field.apiName, label: field.label })),
      rows: page.items.map((row) => displayRow(ctx.model, entity, row, relations)),
    };
  }
}

/** Related records become their display value, so a table shows `L1` rather than an id. */
function displayRow(
  model: Model,
  entity: CompiledEntity,
  row: EntityRecord,
  relations: string[],
): EntityRecord {
  const out: EntityRecord = { ...row };
  for (const name of relations) {
    const field = entity.fieldsByApiName.get(name);
    const target = field?.relation ? model.entities.get(field.relation.target) : undefined;
    const related = row[name] as EntityRecord | null | undefined;
    const display = target?.fieldsByName.get(target.display)?.apiName;
    out[name] = related && display ? (related[display] ?? related.id) : (row[`${name}Id`] ?? null);
  }
  return out;
}

function widgetBase(widget: DashboardWidget): WidgetData {
  return {
    id: widget.id,
    type: widget.type,
    title: widget.title,
    span: widget.span ?? 6,
    thresholds: widget.thresholds ?? null,
  };
}

/** The entity has the same table and stored columns in both Models. */
function sameColumns(a: CompiledEntity | undefined, b: CompiledEntity | undefined): boolean {
  if (!a || !b || a.table !== b.table) return false;
  const columns = (entity: CompiledEntity) =>
    entity.fields
      .flatMap((field) => (field.column ? [`${field.column}:${field.storage}`] : []))
      .sort()
      .join(',');
  return columns(a) === columns(b);
}

function visible(dashboard: DashboardDef, ctx: RequestContext): boolean {
  const principal = (ctx as Partial<SecureContext>).principal;
  if (!principal || !holds(principal, ctx.model, 'bi:dashboard')) return false;
  return dashboardSharedWith(dashboard, principal);
}

function summary(dashboard: DashboardDef, ctx: RequestContext): DashboardSummary {
  return {
    name: dashboard.dashboard,
    label: dashboard.label,
    module: dashboard.module,
    refreshSeconds: dashboard.refreshSeconds ?? 60,
    filters: dashboard.filters ?? [],
    entities: [...entitiesRead(dashboard, ctx.model)].sort(),
    home: (dashboard.homeFor ?? []).some((role) => rolesOf(ctx).includes(role)),
  };
}

function numberOrNull(value: unknown): number | null {
  return value === null || value === undefined ? null : Number(value);
}

function rolesOf(ctx: RequestContext): string[] {
  return (ctx as Partial<SecureContext>).principal?.roles ?? [];
}
