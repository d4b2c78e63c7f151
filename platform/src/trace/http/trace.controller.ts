import { Controller, Get, Inject, Query, Req, UseInterceptors } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { EnvelopeInterceptor } from '../../crud/http/envelope.interceptor';
import { requestContext } from '../../crud/http/request-context';
import { MODEL_REGISTRY } from '../../crud/http/tokens';
import type { EngineDatabase } from '../../data/database';
import type { ModelRegistry } from '../../kernel/model-registry';
import { traceReport, type TraceReport } from '../trace-service';

/** Nest injection token for the EngineDatabase the trace queries run on. */
export const TRACE_DATABASE = Symbol('TraceDatabase');

/** `GET /api/trace/reverse` and `/api/trace/forward` (docs/traceability.md). */
@Controller('api/trace')
@UseInterceptors(EnvelopeInterceptor)
export class TraceController {
  constructor(
    @Inject(TRACE_DATABASE) private readonly db: EngineDatabase,
    @Inject(MODEL_REGISTRY) private readonly models: ModelRegistry,
  ) {}

  @Get('reverse')
  reverse(@Query() query: Record<string, unknown>, @Req() request: FastifyRequest): Promise<TraceReport> {
    return this.trace('reverse', query, request);
  }

  @Get('forward')
  forward(@Query() query: Record<string, unknown>, @Req() request: FastifyRequest): Promise<TraceReport> {
    return this.trace('forward', query, request);
  }

  private trace(
    direction: 'reverse' | 'forward',
    query: Record<string, unknown>,
    request: FastifyRequest,
  ): Promise<TraceReport> {
    const ctx = requestContext(request, this.models);
    return traceReport(this.db.executor(), { tenant: ctx.tenantId, direction, query });
  }
}
