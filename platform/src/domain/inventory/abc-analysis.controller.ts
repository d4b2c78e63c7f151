import { Body, Controller, HttpCode, Inject, Post, Req, UseInterceptors } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { EnvelopeInterceptor } from '../../crud/http/envelope.interceptor';
import { requestContext } from '../../crud/http/request-context';
import { MODEL_REGISTRY } from '../../crud/http/tokens';
import type { EntityService } from '../../crud/entity.service';
import type { ModelRegistry } from '../../kernel/model-registry';
import { requirePermission } from '../../security/authorization/access';
import { parseAbcRequest, runAbcAnalysis, type AbcAnalysisResult } from './abc-analysis';

/** Nest injection token for the record-change path the inventory analyses write through. */
export const INVENTORY_RECORDS = Symbol('InventoryRecords');

/** Writing the classes onto the items is an item update. */
const REQUIRED_PERMISSION = 'item_master:update';

/** `POST /api/inventory/abc-analysis` body `{from, to, aPercent?, bPercent?}` (docs/production.md). */
@Controller('api/inventory')
@UseInterceptors(EnvelopeInterceptor)
export class AbcAnalysisController {
  constructor(
    @Inject(INVENTORY_RECORDS) private readonly records: EntityService,
    @Inject(MODEL_REGISTRY) private readonly models: ModelRegistry,
  ) {}

  @Post('abc-analysis')
  @HttpCode(200)
  analyse(@Body() body: unknown, @Req() request: FastifyRequest): Promise<AbcAnalysisResult> {
    const ctx = requestContext(request, this.models);
    requirePermission(ctx, REQUIRED_PERMISSION);
    return runAbcAnalysis(this.records, ctx, parseAbcRequest(body));
  }
}
