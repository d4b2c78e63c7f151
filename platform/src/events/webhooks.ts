import { createHmac, timingSafeEqual } from 'node:crypto';
import { appendAudit, type AuditEntry } from '../audit/audit-writer';
import { BadRequestError } from '../crud/errors';
import type { EngineDatabase, SqlExecutor } from '../data/database';
import type { EventConsumer } from './consumer';
import { typeMatches, type EventEnvelope } from './envelope';
import { deliverableEvent } from './event-payload';
import { postWebhook } from './webhook-request';
import { WebhookTargetRefused, type WebhookTargetPolicy } from './webhook-targets';
import { sqlTime } from '../data/sql';
import {
  activeSubscription,
  activeSubscriptionRows,
  deactivateSubscription,
  deliveryRows,
  insertSubscription,
  previousDelivery,
  recordDelivery,
  subscriptionExists,
  subscriptionRows,
} from './webhook-store';

export const SIGNATURE_HEADER = 'x-mes-signature';

export interface WebhookSubscription {
  id: number;
  tenant: string;
  /** Event type or pattern (`work_order.*`, `*`). */
  eventType: string;
  url: string;
  secret: string;
  active: boolean;
  /** Receives sensitive values in clear instead of masked. */
  unmask: boolean;
  /** ISO time: the subscription receives events that happened from then on. */
  createdAt: string;
}

/** Who changes a subscription, from where: written to the audit trail with the change. */
export type WebhookChangeActor = Pick<AuditEntry, 'actorId' | 'actorName' | 'ip' | 'userAgent' | 'traceId'>;

export interface NewWebhookSubscription {
  tenant: string;
  eventType: string;
  url: string;
  secret: string;
  /** Deliver sensitive values in clear; the caller has checked the actor may grant it. */
  unmask?: boolean;
}

