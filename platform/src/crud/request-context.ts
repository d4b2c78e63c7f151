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
