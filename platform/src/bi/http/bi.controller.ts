/**
 * `/api/bi`: the dashboards the caller may see, one dashboard with its widgets' data under the shared
 * filters (plant, line, shift, date range), and the KPI library with one KPI's value and points.
 */
import { Controller, Get, Inject, Optional, Param, Query, Req } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { BadRequestError, NotFoundError } from '../../crud/errors';
import { successEnvelope, type SuccessEnvelope } from '../../crud/http/envelope';
import { requestContext } from '../../crud/http/request-context';
import { ENTITY_OPERATIONS, MODEL_REGISTRY } from '../../crud/http/tokens';
import type { EntityOperations, RequestContext } from '../../crud/types';
import type { ModelRegistry } from '../../kernel/model-registry';
import type { AggregateEngine } from '../aggregate-engine';
import type { TimeBucket } from '../aggregate-query';
import { DashboardService, type DashboardData, type DashboardSummary } from '../dashboard-service';
import { kpisOf, type KpiResult } from '../kpi-engine';
import { checkTimeZone, offsetPeriods } from '../time-zone';
import type { SharedFilters } from '../widget-query';
import { AGGREGATE_ENGINE } from './tokens';

const FILTER_KEYS = new Set(['plant', 'line', 'shift', 'from', 'to', 'tz']);
const DATE = /^\d{4}-\d{2}-\d{2}$/;

export interface KpiSummary {
  name: string;
  label: { en: string; zh?: string };
  formula: { en: string; zh?: string };
  entity: string;
  unit: string | null;
  target: number | null;
}

@Controller('api/bi')
export class BiController {
  private readonly dashboards: DashboardService | null;

  constructor(
    @Inject(ENTITY_OPERATIONS) private readonly operations: EntityOperations,
    @Inject(MODEL_REGISTRY) private readonly models: ModelRegistry,
    @Optional() @Inject(AGGREGATE_ENGINE) engine: AggregateEngine | null = null,
  ) {
    this.dashboards = engine ? new DashboardService(engine, operations) : null;
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

  /** Shared filters from the querystring; without `tz`, the chosen plant's time zone, else UTC. */
  private async filters(
    query: Record<string, unknown>,
    ctx: RequestContext,
    extraKeys: ReadonlySet<string>,
  ): Promise<SharedFilters> {
    for (const key of Object.keys(query))
      if (!FILTER_KEYS.has(key) && !extraKeys.has(key))
        throw new BadRequestError(`Unknown query parameter '${key}'`, paramError(key, 'unknown'));
    const plantId = id(query.plant, 'plant');
    const lineId = id(query.line, 'line');
    const shiftId = id(query.shift, 'shift');
    let timeZone = 'UTC';
    if (query.tz !== undefined) timeZone = checkTimeZone(text(query.tz, 'tz'), 'tz');
    else if (plantId !== null) {
      const plant = await this.operations.get('plant', plantId, ctx, { fields: ['timezone'] });
      if (typeof plant.timezone === 'string' && plant.timezone !== '')
        timeZone = checkTimeZone(plant.timezone, 'plant.timezone');
    }
    const from = instant(query.from, 'from', timeZone);
    const to = instant(query.to, 'to', timeZone);
    if (from !== null && to !== null && from >= to)
      throw new BadRequestError('to must be after from', paramError('to', 'after'));
    return { plantId, lineId, shiftId, from, to, timeZone };
  }
}

function text(value: unknown, parameter: string): string {
  if (typeof value === 'string') return value;
  throw new BadRequestError(`${parameter} must be a single value`, paramError(parameter, 'type'));
}

function id(value: unknown, parameter: string): number | null {
  if (value === undefined || value === '') return null;
  const raw = text(value, parameter);
  if (!/^\d+$/.test(raw) || Number(raw) < 1)
    throw new BadRequestError(`${parameter} must be a record id`, paramError(parameter, 'type'));
  return Number(raw);
}

/** An ISO instant, or a date meaning midnight of that day in the dashboard's time zone. */
function instant(value: unknown, parameter: string, timeZone: string): string | null {
  if (value === undefined || value === '') return null;
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

function paramError(parameter: string, rule: string) {
  return { errors: [{ field: parameter, path: `/${parameter}`, rule, message: rule }] };
}
