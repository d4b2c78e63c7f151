import { randomBytes } from 'node:crypto';
import {
  Body,
  Controller,
  Delete,
  Get,
  Inject,
  Param,
  Post,
  Query,
  Req,
  UseInterceptors,
} from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { AppConfig } from '../../config/app-config';
import { APP_CONFIG } from '../../config/tokens';
import { BadRequestError, ForbiddenError, NotFoundError } from '../../crud/errors';
import { EnvelopeInterceptor } from '../../crud/http/envelope.interceptor';
import { requestContext } from '../../crud/http/request-context';
import { MODEL_REGISTRY } from '../../crud/http/tokens';
import type { EngineDatabase } from '../../data/database';
import type { ModelRegistry } from '../../kernel/model-registry';
import { holds, requirePermission } from '../../security/authorization/access';
import type { SecureContext } from '../../security/principal';
import { closestEventType, eventCatalog, typesCoveredBy } from '../event-catalog';
import { WebhookTargetPolicy } from '../webhook-targets';
import {
  cancelWebhookSubscription,
  createWebhookSubscription,
  listWebhookSubscriptions,
  webhookDeliveries,
  type WebhookChangeActor,
  type WebhookDelivery,
  type WebhookSubscriptionView,
} from '../webhooks';

/** Nest injection token for the EngineDatabase holding the webhook subscriptions. */
export const WEBHOOK_DATABASE = Symbol('WebhookDatabase');
export const WEBHOOK_PERMISSION = 'webhook:manage';

