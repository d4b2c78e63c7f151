import { Controller, Get, Inject, Query, Req, UseInterceptors } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { ForbiddenError } from '../../crud/errors';
import { EnvelopeInterceptor } from '../../crud/http/envelope.interceptor';
import { requestContext } from '../../crud/http/request-context';
import { ENTITY_OPERATIONS, MODEL_REGISTRY } from '../../crud/http/tokens';
import type { EntityOperations, FilterNode, RequestContext } from '../../crud/types';
import type { EngineDatabase } from '../../data/database';
import type { ModelRegistry } from '../../kernel/model-registry';
import { impactReport, type ImpactReport } from '../impact-report';
import { traceDetails, type RecordReader, type TraceDetails } from '../trace-details';
import { traceReport, type TraceReport } from '../trace-service';

/** Nest injection token for the EngineDatabase the trace queries run on. */
export const TRACE_DATABASE = Symbol('TraceDatabase');

/**
 * `GET /api/trace/reverse`, `/api/trace/forward` and `/api/trace/impact` (docs/traceability.md). The
 * genealogy walk reads the edge table; the records behind it (steps, tests, materials, inspections,
 * shipping, customers) are read through the caller's secured list.
 */
@Controller('api/trace')
@UseInterceptors(EnvelopeInterceptor)
export class TraceController {
  constructor(
    @Inject(TRACE_DATABASE) private readonly db: EngineDatabase,
    @Inject(MODEL_REGISTRY) private readonly models: ModelRegistry,
    @Inject(ENTITY_OPERATIONS) private readonly operations: EntityOperations,
  ) {}

  @Get('reverse')
  reverse(
    @Query() query: Record<string, unknown>,
    @Req() request: FastifyRequest,
  ): Promise<TraceReport & { details: TraceDetails }> {
    return this.trace('reverse', query, request);
  }

  @Get('forward')
  forward(
    @Query() query: Record<string, unknown>,
    @Req() request: FastifyRequest,
  ): Promise<TraceReport & { details: TraceDetails }> {
    return this.trace('forward', query, request);
  }

  @Get('impact')
  impact(@Query() query: Record<string, unknown>, @Req() request: FastifyRequest): Promise<ImpactReport> {
    const ctx = requestContext(request, this.models);
    return impactReport(this.db.executor(), recordReader(this.operations, ctx), {
      tenant: ctx.tenantId,
      query,
    });
  }

  private async trace(
    direction: 'reverse' | 'forward',
    query: Record<string, unknown>,
    request: FastifyRequest,
  ): Promise<TraceReport & { details: TraceDetails }> {
    const ctx = requestContext(request, this.models);
    const report = await traceReport(this.db.executor(), { tenant: ctx.tenantId, direction, query });
    return { ...report, details: await traceDetails(recordReader(this.operations, ctx), report) };
  }
}

/**
 * Reads through the secured list of the caller: an entity the caller may not read answers null, and
 * a relation the caller may not read is left unexpanded (its id stays).
 */
function recordReader(operations: EntityOperations, ctx: RequestContext): RecordReader {
  const read = async (
    entity: string,
    conditions: FilterNode[],
    expand: string[],
    sort: string | undefined,
    limit: number,
  ) => {
    const raw: Record<string, unknown> = { pageSize: String(limit), count: 'none' };
    if (expand.length > 0) raw.expand = expand.join(',');
    if (sort) raw.sort = sort;
    const query = operations.parseListQuery(entity, raw, ctx.model);
    return (await operations.list(entity, { ...query, filter: { kind: 'and', conditions } }, ctx)).items;
  };
  const forbidden = async (attempt: () => Promise<unknown>): Promise<boolean> => {
    try {
      await attempt();
      return false;
    } catch (error) {
      if (error instanceof ForbiddenError) return true;
      throw error;
    }
  };
  const nothing: FilterNode[] = [{ field: 'id', op: 'eq', value: 0 }];
  return {
    model: ctx.model,
    list: async (entity, conditions, { expand = [], sort, limit }) => {
      try {
        return await read(entity, conditions, expand, sort, limit);
      } catch (error) {
        if (!(error instanceof ForbiddenError)) throw error;
      }
      if (await forbidden(() => read(entity, nothing, [], undefined, 1))) return null;
      const allowed: string[] = [];
      for (const name of expand)
        if (!(await forbidden(() => read(entity, nothing, [name], undefined, 1)))) allowed.push(name);
      try {
        return await read(entity, conditions, allowed, sort, limit);
      } catch (error) {
        if (error instanceof ForbiddenError) return null;
        throw error;
      }
    },
  };
}
