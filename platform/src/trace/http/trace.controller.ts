import { Controller, Get, Inject, Optional, Query, Req, UseInterceptors } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { EnvelopeInterceptor } from '../../crud/http/envelope.interceptor';
import { requestContext } from '../../crud/http/request-context';
import { ENTITY_OPERATIONS, MODEL_REGISTRY } from '../../crud/http/tokens';
import type { EntityOperations } from '../../crud/types';
import type { EngineDatabase } from '../../data/database';
import type { ModelRegistry } from '../../kernel/model-registry';
import { LOOKUP_RECORDS } from '../../meta/lookup.controller';
import { SecureTraceOperations } from '../../security/secure-trace';
import type { ImpactReport } from '../impact-report';
import { TraceOperations, type DetailedTraceReport } from '../trace-operations';

/** Nest injection token for the EngineDatabase the trace queries run on. */
export const TRACE_DATABASE = Symbol('TraceDatabase');

/**
 * `GET /api/trace/reverse`, `/api/trace/forward` and `/api/trace/impact` (docs/traceability.md),
 * answered by the trace engine behind its security decorator, which decides which traces the caller
 * may run and which nodes it may see.
 */
@Controller('api/trace')
@UseInterceptors(EnvelopeInterceptor)
export class TraceController {
  private readonly traces: SecureTraceOperations;

  constructor(
    @Inject(TRACE_DATABASE) db: EngineDatabase,
    @Inject(MODEL_REGISTRY) private readonly models: ModelRegistry,
    @Inject(ENTITY_OPERATIONS) operations: EntityOperations,
    @Optional() @Inject(LOOKUP_RECORDS) records: Pick<EntityOperations, 'list'> | null,
  ) {
    this.traces = new SecureTraceOperations(new TraceOperations(db, operations, records), operations);
  }

  @Get('reverse')
  reverse(
    @Query() query: Record<string, unknown>,
    @Req() request: FastifyRequest,
  ): Promise<DetailedTraceReport> {
    return this.traces.trace(requestContext(request, this.models), 'reverse', query);
  }

  @Get('forward')
  forward(
    @Query() query: Record<string, unknown>,
    @Req() request: FastifyRequest,
  ): Promise<DetailedTraceReport> {
    return this.traces.trace(requestContext(request, this.models), 'forward', query);
  }

  @Get('impact')
  impact(@Query() query: Record<string, unknown>, @Req() request: FastifyRequest): Promise<ImpactReport> {
    return this.traces.impact(requestContext(request, this.models), query);
  }
}
