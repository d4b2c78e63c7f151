/**
 * The real server on the core metadata and migrations, with the demo users signed in, on SQLite (temp
 * file, in-process event dispatch) or MariaDB (a database of its own) + Redis (BullMQ transport under
 * a queue prefix of its own). Tests drive it through Fastify's inject as the signed-in users.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { Queue } from 'bullmq';
import Redis from 'ioredis';
import { createConnection } from 'mysql2/promise';
import { startServer, type RunningServer } from '../../../platform/src/bootstrap/start-server';
import { EngineDatabase } from '../../../platform/src/data/database';
import { EVENTS_QUEUE } from '../../../platform/src/events/bullmq-transport';
import {
  createWebhookSubscription,
  SIGNATURE_HEADER,
  verifySignature,
} from '../../../platform/src/events/webhooks';
import { WebhookTargetPolicy } from '../../../platform/src/events/webhook-targets';
import { seedDemoSecurity } from '../../../platform/src/security/demo-seed';
import { waitFor } from '../../support/wait-for';
import { TestSessions } from '../../support/stale-token';

export type ScenarioDialect = 'sqlite' | 'mysql';
export type Who =
  'admin' | 'planner' | 'engineer' | 'inspector' | 'qmanager' | 'clerk' | 'operator' | 'leader' | 'hq';

export const PASSWORD = 'Demo-Passw0rd!';
const USERS: Who[] = [
  'admin',
  'planner',
  'engineer',
  'inspector',
  'qmanager',
  'clerk',
  'operator',
  'leader',
  'hq',
];
const RECEIVER_HOST = '127.0.0.1';
const quiet = new Writable({ write: (_chunk, _encoding, done) => done() });

export interface Reply {
  statusCode: number;
  body: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  json(): any;
}

export interface MesServer {
  server: RunningServer;
  /** The user ids of the signed-in demo users. */
  userIds: Record<Who, number>;
  /** Signs the user in again: the new token carries the roles, lines and plants they have now. */
  signIn(who: Who): Promise<string>;
  /** Sends as the user; a token refused as stale is renewed and the request sent again, as the app does. */
  call(
    who: Who,
    method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
    url: string,
    payload?: object,
    headers?: Record<string, string>,
  ): Promise<Reply>;
  /** POSTs and returns `data`; throws with the response body when the status is not 201. */
  create(who: Who, url: string, payload: object): Promise<Record<string, unknown>>;
  /** Fires a workflow action and returns the result's record; throws unless it applied. */
  act(who: Who, url: string, body?: object): Promise<Record<string, unknown>>;
  get(who: Who, url: string): Promise<Record<string, unknown>>;
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  table(entity: string): string;
  /** How many Redis keys the BullMQ `events` queue of this server has (0 without Redis). */
  queueKeys(): Promise<number>;
  /** Waits until every event in the outbox is published (BullMQ or in-process) and consumed. */
  drained(): Promise<void>;
  stop(): Promise<void>;
}

