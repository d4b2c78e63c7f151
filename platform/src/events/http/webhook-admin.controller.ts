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
import { BadRequestError, NotFoundError } from '../../crud/errors';
import { EnvelopeInterceptor } from '../../crud/http/envelope.interceptor';
import { requestContext } from '../../crud/http/request-context';
import { MODEL_REGISTRY } from '../../crud/http/tokens';
import type { RequestContext } from '../../crud/types';
import type { EngineDatabase } from '../../data/database';
import type { ModelRegistry } from '../../kernel/model-registry';
import { requirePermission } from '../../security/authorization/access';
import {
  cancelWebhookSubscription,
  createWebhookSubscription,
  listWebhookSubscriptions,
  webhookDeliveries,
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
}

/**
 * `/api/admin/webhooks`: subscribe external systems to domain events (HMAC-signed deliveries, see
 * docs/events.md), list and cancel subscriptions, and read their delivery log. Needs `webhook:manage`.
 */
@Controller('api/admin/webhooks')
@UseInterceptors(EnvelopeInterceptor)
export class WebhookAdminController {
  constructor(
    @Inject(WEBHOOK_DATABASE) private readonly db: EngineDatabase,
    @Inject(MODEL_REGISTRY) private readonly models: ModelRegistry,
  ) {}

  @Get()
  list(@Req() request: FastifyRequest): Promise<WebhookSubscriptionView[]> {
    const ctx = this.authorized(request);
    return listWebhookSubscriptions(this.db.executor(), ctx.tenantId);
  }

  /** The secret is returned once, here; without one, a random 32-byte secret is generated. */
  @Post()
  async create(
    @Body() body: CreateWebhookBody | undefined,
    @Req() request: FastifyRequest,
  ): Promise<{ id: number; eventType: string; url: string; secret: string }> {
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
    const url = requiredString(body?.url, 'url');
    const secret =
      body?.secret === undefined
        ? randomBytes(32).toString('base64url')
        : requiredString(body.secret, 'secret');
    const id = await createWebhookSubscription(this.db, {
      tenant: ctx.tenantId,
      eventType,
      url,
      secret,
      createdBy: ctx.userId,
    });
    return { id, eventType, url, secret };
  }

  @Delete(':id')
  async cancel(
    @Param('id') id: string,
    @Req() request: FastifyRequest,
  ): Promise<{ id: number; active: false }> {
    const ctx = this.authorized(request);
    const subscriptionId = idOf(id);
    if (!(await cancelWebhookSubscription(this.db.executor(), ctx.tenantId, subscriptionId)))
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

  private authorized(request: FastifyRequest): RequestContext {
    const ctx = requestContext(request, this.models);
    requirePermission(ctx, WEBHOOK_PERMISSION);
    return ctx;
  }
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
