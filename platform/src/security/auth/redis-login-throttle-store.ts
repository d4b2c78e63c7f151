import type { Redis } from 'ioredis';
import { redisClient } from '../../ops/redis';
import type { LoginThrottleStore, SlotRule, ThrottleSlot } from './login-throttle';

/**
 * KEYS[1]: the slot's hash. ARGV: now, window, max attempts, tail delay, delay after attempt 1, 2, ….
 * Runs atomically in Redis: the same rule as the SQL store, for every instance sharing the Redis.
 */
const RESERVE = `
local now = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local state = redis.call('HMGET', KEYS[1], 'attempts', 'last', 'next')
local attempts = tonumber(state[1]) or 0
local last = tonumber(state[2]) or 0
local nextAt = tonumber(state[3]) or 0
if last < now - window then attempts = 0 end
local wait = nextAt - now
if attempts >= tonumber(ARGV[3]) and last + window - now > wait then wait = last + window - now end
if wait > 0 then return wait end
attempts = attempts + 1
local delay = tonumber(ARGV[4 + attempts]) or tonumber(ARGV[4])
local nextAttempt = 0
if delay > 0 then nextAttempt = now + delay end
redis.call('HSET', KEYS[1], 'attempts', attempts, 'last', now, 'next', nextAttempt)
redis.call('PEXPIRE', KEYS[1], window + delay)
return 0
`;

const RELEASE = `
local attempts = tonumber(redis.call('HGET', KEYS[1], 'attempts') or '0')
if attempts > 0 then redis.call('HSET', KEYS[1], 'attempts', attempts - 1) end
return 0
`;

/** Throttle counters in Redis (`REDIS_URL`), shared by every instance that uses it. */
export class RedisLoginThrottleStore implements LoginThrottleStore {
  private readonly redis: Redis;

  constructor(
    redisUrl: string,
    private readonly prefix: string,
  ) {
    this.redis = redisClient(redisUrl, { maxRetriesPerRequest: 1 });
  }

  async reserve(slot: ThrottleSlot, rule: SlotRule, nowMs: number): Promise<number> {
    const wait = await this.redis.eval(
      RESERVE,
      1,
      this.key(slot),
      nowMs,
      rule.windowMs,
      rule.maxAttempts,
      rule.tailDelayMs,
      ...rule.delaysMs,
    );
    return Number(wait);
  }

  async release(slot: ThrottleSlot): Promise<void> {
    await this.redis.eval(RELEASE, 1, this.key(slot));
  }

  async clear(slots: readonly ThrottleSlot[]): Promise<void> {
    await this.redis.del(...slots.map((slot) => this.key(slot)));
  }

  async clearAccount(tenantId: string, username: string): Promise<void> {
    const glob = (value: string) => encodeURIComponent(value).replace(/[*?[\]\\]/g, '\\$&');
    const match = `${this.prefix}:login-throttle:${glob(tenantId)}:${glob(username)}:*`;
    for await (const keys of this.redis.scanStream({ match, count: 500 }) as AsyncIterable<string[]>)
      if (keys.length > 0) await this.redis.del(...keys);
  }

  async close(): Promise<void> {
    await this.redis.quit();
  }

  private key(slot: ThrottleSlot): string {
    const part = (value: string) => encodeURIComponent(value);
    return `${this.prefix}:login-throttle:${part(slot.tenantId)}:${part(slot.username)}:${part(slot.client)}`;
  }
}
