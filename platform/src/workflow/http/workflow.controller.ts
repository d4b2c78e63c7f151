import {
  Body,
  Controller,
  Get,
  Inject,
  Param,
  ParseIntPipe,
  Post,
  Req,
  UseInterceptors,
} from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { CompiledEntity } from '../../../../metadata/src/model';
import { BadRequestError, NotFoundError } from '../../crud/errors';
import { EnvelopeInterceptor } from '../../crud/http/envelope.interceptor';
import { requestContext } from '../../crud/http/request-context';
import { MODEL_REGISTRY } from '../../crud/http/tokens';
import type { RequestContext } from '../../crud/types';
import type { ModelRegistry } from '../../kernel/model-registry';
import { SecureWorkflowOperations } from '../../security/secure-workflow';
import type { ActionBody, ActionResult, AvailableAction, WorkflowService } from '../workflow.service';
import type { HistoryRow } from '../workflow-store';

/** Nest injection token for the WorkflowService. */
export const WORKFLOW_SERVICE = Symbol('WorkflowService');

/**
 * `POST /api/<path>/:id/actions/<action>`, `GET /api/<path>/:id/actions`, `GET /api/<path>/:id/history`,
 * answered by the workflow engine behind its security decorator, which checks the caller's
 * permissions and row scopes.
 */
@Controller('api')
@UseInterceptors(EnvelopeInterceptor)
export class WorkflowController {
  private readonly workflows: SecureWorkflowOperations;

  constructor(
    @Inject(WORKFLOW_SERVICE) workflows: WorkflowService,
    @Inject(MODEL_REGISTRY) private readonly models: ModelRegistry,
  ) {
    this.workflows = new SecureWorkflowOperations(workflows);
  }

  @Post(':path/:id/actions/:action')
  fire(
    @Param('path') path: string,
    @Param('id', ParseIntPipe) id: number,
    @Param('action') action: string,
    @Body() body: unknown,
    @Req() request: FastifyRequest,
  ): Promise<ActionResult> {
    const ctx = requestContext(request, this.models);
    return this.workflows.fire(ctx, this.entityAt(ctx, path).name, id, action, actionBody(body), {
      ip: request.ip,
      userAgent: request.headers['user-agent'] ?? null,
    });
  }

  @Get(':path/:id/actions')
  available(
    @Param('path') path: string,
    @Param('id', ParseIntPipe) id: number,
    @Req() request: FastifyRequest,
  ): Promise<AvailableAction[]> {
    const ctx = requestContext(request, this.models);
    return this.workflows.available(ctx, this.entityAt(ctx, path).name, id);
  }

  @Get(':path/:id/history')
  history(
    @Param('path') path: string,
    @Param('id', ParseIntPipe) id: number,
    @Req() request: FastifyRequest,
  ): Promise<HistoryRow[]> {
    const ctx = requestContext(request, this.models);
    return this.workflows.history(ctx, this.entityAt(ctx, path).name, id);
  }

  private entityAt(ctx: RequestContext, path: string): CompiledEntity {
    const entity = ctx.model.entitiesByPath.get(path);
    if (!entity || entity.owned) throw new NotFoundError('path', `/api/${path}`);
    return entity;
  }
}

/** Checks the body's shape; unknown keys and wrong types are 400 naming the field. */
function actionBody(raw: unknown): ActionBody {
  const body = raw ?? {};
  if (typeof body !== 'object' || Array.isArray(body))
    throw new BadRequestError('The body must be a JSON object');
  const allowed: Record<string, string> = {
    reason: 'string',
    password: 'string',
    comment: 'string',
    fields: 'object',
    version: 'number',
    decision: 'string',
  };
  for (const [key, value] of Object.entries(body)) {
    const type = allowed[key];
    if (!type) throw fieldError(key, 'unknown', `Unknown field '${key}'`);
    if (value !== null && typeof value !== type) throw fieldError(key, 'type', `${key} must be a ${type}`);
  }
  const decision = (body as ActionBody).decision;
  if (decision !== undefined && decision !== 'approve' && decision !== 'reject') {
    throw fieldError('decision', 'enum', 'decision must be approve or reject');
  }
  return body as ActionBody;
}

function fieldError(field: string, rule: string, message: string): BadRequestError {
  return new BadRequestError(message, { errors: [{ field, path: `/${field}`, rule, message }] });
}
