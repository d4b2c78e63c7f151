/**
 * Request budgets per client and minute through @fastify/rate-limit: one for login attempts and one
 * for authenticated API calls. With a Redis URL the counters live in Redis, so every instance behind
 * a load balancer draws on the same budget; otherwise each instance counts alone. The client is the
 * request's IP, which honours TRUST_PROXY: behind a proxy, set it, or every client shares one budget.
 * If Redis cannot be reached, requests pass rather than fail.
 */
import fastifyRateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { redisClient } from '../../ops/redis';
import { fail } from './replies';
import { SnapshotLocalStore } from './snapshot-local-store';

export interface RateLimitOptions {
  /** Login attempts per client per minute. */
  loginPerMinute: number;
  /** Authenticated API requests per client per minute. */
  apiPerMinute: number;
  /** Shared counters across instances when set. */
  redisUrl?: string | null;
  /** Prefix of the counters' keys in Redis. Default `mes`. */
  redisPrefix?: string;
}

/** Takes one request from the client's budget; answers 429 (and returns the reply) when it is spent. */
export type Throttle = (request: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply | undefined>;

export interface RateLimits {
  login: Throttle;
  api: Throttle;
}

const WINDOW_MS = 60_000;

export async function registerRateLimits(
  fastify: FastifyInstance,
  options: RateLimitOptions,
): Promise<RateLimits> {
  const redis = options.redisUrl ? redisClient(options.redisUrl, { maxRetriesPerRequest: 1 }) : null;
  if (redis) fastify.addHook('onClose', async () => void (await redis.quit()));
  await fastify.register(fastifyRateLimit, {
    global: false,
    timeWindow: WINDOW_MS,
    skipOnError: true,
    ...(redis
      ? { redis, nameSpace: `${options.redisPrefix ?? 'mes'}-rate-limit:` }
      : { store: SnapshotLocalStore }),
  });
  const throttle = (budget: string, max: number): Throttle => {
    const take = fastify.createRateLimit({
      max,
      timeWindow: WINDOW_MS,
      keyGenerator: (request) => `${budget}:${request.ip}`,
    });
    return async (request, reply) => {
      const result = await take(request);
      if (result.isAllowed || !result.isExceeded) return undefined;
      const retryAfter = Math.max(1, result.ttlInSeconds);
      reply.header('retry-after', String(retryAfter));
      return fail(request, reply, 429, 'TOO_MANY_REQUESTS', `Too many requests; retry in ${retryAfter}s`);
    };
  };
  return { login: throttle('login', options.loginPerMinute), api: throttle('api', options.apiPerMinute) };
}
