import {
  Body,
  Controller,
  Get,
  HttpCode,
  Inject,
  Optional,
  Param,
  ParseIntPipe,
  Patch,
  Post,
  Query,
  Req,
  UseInterceptors,
} from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { hasPermission } from '../../../metadata/src/model/permissions';
import type { AutomationRuntime } from '../bootstrap/automation-runtime';
import { BadRequestError, NotFoundError, ValidationError } from '../crud/errors';
import { EnvelopeInterceptor } from '../crud/http/envelope.interceptor';
import { requestContext } from '../crud/http/request-context';
import { ENTITY_OPERATIONS, MODEL_REGISTRY } from '../crud/http/tokens';
import type { EntityOperations, EntityRecord, ListResult } from '../crud/types';
import type { AggregateEngine } from '../bi/aggregate-engine';
import { DashboardService } from '../bi/dashboard-service';
import { sharedFilters } from '../bi/http/shared-filters';
import { AGGREGATE_ENGINE } from '../bi/http/tokens';
import type { ModelRegistry } from '../kernel/model-registry';
import { effectivePermissions, type SecureContext } from '../security/principal';
import { AUTOMATION } from '../rules/http/automation.controller';
import { ruleCatalog } from '../rules/rule-catalog';
import { testRecordId, testRule, type TestRun } from '../rules/rule-test';
import type { WorkflowActor } from '../workflow/actor';
import type { ActionResult } from '../workflow/workflow.service';
import type {
  DashboardPreview,
  FormPreview,
  PublishedLayer,
  PublishResult,
  RollbackResult,
  StudioVersionSummary,
} from '../contracts/studio';
import {
  EDIT,
  requirePermission,
  type StudioCheck,
  type StudioModelSummary,
  type StudioService,
} from './studio.service';
import { STUDIO_SERVICE } from './tokens';

/** Review actions fired from the studio; `publish` has its own route, which migrates first. */
const REVIEW_ACTIONS = new Set(['submit', 'reject', 'reopen']);

/**
 * `/api/studio`: Metadata Studio change sets (drafts need metadata:edit, publishing and rollback
 * metadata:publish), their validation and preview, the published versions and the published layer.
 */
@Controller('api/studio')
@UseInterceptors(EnvelopeInterceptor)
export class StudioController {
  private readonly dashboards: DashboardService | null;

  constructor(
    @Inject(STUDIO_SERVICE) private readonly studio: StudioService,
    @Inject(MODEL_REGISTRY) private readonly models: ModelRegistry,
    @Inject(ENTITY_OPERATIONS) private readonly operations: EntityOperations,
    @Optional() @Inject(AUTOMATION) private readonly automation: AutomationRuntime | null = null,
    @Optional() @Inject(AGGREGATE_ENGINE) engine: AggregateEngine | null = null,
  ) {
    // Drafts may declare rollups whose cells do not exist yet: previews read the rows.
    this.dashboards = engine ? new DashboardService(engine.rowsOnly(), operations) : null;
  }

  @Get('change-sets')
  list(@Query() query: Record<string, unknown>, @Req() request: FastifyRequest): Promise<ListResult> {
    return this.studio.list(this.context(request), query);
  }

  @Post('change-sets')
  @HttpCode(201)
  create(@Body() body: unknown, @Req() request: FastifyRequest): Promise<EntityRecord> {
    return this.studio.create(this.context(request), objectBody(body));
  }

  @Get('change-sets/:id')
  get(@Param('id', ParseIntPipe) id: number, @Req() request: FastifyRequest): Promise<EntityRecord> {
    return this.studio.get(this.context(request), id);
  }

  @Patch('change-sets/:id')
  update(
    @Param('id', ParseIntPipe) id: number,
    @Body() body: unknown,
    @Req() request: FastifyRequest,
  ): Promise<EntityRecord> {
    return this.studio.update(this.context(request), id, objectBody(body));
  }

  /** Body `{version}`: moves the draft onto the newest published version. */
  @Post('change-sets/:id/rebase')
  @HttpCode(200)
  rebase(
    @Param('id', ParseIntPipe) id: number,
    @Body() body: unknown,
    @Req() request: FastifyRequest,
  ): Promise<EntityRecord> {
    return this.studio.rebase(this.context(request), id, objectBody(body).version);
  }

  /** Validation errors on the elements they concern, and the schema and API diff publishing makes. */
  @Get('change-sets/:id/preview')
  preview(@Param('id', ParseIntPipe) id: number, @Req() request: FastifyRequest): Promise<StudioCheck> {
    return this.studio.check(this.context(request), id);
  }

  /** Body `{content}`: validates content that is not saved yet. */
  @Post('validate')
  @HttpCode(200)
  validate(@Body() body: unknown, @Req() request: FastifyRequest): Promise<StudioCheck> {
    return this.studio.checkDraft(this.context(request), objectBody(body).content);
  }

  /** Body `{content, entity}`: the entity's form as the draft would serve it (live preview). */
  @Post('form-preview')
  @HttpCode(200)
  formPreview(@Body() body: unknown, @Req() request: FastifyRequest): Promise<FormPreview> {
    const { content, entity } = objectBody(body);
    return this.studio.previewForm(this.context(request), content, entity);
  }

