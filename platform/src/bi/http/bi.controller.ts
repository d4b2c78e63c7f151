/**
 * `/api/bi`: the dashboards the caller may see, one dashboard with its widgets' data under the shared
 * filters (plant, line, shift, date range), and the KPI library with one KPI's value and points.
 */
import { Controller, Get, Inject, Optional, Param, Query, Req } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { NotFoundError } from '../../crud/errors';
import { successEnvelope, type SuccessEnvelope } from '../../crud/http/envelope';
import { requestContext } from '../../crud/http/request-context';
import { ENTITY_OPERATIONS, MODEL_REGISTRY } from '../../crud/http/tokens';
import type { EntityOperations, RequestContext } from '../../crud/types';
import type { ModelRegistry } from '../../kernel/model-registry';
import type { AggregateEngine } from '../aggregate-engine';
import type { TimeBucket } from '../aggregate-query';
import type { KpiSummary } from '../../contracts/bi';
import { DashboardService, type DashboardData, type DashboardSummary } from '../dashboard-service';
import { kpisOf, type KpiResult } from '../kpi-engine';
import type { SharedFilters } from '../widget-query';
import { sharedFilters, text } from './shared-filters';
import { AGGREGATE_ENGINE, WIDGET_CACHE } from './tokens';
import type { WidgetCache } from '../widget-cache';

@Controller('api/bi')
export class BiController {
  private readonly dashboards: DashboardService | null;

  constructor(
    @Inject(ENTITY_OPERATIONS) private readonly operations: EntityOperations,
    @Inject(MODEL_REGISTRY) private readonly models: ModelRegistry,
    @Optional() @Inject(AGGREGATE_ENGINE) engine: AggregateEngine | null = null,
    @Optional() @Inject(WIDGET_CACHE) cache: WidgetCache | null = null,
  ) {
    this.dashboards = engine ? new DashboardService(engine, operations, cache) : null;
  }

  @Get('dashboards')
  listDashboards(@Req() request: FastifyRequest): SuccessEnvelope<DashboardSummary[]> {
    return successEnvelope(this.service().list(requestContext(request, this.models)), request.id);
  }

  @Get('dashboards/:name')
  async dashboard(
    @Param('name') name: string,
    @Query() query: Record<string, unknown>,
    @Req() request: FastifyRequest,
  ): Promise<SuccessEnvelope<DashboardData>> {
    const ctx = requestContext(request, this.models);
    const filters = await this.filters(query, ctx, new Set());
    return successEnvelope(await this.service().get(name, filters, ctx), request.id);
  }

  @Get('kpis')
  listKpis(@Req() request: FastifyRequest): SuccessEnvelope<KpiSummary[]> {
    const ctx = requestContext(request, this.models);
    const kpis = [...kpisOf(ctx.model)].map(([name, kpi]) => ({
      name,
      label: kpi.label,
      formula: kpi.formula,
      entity: kpi.entity,
      unit: kpi.unit ?? null,
      target: kpi.target ?? null,
    }));
    return successEnvelope(kpis, request.id);
  }

  /** `groupBy`: a field path or `<date field>:<bucket>` in metadata names (`start_time:day`). */
  @Get('kpis/:name')
  async kpi(
    @Param('name') name: string,
    @Query() query: Record<string, unknown>,
    @Req() request: FastifyRequest,
  ): Promise<SuccessEnvelope<KpiResult>> {
    const ctx = requestContext(request, this.models);
    const filters = await this.filters(query, ctx, new Set(['groupBy']));
    const groupBy = query.groupBy === undefined ? undefined : text(query.groupBy, 'groupBy');
    const [field, bucket] = groupBy?.split(':') ?? [];
    const spec = groupBy === undefined ? undefined : bucket ? { field, bucket: bucket as TimeBucket } : field;
    return successEnvelope(await this.service().kpi(name, filters, ctx, spec), request.id);
  }

  private service(): DashboardService {
    if (!this.dashboards) throw new NotFoundError('path', '/api/bi');
    return this.dashboards;
  }

  private filters(
    query: Record<string, unknown>,
    ctx: RequestContext,
    extraKeys: ReadonlySet<string>,
  ): Promise<SharedFilters> {
    return sharedFilters(query, ctx, this.operations, extraKeys);
  }
}
