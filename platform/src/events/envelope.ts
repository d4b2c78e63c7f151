import { randomUUID } from 'node:crypto';

/**
 * The one event envelope of the platform (docs/events.md): `id` is the
 * event id (uuid, the idempotency key of every consumer), `type` the dotted `<entity>.<event>` name
 * (`work_order.released`), `version` the payload schema version (additive changes only), `time`
 * ISO-8601 UTC, `entity`/`entityId` the aggregate the event is about (the catalog's aggregate_type and
 * aggregate_id), `payload` the catalog's `data`.
 */
export interface EventEnvelope {
  id: string;
  type: string;
  version: number;
  time: string;
  tenant: string;
  actor: string | null;
  traceId: string | null;
  entity: string | null;
  entityId: string | null;
  payload: Record<string, unknown>;
  /**
   * Clear values of the payload's sensitive fields, sealed with the field key ring, by JSON pointer
   * into `payload` (where their masks stand). Set by the outbox writer; never delivered as such.
   */
  sealed?: Record<string, string>;
}

export interface NewEvent {
  type: string;
  tenant: string;
  actor?: string | null;
  traceId?: string | null;
  entity?: string | null;
  entityId?: string | number | null;
  payload?: Record<string, unknown>;
  version?: number;
}

/** Stamps a new event with its id and time. */
export function createEnvelope(event: NewEvent, now: Date = new Date()): EventEnvelope {
  return {
    id: randomUUID(),
    type: event.type,
    version: event.version ?? 1,
    time: now.toISOString(),
    tenant: event.tenant,
    actor: event.actor ?? null,
    traceId: event.traceId ?? null,
    entity: event.entity ?? null,
    entityId: event.entityId === undefined || event.entityId === null ? null : String(event.entityId),
    payload: event.payload ?? {},
  };
}

/** Whether a subscription pattern (`work_order.released`, `work_order.*`, `*`) covers an event type. */
export function typeMatches(pattern: string, type: string): boolean {
  if (pattern === '*' || pattern === type) return true;
  return pattern.endsWith('.*') && type.startsWith(pattern.slice(0, -1));
}
