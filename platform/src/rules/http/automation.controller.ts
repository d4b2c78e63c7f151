/**
 * `/api/automation`: the rules of the Model, the run log of asynchronous rules (with retry of a
 * dead-lettered run), the delivery log, and a test run that evaluates a rule against a chosen record
 * and shows what it would do, writing nothing. Needs `automation:manage`.
 */
import {
  Body,
  Controller,
  Get,
  Inject,
  Param,
  ParseIntPipe,
  Post,
  Query,
  Req,
  UseInterceptors,
} from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { BadRequestError, NotFoundError } from '../../crud/errors';
import { EnvelopeInterceptor } from '../../crud/http/envelope.interceptor';
import { requestContext } from '../../crud/http/request-context';
import { MODEL_REGISTRY } from '../../crud/http/tokens';
import type { ModelRegistry } from '../../kernel/model-registry';
import type { DeliveryRow } from '../../notify/notification-store';
import { requirePermission } from '../../security/authorization/access';
import type { SecureContext } from '../../security/principal';
import type { AutomationRuntime } from '../../bootstrap/automation-runtime';
import type { JobRow, JobStatus } from '../job-store';
import { ruleCatalog } from '../rule-catalog';
import { testRecordId, testRule, type TestRun } from '../rule-test';

export const AUTOMATION = Symbol('AutomationRuntime');
const STATUSES: readonly JobStatus[] = ['PENDING', 'RUNNING', 'DONE', 'SKIPPED', 'DEAD', 'CANCELLED'];
export const AUTOMATION_PERMISSION = 'automation:manage';

export interface RuleSummary {
  name: string;
  label: { en: string; zh: string };
  module: string;
  entity: string;
  trigger: unknown;
  synchronous: boolean;
  actions: string[];
}

function positiveInt(value: unknown, name: string, fallback: number, max: number): number {
  if (value === undefined || value === '') return fallback;
  const number = Number(value);
  if (!Number.isInteger(number) || number < 1 || number > max)
    throw new BadRequestError(`${name} must be an integer from 1 to ${max}`, {
      errors: [{ field: name, path: `/${name}`, rule: 'range', limit: max, message: `${name} out of range` }],
    });
  return number;
}

@Controller('api/automation')
@UseInterceptors(EnvelopeInterceptor)
export class AutomationController {
  constructor(
    @Inject(AUTOMATION) private readonly automation: AutomationRuntime,
    @Inject(MODEL_REGISTRY) private readonly models: ModelRegistry,
  ) {}

  @Get('rules')
  rules(@Req() request: FastifyRequest): RuleSummary[] {
    const ctx = this.context(request);
    return [...ruleCatalog(ctx.model).byName.values()].map(({ def, synchronous }) => ({
      name: def.rule,
      label: def.label,
      module: def.module,
      entity: def.entity,
      trigger: def.trigger,
      synchronous,
      actions: def.actions.map((action) =>
        Object.keys(action).find((k) => !['record', 'values', 'reason'].includes(k))!,
      ),
    }));
  }

  @Get('runs')
  async runs(
    @Query() query: Record<string, unknown>,
    @Req() request: FastifyRequest,
  ): Promise<{ items: JobRow[]; total: number; page: number; pageSize: number }> {
    const ctx = this.context(request);
    const status = query.status === undefined ? undefined : String(query.status).toUpperCase();
    if (status !== undefined && !STATUSES.includes(status as JobStatus))
      throw new BadRequestError(`status must be one of ${STATUSES.join(', ')}`, {
        errors: [
          { field: 'status', path: '/status', rule: 'enum', limit: STATUSES, message: 'Unknown status' },
        ],
      });
    const page = positiveInt(query.page, 'page', 1, 100_000);
    const pageSize = positiveInt(query.pageSize, 'pageSize', 50, 500);
    const result = await this.automation.runner.jobs.list(this.automation.runner.sql(), {
      tenantId: ctx.tenantId,
      status: status as JobStatus | undefined,
      rule: typeof query.rule === 'string' ? query.rule : undefined,
      limit: pageSize,
      offset: (page - 1) * pageSize,
    });
    return { ...result, page, pageSize };
  }

  @Get('runs/:id')
  async run(@Param('id', ParseIntPipe) id: number, @Req() request: FastifyRequest): Promise<JobRow> {
    const ctx = this.context(request);
    const job = await this.automation.runner.jobs.get(this.automation.runner.sql(), id);
    if (!job || job.tenantId !== ctx.tenantId) throw new NotFoundError('auto_job', id);
    return job;
  }

  /** Runs a dead-lettered job again with fresh attempts (it resumes after the actions it applied). */
  @Post('runs/:id/retry')
  async retry(@Param('id', ParseIntPipe) id: number, @Req() request: FastifyRequest): Promise<JobRow> {
    const ctx = this.context(request);
    const sql = this.automation.runner.sql();
    const job = await this.automation.runner.jobs.get(sql, id);
    if (!job || job.tenantId !== ctx.tenantId) throw new NotFoundError('auto_job', id);
    if (!(await this.automation.runner.jobs.retry(sql, ctx.tenantId, id)))
      throw new BadRequestError(`Run ${id} is ${job.status}; only a DEAD run can be retried`, {
        errors: [
          { field: 'id', path: '/id', rule: 'state', limit: ['DEAD'], message: `run is ${job.status}` },
        ],
      });
    this.automation.runner.notify();
    return (await this.automation.runner.jobs.get(sql, id))!;
  }

  @Get('deliveries')
  deliveries(
    @Query() query: Record<string, unknown>,
    @Req() request: FastifyRequest,
  ): Promise<DeliveryRow[]> {
    const ctx = this.context(request);
    const limit = positiveInt(query.limit, 'limit', 100, 1000);
    return this.automation.notifier.store.deliveries(this.automation.runner.sql(), ctx.tenantId, limit);
  }

  /** Evaluates the rule against a record and lists what it would do; nothing is written. */
  @Post('rules/:name/test')
  async test(
    @Param('name') name: string,
    @Body() body: unknown,
    @Req() request: FastifyRequest,
  ): Promise<TestRun> {
    const ctx = this.context(request);
    const rule = ruleCatalog(ctx.model).byName.get(name);
    if (!rule) throw new NotFoundError('rule', name);
    return testRule(
      this.automation,
      ctx,
      rule,
      testRecordId(rule, ((body ?? {}) as { recordId?: unknown }).recordId),
    );
  }

  private context(request: FastifyRequest): SecureContext {
    const ctx = requestContext(request, this.models);
    requirePermission(ctx, AUTOMATION_PERMISSION);
    return ctx;
  }
}