export async function startMesServer(
  dialect: ScenarioDialect,
  suite: string,
  extraEnv: Record<string, string> = {},
): Promise<MesServer> {
  const unique = `${suite}_${process.pid}_${Date.now() % 100000}`;
  let dropDatabase: () => Promise<void>;
  const env: Record<string, string> = {
    SEED_DEMO: 'false',
    LOG_LEVEL: 'warn',
    MES_JWT_SECRET: 'jwt-secret-for-tests-0123456789abcdef',
    // The test's webhook receiver listens on loopback, which webhooks may only target when allowed.
    MES_WEBHOOK_ALLOW_HOSTS: RECEIVER_HOST,
    // With Redis the budgets are shared by every server on this machine that signs in from loopback.
    MES_RATE_LIMIT_LOGIN: '1000',
    MES_RATE_LIMIT_API: '100000',
    ...extraEnv,
  };
  if (dialect === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), `mes-${suite}-`));
    env.DATABASE_URL = `sqlite:${join(dir, 'mes.sqlite')}`;
    dropDatabase = () => Promise.resolve(rmSync(dir, { recursive: true, force: true }));
  } else {
    const name = `mes_test_${unique}`;
    env.DATABASE_URL = `mysql://root@127.0.0.1:3306/${name}`;
    env.REDIS_URL = 'redis://127.0.0.1:6379';
    env.QUEUE_PREFIX = `mes_test_${unique}`;
    dropDatabase = async () => {
      const connection = await createConnection({ host: '127.0.0.1', port: 3306, user: 'root' });
      await connection.query(`DROP DATABASE IF EXISTS \`${name}\``);
      await connection.end();
      await deleteRedisKeys(env.REDIS_URL!, `${env.QUEUE_PREFIX!}:*`);
    };
  }
  const server = await startServer({ env, listen: false, logDestination: quiet });
  await seedDemoSecurity(new EngineDatabase(server.dataSource), server.registry.current(), 'DEMO', {
    MES_DEMO_PASSWORD: PASSWORD,
  });
  const sessions = new TestSessions(
    (request) => server.app.inject(request),
    (username) => ({ username, password: PASSWORD }),
  );
  const userIds = {} as Record<Who, number>;
  const signIn = (username: Who) => sessions.signIn(username);
  for (const username of USERS) {
    const accessToken = await signIn(username);
    const me = await server.app.inject({
      method: 'GET',
      url: '/api/auth/me',
      headers: { authorization: `Bearer ${accessToken}` },
    });
    userIds[username] = Number((me.json().data as { user: { id: string } }).user.id);
  }

  const call: MesServer['call'] = (who, method, url, payload, headers = {}) =>
    sessions.send(
      who,
      async (token) =>
        (await server.app.inject({
          method,
          url,
          payload,
          headers: { authorization: `Bearer ${token}`, ...headers },
        })) as unknown as Reply,
    );
  const expectStatus = (response: Reply, status: number, what: string) => {
    if (response.statusCode !== status) throw new Error(`${what}: ${response.statusCode} ${response.body}`);
  };
  const query = <T>(sql: string, params: unknown[] = []) =>
    server.dataSource.query(sql, params) as Promise<T[]>;

  return {
    server,
    userIds,
    signIn,
    call,
    create: async (who, url, payload) => {
      const response = await call(who, 'POST', url, payload);
      expectStatus(response, 201, `POST ${url}`);
      return response.json().data as Record<string, unknown>;
    },
    act: async (who, url, body = {}) => {
      const response = await call(who, 'POST', url, body);
      expectStatus(response, 201, `POST ${url}`);
      const result = response.json().data as { status: string; record: Record<string, unknown> };
      if (result.status !== 'APPLIED') throw new Error(`POST ${url}: ${result.status}`);
      return result.record;
    },
    get: async (who, url) => {
      const response = await call(who, 'GET', url);
      expectStatus(response, 200, `GET ${url}`);
      return response.json().data as Record<string, unknown>;
    },
    query,
    table: (entity) => server.registry.current().entities.get(entity)!.table,
    queueKeys: async () =>
      env.REDIS_URL ? (await scanKeys(env.REDIS_URL, `${env.QUEUE_PREFIX!}:events:*`)).length : 0,
    // Every event published and, through BullMQ, every job of the events queue done: in-process,
    // the relay marks an event published once its consumers handled it.
    drained: () =>
      waitFor('the outbox to drain', async () => {
        const [pending] = await query<{ n: number | string }>(
          'SELECT COUNT(*) AS n FROM evt_outbox WHERE published_at IS NULL AND dead_at IS NULL',
        );
        if (Number(pending!.n) > 0) return false;
        if (!env.REDIS_URL) return true;
        const connection = new Redis(env.REDIS_URL, { maxRetriesPerRequest: null });
        const queue = new Queue(EVENTS_QUEUE, { connection, prefix: env.QUEUE_PREFIX });
        try {
          const counts = await queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized');
          return Object.values(counts).every((count) => count === 0);
        } finally {
          await queue.close();
          connection.disconnect();
        }
      }),
    stop: async () => {
      await server.close();
      await dropDatabase();
    },
  };
}

/** A webhook receiver subscribed to every event: the test's own consumer, counting deliveries per event id. */
export interface EventReceiver {
  deliveries: Map<string, { type: string; count: number }>;
  close(): Promise<void>;
}

export async function receiveEvents(mes: MesServer, tenant = 'DEMO'): Promise<EventReceiver> {
  const secret = 'scenario-webhook-secret-0123456789';
  const deliveries = new Map<string, { type: string; count: number }>();
  const receiver = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      if (!verifySignature(secret, body, request.headers[SIGNATURE_HEADER] as string | undefined)) {
        response.writeHead(401).end();
        return;
      }
      const id = String(request.headers['x-mes-event-id']);
      const seen = deliveries.get(id) ?? { type: String(request.headers['x-mes-event']), count: 0 };
      seen.count += 1;
      deliveries.set(id, seen);
      response.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, RECEIVER_HOST, resolve));
  const { port } = receiver.address() as AddressInfo;
  await createWebhookSubscription(
    new EngineDatabase(mes.server.dataSource),
    { tenant, eventType: '*', url: `http://${RECEIVER_HOST}:${port}/events`, secret },
    new WebhookTargetPolicy([RECEIVER_HOST]),
    { actorId: 'scenario' },
  );
  return {
    deliveries,
    close: () => new Promise<void>((resolve) => receiver.close(() => resolve())),
  };
}

async function scanKeys(url: string, pattern: string): Promise<string[]> {
  const redis = new Redis(url);
  try {
    const found: string[] = [];
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 500);
      found.push(...keys);
      cursor = next;
    } while (cursor !== '0');
    return found;
  } finally {
    redis.disconnect();
  }
}

/** Removes the suite's BullMQ queues from the shared Redis. */
async function deleteRedisKeys(url: string, pattern: string): Promise<void> {
  const keys = await scanKeys(url, pattern);
  if (keys.length === 0) return;
  const redis = new Redis(url);
  try {
    await redis.del(...keys);
  } finally {
    redis.disconnect();
  }
}