/** `*`, `<entity>.*` or an event type such as `work_order.released`. */
const EVENT_TYPE = /^(\*|[a-z][a-z0-9_]*\.(\*|[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*))$/;
const MAX_DELIVERIES = 200;

interface CreateWebhookBody {
  eventType?: unknown;
  url?: unknown;
  secret?: unknown;
  unmask?: unknown;
}

/**
 * `/api/admin/webhooks`: subscribe external systems to domain events (HMAC-signed deliveries, see
 * docs/events.md), list and cancel subscriptions, and read their delivery log. Needs an
 * authenticated caller holding `webhook:manage`; granting a subscription `unmask` also needs
 * `<entity>:unmask` on every entity whose events it covers.
 */
@Controller('api/admin/webhooks')
@UseInterceptors(EnvelopeInterceptor)
export class WebhookAdminController {
  constructor(
    @Inject(WEBHOOK_DATABASE) private readonly db: EngineDatabase,
    @Inject(MODEL_REGISTRY) private readonly models: ModelRegistry,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.targets = new WebhookTargetPolicy(config.webhookAllowHosts);
  }

  private readonly targets: WebhookTargetPolicy;

  @Get()
  list(@Req() request: FastifyRequest): Promise<WebhookSubscriptionView[]> {
    const ctx = this.authorized(request);
    return listWebhookSubscriptions(this.db.executor(), ctx.tenantId);
  }

  /** Every event type a subscription may name, with the entities it is about. */
  @Get('event-types')
  eventTypes(@Req() request: FastifyRequest): { type: string; entities: readonly string[] }[] {
    const ctx = this.authorized(request);
    return [...eventCatalog(ctx.model)].map(([type, entities]) => ({ type, entities }));
  }

  /** The secret is returned once, here; without one, a random 32-byte secret is generated. */
  @Post()
  async create(
    @Body() body: CreateWebhookBody | undefined,
    @Req() request: FastifyRequest,
  ): Promise<{ id: number; eventType: string; url: string; secret: string; unmask: boolean }> {
    const ctx = this.authorized(request);
    const eventType = requiredString(body?.eventType, 'eventType');
    if (!EVENT_TYPE.test(eventType)) {
      throw invalid(
        'eventType',
        'pattern',
        EVENT_TYPE.source,
        `event type or pattern expected, got '${eventType}'`,
      );
    }
    const covered = typesCoveredBy(ctx.model, eventType);
    if (covered.length === 0) throw unknownEventType(ctx, eventType);
    const unmask = body?.unmask ?? false;
    if (typeof unmask !== 'boolean')
      throw invalid('unmask', 'type', 'boolean', 'unmask must be true or false');
    if (unmask) requireUnmaskOf(ctx, covered);
    const url = requiredString(body?.url, 'url');
    const secret =
      body?.secret === undefined
        ? randomBytes(32).toString('base64url')
        : requiredString(body.secret, 'secret');
    const id = await createWebhookSubscription(
      this.db,
      { tenant: ctx.tenantId, eventType, url, secret, unmask },
      this.targets,
      changeActor(ctx, request),
    );
    return { id, eventType, url, secret, unmask };
  }

  @Delete(':id')
  async cancel(
    @Param('id') id: string,
    @Req() request: FastifyRequest,
  ): Promise<{ id: number; active: false }> {
    const ctx = this.authorized(request);
    const subscriptionId = idOf(id);
    if (!(await cancelWebhookSubscription(this.db, ctx.tenantId, subscriptionId, changeActor(ctx, request))))
      throw new NotFoundError('webhook subscription', id);
    return { id: subscriptionId, active: false };
  }

  @Get(':id/deliveries')
  async deliveries(
    @Param('id') id: string,
    @Query('limit') limit: string | undefined,
    @Req() request: FastifyRequest,
  ): Promise<WebhookDelivery[]> {
    const ctx = this.authorized(request);
    const count = limit === undefined ? 50 : Number(limit);
    if (!Number.isInteger(count) || count < 1 || count > MAX_DELIVERIES)
      throw invalid(
        'limit',
        'range',
        [1, MAX_DELIVERIES],
        `limit must be an integer from 1 to ${MAX_DELIVERIES}`,
      );
    const deliveries = await webhookDeliveries(this.db.executor(), ctx.tenantId, idOf(id), count);
    if (!deliveries) throw new NotFoundError('webhook subscription', id);
    return deliveries;
  }

  private authorized(request: FastifyRequest): SecureContext {
    const ctx = requestContext(request, this.models);
    requirePermission(ctx, WEBHOOK_PERMISSION);
    return ctx;
  }
}

/** 400 naming the field, with the closest catalogued type when it looks like a typo. */
function unknownEventType(ctx: SecureContext, eventType: string): BadRequestError {
  const guess = closestEventType(ctx.model, eventType);
  const known = [...eventCatalog(ctx.model).keys()];
  const message =
    `eventType '${eventType}' matches no event the platform emits` +
    (guess ? `; did you mean '${guess}'?` : '; GET /api/admin/webhooks/event-types lists them');
  return new BadRequestError(message, {
    errors: [{ field: 'eventType', path: '/eventType', rule: 'enum', limit: known, message }],
  });
}

/** Unmasked deliveries need what an unmasked read needs: `<entity>:unmask` for each entity covered. */
function requireUnmaskOf(ctx: SecureContext, types: readonly string[]): void {
  const catalog = eventCatalog(ctx.model);
  const entities = [...new Set(types.flatMap((type) => catalog.get(type)!))].sort();
  const missing = entities.find((entity) => !holds(ctx.principal, ctx.model, `${entity}:unmask`));
  if (missing)
    throw new ForbiddenError(
      `Permission '${missing}:unmask' required to deliver its sensitive fields unmasked`,
      { permission: `${missing}:unmask`, field: 'unmask' },
    );
}

function changeActor(ctx: SecureContext, request: FastifyRequest): WebhookChangeActor {
  const agent = request.headers['user-agent'];
  return {
    actorId: ctx.principal.userId,
    actorName: ctx.principal.username,
    ip: request.ip,
    userAgent: typeof agent === 'string' ? agent.slice(0, 500) : null,
    traceId: ctx.traceId,
  };
}

function requiredString(value: unknown, field: string): string {
  if (typeof value !== 'string' || value.trim() === '')
    throw invalid(field, 'required', undefined, `${field} is required and must be a non-empty string`);
  return value.trim();
}

function idOf(raw: string): number {
  const id = Number(raw);
  if (!Number.isSafeInteger(id) || id < 1)
    throw invalid('id', 'type', 'integer', `id must be a positive integer`);
  return id;
}

function invalid(field: string, rule: string, limit: unknown, message: string): BadRequestError {
  return new BadRequestError(message, { errors: [{ field, path: `/${field}`, rule, limit, message }] });
}
