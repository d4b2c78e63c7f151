/**
 * Read-your-writes with read replicas: every request runs in a read scope (data/read-consistency).
 * GET and HEAD requests of a caller who has not written within DATABASE_READ_YOUR_WRITES_MS read from
 * a replica; writes, reads after a write in the same request and the caller's reads within the
 * window read the primary. Recent writers are kept in Redis when configured, so the window holds
 * on every instance behind the load balancer; otherwise in this process.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { redisClient } from '../ops/redis';
import { runInReadScope } from '../data/read-consistency';
import { principalOfRequest } from '../security/http/request-principal';

export interface RecentWriters {
  wroteRecently(caller: string): Promise<boolean>;
  /** Records a committed write of the caller; resolves once every instance can see it. */
  note(caller: string): Promise<void>;
  close(): Promise<void>;
}

export const DEFAULT_READ_YOUR_WRITES_MS = 5000;

export function readYourWritesWindow(env: NodeJS.ProcessEnv): number {
  const raw = env.DATABASE_READ_YOUR_WRITES_MS?.trim();
  if (!raw) return DEFAULT_READ_YOUR_WRITES_MS;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0 || value > 3_600_000)
    throw new Error(`DATABASE_READ_YOUR_WRITES_MS must be an integer from 0 to 3600000; got '${raw}'`);
  return value;
}

export function recentWriters(redisUrl: string | null, prefix: string, windowMs: number): RecentWriters {
  const local = new Map<string, number>();
  const redis = redisUrl
    ? redisClient(redisUrl, { maxRetriesPerRequest: 1, enableOfflineQueue: false, lazyConnect: false })
    : null;
  redis?.on('error', () => undefined);
  const key = (caller: string) => `${prefix}:recent-writer:${caller}`;
  return {
    wroteRecently: async (caller) => {
      if ((local.get(caller) ?? 0) > Date.now()) return true;
      if (!redis) return false;
      // Redis unreachable: not knowing, the caller reads the primary.
      return (await redis.exists(key(caller)).catch(() => 1)) === 1;
    },
    note: async (caller) => {
      local.set(caller, Date.now() + windowMs);
      if (local.size > 10_000) for (const [name, until] of local) if (until <= Date.now()) local.delete(name);
      await redis?.set(key(caller), '1', 'PX', windowMs).catch(() => undefined);
    },
    close: async () => {
      redis?.disconnect();
    },
  };
}

const PENDING_NOTES = Symbol('pendingWriteNotes');
type WithNotes = FastifyRequest & { [PENDING_NOTES]?: Promise<void>[] };

export function registerReadScopes(fastify: FastifyInstance, writers: RecentWriters): void {
  fastify.addHook('preHandler', (request, _reply, done) => {
    const principal = principalOfRequest(request);
    const caller = principal ? `${principal.tenantId}:${principal.userId}` : null;
    const onWrite = caller
      ? () => {
          const notes = ((request as WithNotes)[PENDING_NOTES] ??= []);
          notes.push(writers.note(caller));
        }
      : undefined;
    const reading = request.method === 'GET' || request.method === 'HEAD';
    if (!reading || !caller) return runInReadScope({ primary: true, onWrite }, done);
    writers.wroteRecently(caller).then(
      (recent) => runInReadScope({ primary: recent, onWrite }, done),
      () => runInReadScope({ primary: true, onWrite }, done),
    );
  });
  // The answer leaves once the write is recorded, so the caller's next request, on any instance, sees it.
  fastify.addHook('onSend', async (request) => {
    const notes = (request as WithNotes)[PENDING_NOTES];
    if (notes) await Promise.all(notes);
  });
}
