import type { LoginThrottleStore, SlotRule, ThrottleSlot } from './login-throttle';

const WARN_EVERY_MS = 60_000;

/**
 * Counts login attempts in Redis and, while Redis cannot be reached, in the database: logins keep
 * working through a Redis outage and stay throttled (against the counters in the database).
 */
export class FallbackLoginThrottleStore implements LoginThrottleStore {
  private lastWarning = 0;

  constructor(
    private readonly primary: LoginThrottleStore,
    private readonly fallback: LoginThrottleStore,
    private readonly warn: (error: unknown) => void,
  ) {}

  reserve(slot: ThrottleSlot, rule: SlotRule, nowMs: number): Promise<number> {
    return this.either((store) => store.reserve(slot, rule, nowMs));
  }

  release(slot: ThrottleSlot): Promise<void> {
    return this.either((store) => store.release(slot));
  }

  clear(slots: readonly ThrottleSlot[]): Promise<void> {
    return this.either((store) => store.clear(slots));
  }

  clearAccount(tenantId: string, username: string): Promise<void> {
    return this.either((store) => store.clearAccount(tenantId, username));
  }

  async close(): Promise<void> {
    await Promise.all([this.primary.close(), this.fallback.close()]);
  }

  private async either<T>(work: (store: LoginThrottleStore) => Promise<T>): Promise<T> {
    try {
      return await work(this.primary);
    } catch (error) {
      if (Date.now() - this.lastWarning > WARN_EVERY_MS) {
        this.lastWarning = Date.now();
        this.warn(error);
      }
      return work(this.fallback);
    }
  }
}
