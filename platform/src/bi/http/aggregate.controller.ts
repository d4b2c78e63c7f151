/**
 * `GET /api/<entity-path>/aggregate` for every entity of the current Model. Generated controllers
 * own their static paths (`/api/work-orders/:id` would swallow `aggregate`), so they declare the
 * route themselves and delegate here; entities without one reach it through `/api/:path/aggregate`.
 */
import { Controller, Get, Inject, Optional, Param, Query, Req } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { NotFoundError } from '../../crud/errors';
import { successEnvelope, type SuccessEnvelope } from '../../crud/http/envelope';
import { requestContext } from '../../crud/http/request-context';
import { ENTITY_OPERATIONS, MODEL_REGISTRY } from '../../crud/http/tokens';
import type { EntityOperations } from '../../crud/types';
import type { ModelRegistry } from '../../kernel/model-registry';
import type { AggregateEngine } from '../aggregate-engine';
import { parseAggregateQuery, type AggregateResult } from '../aggregate-query';
import { AGGREGATE_ENGINE } from './tokens';

@Controller('api')
export class AggregateController {
  constructor(
    @Inject(ENTITY_OPERATIONS) private readonly operations: EntityOperations,
    @Inject(MODEL_REGISTRY) private readonly models: ModelRegistry,
    @Optional() @Inject(AGGREGATE_ENGINE) private readonly engine: AggregateEngine | null = null,
  ) {}

  @Get(':path/aggregate')
  async aggregate(
    @Param('path') path: string,
    @Query() query: Record<string, unknown>,
    @Req() request: FastifyRequest,
  ): Promise<SuccessEnvelope<AggregateResult>> {
    const ctx = requestContext(request, this.models);
    const entity = ctx.model.entitiesByPath.get(path);
    // Owned child entities are reached only through their parent; without a database there is no engine.
    if (!entity || entity.owned || !this.engine) throw new NotFoundError('path', `/api/${path}/aggregate`);
    const aggregate = parseAggregateQuery(entity.name, query, ctx.model, (name, raw, model) =>
      this.operations.parseListQuery(name, raw, model),
    );
    return successEnvelope(await this.engine.aggregate(entity.name, aggregate, ctx), request.id);
  }
}