  /**
   * Body `{content, rule, recordId}`: evaluates a rule of the draft (or a served one) against a
   * record the caller can read, with the draft's Model, and lists what each action would do. Nothing
   * is written.
   */
  @Post('rule-test')
  @HttpCode(200)
  async ruleTest(@Body() body: unknown, @Req() request: FastifyRequest): Promise<TestRun> {
    const ctx = this.context(request);
    const { content, rule: name, recordId } = objectBody(body);
    if (typeof name !== 'string' || name === '')
      throw new BadRequestError('rule names the rule to test', {
        errors: [{ field: 'rule', path: '/rule', rule: 'required', message: 'rule is required' }],
      });
    const model = await this.studio.validDraftModel(ctx, content);
    if (!this.automation) throw new NotFoundError('automation', 'runtime');
    const rule = ruleCatalog(model).byName.get(name);
    if (!rule) throw new NotFoundError('rule', name);
    return testRule(this.automation, ctx, rule, testRecordId(rule, recordId), model);
  }

  /**
   * Body `{content, dashboard, filters?}`: the draft's dashboard with its widgets' data, computed as
   * the caller (live preview of the dashboard designer); `filters` are the shared filters
   * (`plant`, `line`, `shift`, `from`, `to`, `tz`).
   */
  @Post('dashboard-preview')
  @HttpCode(200)
  async dashboardPreview(@Body() body: unknown, @Req() request: FastifyRequest): Promise<DashboardPreview> {
    const ctx = this.context(request);
    const { content, dashboard: name, filters: rawFilters } = objectBody(body);
    if (typeof name !== 'string' || name === '')
      throw new ValidationError([
        {
          field: 'dashboard',
          path: '/dashboard',
          rule: 'required',
          message: 'name the dashboard to preview',
        },
      ]);
    if (
      rawFilters !== undefined &&
      (typeof rawFilters !== 'object' || rawFilters === null || Array.isArray(rawFilters))
    )
      throw new ValidationError([
        { field: 'filters', path: '/filters', rule: 'type', message: 'filters must be an object' },
      ]);
    const { errors, model } = await this.studio.draftModel(ctx, content);
    if (!this.dashboards) throw new NotFoundError('path', '/api/studio/dashboard-preview');
    const dashboard = model?.dashboards.get(name);
    if (!model || !dashboard) {
      if (model && errors.length === 0)
        throw new ValidationError([
          {
            field: 'dashboard',
            path: '/dashboard',
            rule: 'dashboard',
            message: `the draft has no dashboard \`${name}\``,
          },
        ]);
      return { errors, dashboard: null };
    }
    const filters = await sharedFilters(
      (rawFilters ?? {}) as Record<string, unknown>,
      ctx,
      this.operations,
      new Set(),
      'filters.',
    );
    return {
      errors,
      dashboard: await this.dashboards.preview(dashboard, filters, { ...ctx, model }, ctx.model),
    };
  }

  /** Body `{version, reason?}` for `submit`, `reject` (reason required) and `reopen`. */
  @Post('change-sets/:id/actions/:action')
  @HttpCode(200)
  action(
    @Param('id', ParseIntPipe) id: number,
    @Param('action') action: string,
    @Body() body: unknown,
    @Req() request: FastifyRequest,
  ): Promise<ActionResult> {
    const ctx = this.context(request);
    requirePermission(ctx, EDIT);
    if (!REVIEW_ACTIONS.has(action))
      throw new BadRequestError(
        `Unknown review action '${action}'; use submit, reject or reopen (publish has its own route)`,
      );
    const { version, reason } = objectBody(body);
    return this.studio.fire(ctx, actorOf(ctx), id, action, {
      ...(typeof version === 'number' ? { version } : {}),
      ...(typeof reason === 'string' ? { reason } : {}),
    });
  }

  /** Body `{version, confirmDestructive?}`. */
  @Post('change-sets/:id/publish')
  @HttpCode(200)
  publish(
    @Param('id', ParseIntPipe) id: number,
    @Body() body: unknown,
    @Req() request: FastifyRequest,
  ): Promise<PublishResult> {
    const ctx = this.context(request);
    return this.studio.publish(ctx, actorOf(ctx), id, objectBody(body));
  }

  @Get('versions')
  history(@Req() request: FastifyRequest): Promise<StudioVersionSummary[]> {
    return this.studio.history(this.context(request));
  }

  /** Body `{version}`: serves that version again (0 = before the first publish); nothing is dropped. */
  @Post('rollback')
  @HttpCode(200)
  rollback(@Body() body: unknown, @Req() request: FastifyRequest): Promise<RollbackResult> {
    const ctx = this.context(request);
    return this.studio.rollback(ctx, actorOf(ctx), objectBody(body).version);
  }

  /** Entities (fields, form sections), roles and modules of the served Model, for the designers. */
  @Get('model')
  model(@Req() request: FastifyRequest): StudioModelSummary {
    return this.studio.summary(this.context(request));
  }

  /** The published studio layer (`mes metadata pull`). */
  @Get('published')
  published(@Req() request: FastifyRequest): Promise<PublishedLayer> {
    return this.studio.published(this.context(request));
  }

  private context(request: FastifyRequest): SecureContext {
    return requestContext(request, this.models);
  }
}

function actorOf(ctx: SecureContext): WorkflowActor {
  const granted = effectivePermissions(ctx.principal, ctx.model);
  return {
    userId: ctx.principal.userId,
    roles: ctx.principal.roles,
    hasPermission: (code) => hasPermission(granted, code),
  };
}

function objectBody(body: unknown): Record<string, unknown> {
  if (body === undefined || body === null) return {};
  if (typeof body !== 'object' || Array.isArray(body))
    throw new BadRequestError('The body must be a JSON object');
  return body as Record<string, unknown>;
}