/** `sha256=<hex HMAC-SHA256 of the raw body with the subscription's secret>`. */
export function signBody(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/** Receiver-side check of a signature header, in constant time. */
export function verifySignature(secret: string, body: string, header: string | undefined): boolean {
  if (!header) return false;
  const expected = Buffer.from(signBody(secret, body));
  const given = Buffer.from(header);
  return expected.length === given.length && timingSafeEqual(expected, given);
}

/**
 * Subscribes a URL to events and audits the subscription (METADATA_CHANGE) in the same
 * transaction. The URL must be http(s) and its host public or allowed by `targets`: an internal
 * address is refused here and again at every delivery.
 */
export async function createWebhookSubscription(
  db: EngineDatabase,
  input: NewWebhookSubscription,
  targets: WebhookTargetPolicy,
  actor: WebhookChangeActor,
): Promise<number> {
  const url = httpUrl(input.url);
  if (!url) {
    throw new BadRequestError('url must be an http(s) URL', {
      errors: [
        { field: 'url', path: '/url', rule: 'format', message: 'url must be an http:// or https:// URL' },
      ],
    });
  }
  if (input.secret.length < 16) {
    throw new BadRequestError('secret must have at least 16 characters', {
      errors: [
        { field: 'secret', path: '/secret', rule: 'minLength', limit: 16, message: 'at least 16 characters' },
      ],
    });
  }
  try {
    await targets.resolve(url);
  } catch (error) {
    if (!(error instanceof WebhookTargetRefused)) throw error;
    throw new BadRequestError(error.message, {
      errors: [{ field: 'url', path: '/url', rule: error.rule, limit: error.host, message: error.message }],
    });
  }
  const unmask = input.unmask ?? false;
  return db.transaction(async (tx) => {
    const id = await insertSubscription(tx, {
      tenant: input.tenant,
      eventType: input.eventType,
      url: input.url,
      secret: input.secret,
      unmask,
      createdBy: actor.actorId,
    });
    await auditChange(tx, input.tenant, id, actor, {
      operation: 'create',
      eventType: input.eventType,
      url: withoutCredentials(url),
      unmask,
    });
    return id;
  });
}

/** A webhook subscription change in the audit trail: never the secret, nor credentials in the URL. */
async function auditChange(
  tx: SqlExecutor,
  tenant: string,
  id: number,
  actor: WebhookChangeActor,
  detail: Record<string, unknown>,
): Promise<void> {
  await appendAudit(tx, {
    ...actor,
    tenantId: tenant,
    entity: 'webhook_subscription',
    recordId: id,
    action: 'METADATA_CHANGE',
    detail,
  });
}

function httpUrl(text: string): URL | null {
  try {
    const url = new URL(text);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url : null;
  } catch {
    return null;
  }
}

function withoutCredentials(url: URL): string {
  const shown = new URL(url);
  shown.username = '';
  shown.password = '';
  return shown.toString();
}

/** A subscription as the admin API shows it: the secret never leaves the server after creation. */
export interface WebhookSubscriptionView {
  id: number;
  eventType: string;
  url: string;
  active: boolean;
  unmask: boolean;
  createdAt: string;
  createdBy: string | null;
}

export interface WebhookDelivery {
  eventId: string;
  status: string;
  attempts: number;
  responseStatus: number | null;
  lastError: string | null;
  createdAt: string;
  deliveredAt: string | null;
}

/** Every subscription of the tenant, active or cancelled, newest first. */
export async function listWebhookSubscriptions(
  sql: SqlExecutor,
  tenant: string,
): Promise<WebhookSubscriptionView[]> {
  const rows = await subscriptionRows(sql, tenant);
  return rows.map((row) => ({
    id: Number(row.id),
    eventType: String(row.event_type),
    url: String(row.url),
    active: Boolean(Number(row.active)),
    unmask: Boolean(Number(row.unmask)),
    createdAt: isoTime(row.created_at),
    createdBy: row.created_by === null ? null : String(row.created_by),
  }));
}

/**
 * Stops deliveries to a subscription and keeps its delivery history, audited (METADATA_CHANGE) in
 * the same transaction; false when the tenant has no such active subscription.
 */
export async function cancelWebhookSubscription(
  db: EngineDatabase,
  tenant: string,
  id: number,
  actor: WebhookChangeActor,
): Promise<boolean> {
  return db.transaction(async (tx) => {
    const subscription = await activeSubscription(tx, tenant, id);
    if (!subscription) return false;
    await deactivateSubscription(tx, tenant, id);
    await auditChange(tx, tenant, id, actor, {
      operation: 'cancel',
      eventType: subscription.event_type,
      url: withoutCredentials(new URL(subscription.url)),
    });
    return true;
  });
}

/** The latest deliveries of one of the tenant's subscriptions, newest first. */
export async function webhookDeliveries(
  sql: SqlExecutor,
  tenant: string,
  subscriptionId: number,
  limit: number,
): Promise<WebhookDelivery[] | null> {
  if (!(await subscriptionExists(sql, tenant, subscriptionId))) return null;
  const rows = await deliveryRows(sql, subscriptionId, limit);
  return rows.map((row) => ({
    eventId: String(row.event_id),
    status: String(row.status),
    attempts: Number(row.attempts),
    responseStatus: row.response_status === null ? null : Number(row.response_status),
    lastError: row.last_error === null ? null : String(row.last_error),
    createdAt: isoTime(row.created_at),
    deliveredAt: row.delivered_at === null ? null : isoTime(row.delivered_at),
  }));
}

function isoTime(value: unknown): string {
  const date = value instanceof Date ? value : new Date(`${String(value).replace(' ', 'T')}Z`);
  return date.toISOString();
}

export async function webhookSubscriptions(sql: SqlExecutor, tenant: string): Promise<WebhookSubscription[]> {
  const rows = await activeSubscriptionRows(sql, tenant);
  return rows.map((row) => ({
    id: Number(row.id),
    tenant: String(row.tenant_id),
    eventType: String(row.event_type),
    url: String(row.url),
    secret: String(row.secret),
    active: Boolean(Number(row.active)),
    unmask: Boolean(Number(row.unmask)),
    createdAt: isoTime(row.created_at),
  }));
}

export interface WebhookConsumerOptions {
  /** Which hosts deliveries may connect to (checked again at every delivery). */
  targets: WebhookTargetPolicy;
  /** Per request; default 5000 ms. */
  timeoutMs?: number;
}

/**
 * Posts each event to the tenant's matching subscriptions (those that existed when it happened),
 * signed with HMAC-SHA256, and records each delivery (evt_webhook_delivery) in the consumer's
 * transaction. Sensitive values go out masked unless the subscription was granted unmask; a host
 * that resolves to an address the target policy refuses fails the delivery. Any failure fails the
 * event, which
 * the transport retries (3 attempts, backoff) and then dead-letters; a retry skips subscriptions
 * whose delivery was committed, and receivers deduplicate by `x-mes-event-id` (at-least-once).
 */
export function webhookConsumer(options: WebhookConsumerOptions): EventConsumer {
  // A batch of events is handled in one transaction: its tenants' subscriptions are read once.
  const readInTransaction = new WeakMap<SqlExecutor, Map<string, Promise<WebhookSubscription[]>>>();
  const subscriptionsOf = (tx: SqlExecutor, tenant: string): Promise<WebhookSubscription[]> => {
    const byTenant = readInTransaction.get(tx) ?? new Map<string, Promise<WebhookSubscription[]>>();
    readInTransaction.set(tx, byTenant);
    const read = byTenant.get(tenant) ?? webhookSubscriptions(tx, tenant);
    byTenant.set(tenant, read);
    return read;
  };
  const wanted = (subscriptions: readonly WebhookSubscription[], event: EventEnvelope) =>
    subscriptions.filter(
      // Events that happened before the subscription existed are not its business, however late
      // the relay delivers them (a batch window, a backlog after an outage).
      (subscription) =>
        typeMatches(subscription.eventType, event.type) && subscription.createdAt <= event.time,
    );
  return {
    name: 'webhooks',
    types: ['*'],
    async relevant(events, sql) {
      const tenants = new Map<string, WebhookSubscription[]>();
      for (const tenant of new Set(events.map((event) => event.tenant)))
        tenants.set(tenant, await webhookSubscriptions(sql, tenant));
      return events.filter((event) => wanted(tenants.get(event.tenant) ?? [], event).length > 0);
    },
    async handle(event: EventEnvelope, tx: SqlExecutor) {
      const failures: string[] = [];
      for (const subscription of wanted(await subscriptionsOf(tx, event.tenant), event)) {
        const error = await deliver(tx, subscription, event, options.timeoutMs ?? 5000, options.targets);
        if (error) failures.push(`${subscription.url}: ${error}`);
      }
      if (failures.length > 0) throw new Error(`webhook delivery failed: ${failures.join('; ')}`);
    },
  };
}

/** Sends one event to one subscription unless already delivered; returns the error, or null on success. */
async function deliver(
  sql: SqlExecutor,
  subscription: WebhookSubscription,
  event: EventEnvelope,
  timeoutMs: number,
  targets: WebhookTargetPolicy,
): Promise<string | null> {
  const previous = await previousDelivery(sql, subscription.id, event.id);
  if (previous?.status === 'DELIVERED') return null;
  const body = JSON.stringify(deliverableEvent(event, subscription.unmask));
  let status: number | null = null;
  let error: string | null = null;
  try {
    const headers = {
      'content-type': 'application/json',
      'x-mes-event': event.type,
      'x-mes-event-id': event.id,
      [SIGNATURE_HEADER]: signBody(subscription.secret, body),
    };
    status = await postWebhook(subscription.url, headers, body, timeoutMs, targets);
    if (status < 200 || status > 299) error = `HTTP ${status}`;
  } catch (cause) {
    error = cause instanceof Error ? cause.message : String(cause);
  }
  await recordDelivery(sql, previous?.id ?? null, subscription.id, event.id, {
    status: error ? 'FAILED' : 'DELIVERED',
    responseStatus: status,
    error: error?.slice(0, 1000) ?? null,
    at: sqlTime(new Date()),
  });
  return error;
}
