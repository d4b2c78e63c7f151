/** Readiness checks of the server's dependencies for `GET /health/ready`. */
import { redisClient } from '../ops/redis';
import type { DataSource } from 'typeorm';
import { pingDatabase } from '../data/statements';
import type { ReadinessCheck } from '../ops/health.controller';
import type { S3FileStorage } from '../files/s3-file-storage';

export function databaseCheck(dataSource: DataSource): ReadinessCheck {
  return {
    name: 'database',
    check: async () => {
      await pingDatabase(dataSource);
    },
  };
}

/** Fails once `start()` is called: a shutting-down instance leaves the load balancer's rotation first. */
export function drainCheck(): ReadinessCheck & { start(): void } {
  let draining = false;
  return {
    name: 'accepting',
    check: async () => {
      if (draining) throw new Error('shutting down');
    },
    start: () => {
      draining = true;
    },
  };
}

/** One lazily connected client used only for PING; closed with `close()` on shutdown. */
export function redisCheck(url: string): ReadinessCheck & { close(): Promise<void> } {
  const client = redisClient(url, { lazyConnect: true, maxRetriesPerRequest: 1, enableOfflineQueue: false });
  client.on('error', () => undefined);
  return {
    name: 'redis',
    optional: true,
    check: async () => {
      if (client.status === 'wait' || client.status === 'end') await client.connect();
      await client.ping();
    },
    close: async () => {
      client.disconnect();
    },
  };
}

/**
 * The S3 bucket of attached files (HeadBucket). Optional: while the store is down the API serves on
 * (`degraded`); uploads and downloads answer 503 STORAGE_UNAVAILABLE meanwhile.
 */
export function fileStoreCheck(storage: S3FileStorage): ReadinessCheck {
  return { name: 'files', optional: true, check: () => storage.checkBucket() };
}
