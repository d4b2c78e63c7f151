import { randomUUID } from 'node:crypto';
import type { ModelRegistry } from '../kernel/model-registry';
import type { RequestContext } from './types';

export interface ContextInput {
  tenantId: string;
  userId?: string | null;
  traceId?: string;
}

/** Captures the Model current at the request's start: the request finishes on it even across a swap. */
export function createRequestContext(registry: ModelRegistry, input: ContextInput): RequestContext {
  return {
    tenantId: input.tenantId,
    userId: input.userId ?? null,
    traceId: input.traceId ?? randomUUID(),
    model: registry.current(),
  };
}

/**
 * The context of a change the engine makes itself on a request's behalf (records a domain rule or
 * a transition creates): recorded for `actorId` with the request's trace and client, but not bound
 * by the caller's row and field rules, which govern what the caller sends, not what the rules do.
 */
export function engineContext(ctx: RequestContext, actorId: string | null = ctx.userId): RequestContext {
  const { access: _access, ...rest } = ctx;
  return { ...rest, userId: actorId };
}
