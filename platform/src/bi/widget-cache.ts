/**
 * Results of dashboard widgets, kept per caller until the numbers under them move. A result is
 * keyed by the tenant, the caller's principal and the Model — so no result is ever served to
 * another tenant, user or permission set — and by the widget, the shared filters and the generation
 * of every entity the widget reads. The `bi.dashboard-invalidation` consumer announces each change
 * on the live channel once the rollups have taken it in (`system:bi.changed`, on every instance);
 * the change bumps that entity's generation in its tenant, so the next read computes afresh. Entries
 * also expire after `ttlMs` (changes that bypass the write path, time-relative KPIs such as ageing)
 * and the least recently used go first beyond `maxEntries` (an `lru-cache` holds them).
 */
import { LRUCache } from 'lru-cache';
import type { Model } from '../../../metadata/src/model';
import type { Principal } from '../security/principal';
import { liveTopic, type LiveAudience, type LiveChannel } from '../events/live-channel';
import type { SharedFilters } from './widget-query';

/** The instances' audience of committed changes (never a user's stream). */
export const BI_CHANGED: LiveAudience = { kind: 'system', topic: 'bi.changed' };

/** What a committed change announces: the tenant and the entity whose rows moved. */
export interface BiChange {
  tenantId: string;
  entity: string;
}

export interface WidgetCacheOptions {
  ttlMs?: number;
  maxEntries?: number;
  now?: () => number;
}

/**
 * The caller as far as a result depends on them: the principal (user, roles, runtime grants and the
 * units row scopes refer to — everything authorization reads besides the Model) and the Model.
 */
export interface CacheCaller {
  tenantId: string;
  principal: Principal;
  model: Model;
}

export class WidgetCache {
  private readonly entries: LRUCache<string, { value: unknown }>;
  private readonly generations = new Map<string, number>();

  constructor(live: LiveChannel, options: WidgetCacheOptions = {}) {
    const now = options.now ?? Date.now;
    this.entries = new LRUCache<string, { value: unknown }>({
      max: options.maxEntries ?? 5_000,
      ttl: options.ttlMs ?? 60_000,
      // Ask the clock on every read rather than a timer-refreshed copy of it.
      ttlResolution: 0,
      perf: { now },
    });
    live.subscribe([liveTopic(BI_CHANGED)], (message) => {
      const change = message.data as Partial<BiChange> | null;
      if (typeof change?.tenantId === 'string' && typeof change.entity === 'string')
        this.changed(change.tenantId, change.entity);
    });
  }

  /** The cached result of the widget for this caller, or `compute()`'s, kept for the next read. */
  async get<T>(
    caller: CacheCaller,
    widget: unknown,
    filters: SharedFilters,
    entities: Iterable<string>,
    compute: () => Promise<T>,
  ): Promise<T> {
    const key = JSON.stringify([
      caller.tenantId,
      caller.principal,
      caller.model.hash,
      widget,
      filters,
      [...entities].sort().map((entity) => [entity, this.generation(caller.tenantId, entity)]),
    ]);
    // A read makes the entry the most recently used; an expired entry is not returned.
    const hit = this.entries.get(key);
    if (hit) return hit.value as T;
    const value = await compute();
    this.entries.set(key, { value });
    return value;
  }

  /** The entity's rows moved in the tenant: results reading it are computed again. */
  changed(tenantId: string, entity: string): void {
    const key = `${tenantId}\u0000${entity}`;
    this.generations.set(key, (this.generations.get(key) ?? 0) + 1);
  }

  private generation(tenantId: string, entity: string): number {
    return this.generations.get(`${tenantId}\u0000${entity}`) ?? 0;
  }
}
