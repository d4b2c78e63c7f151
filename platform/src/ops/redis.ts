import type { Redis, RedisOptions } from 'ioredis';

/**
 * A Redis client. ioredis (about 19 MB resident) is loaded with the first client, so a deployment
 * without `REDIS_URL` never loads it.
 */
export function redisClient(url: string, options: RedisOptions): Redis {
  const { Redis: Client } = require('ioredis') as typeof import('ioredis');
  return new Client(url, options);
}
