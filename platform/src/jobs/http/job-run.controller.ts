/**
 * `GET /api/jobs/handlers`: the job handlers a scheduled job may name (the handler picker), for a
 * caller holding `job:read` (403 otherwise).
 * `POST /api/jobs/:id/run_now`: the `run_now` action of a scheduled job. Runs it at once for a caller
 * holding `job:run_now` (403 otherwise) who can see the job (404 otherwise); 409 when the job does
 * not allow concurrent runs and one is going on. Answers the job record once the run finished.
 */
import { Controller, Get, Inject, Param, ParseIntPipe, Post, Req, UseInterceptors } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { EnvelopeInterceptor } from '../../crud/http/envelope.interceptor';
import { requestContext } from '../../crud/http/request-context';
import { MODEL_REGISTRY } from '../../crud/http/tokens';
import type { EntityRecord } from '../../crud/types';
import { requirePermission } from '../../security/authorization/access';
import type { JobHandlerInfo } from '../job-handlers';
import type { AutomationRuntime } from '../../bootstrap/automation-runtime';
import type { ModelRegistry } from '../../kernel/model-registry';
import { AUTOMATION } from '../../rules/http/automation.controller';

@Controller('api/jobs')
@UseInterceptors(EnvelopeInterceptor)
export class JobRunController {
  constructor(
    @Inject(AUTOMATION) private readonly automation: AutomationRuntime,
    @Inject(MODEL_REGISTRY) private readonly models: ModelRegistry,
  ) {}

  @Get('handlers')
  handlers(@Req() request: FastifyRequest): JobHandlerInfo[] {
    requirePermission(requestContext(request, this.models), 'job:read');
    return this.automation.scheduler.handlers.list();
  }

  @Post(':id/run_now')
  runNow(@Param('id', ParseIntPipe) id: number, @Req() request: FastifyRequest): Promise<EntityRecord> {
    return this.automation.scheduler.runNow(requestContext(request, this.models), id);
  }
}
