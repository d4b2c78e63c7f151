/**
 * Two `mes serve` instances (real processes from the build) on a MariaDB primary with a GTID replica (each a
 * `mariadbd` of its own) and a Redis of its own: reads go to the replica unless the caller has just
 * written; the replica or Redis going away leaves the API serving; the primary going away turns
 * readiness 503 with clear errors, and it recovers when the primary returns, without a restart.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Redis from 'ioredis';
import { CLUSTER_PASSWORD, freePort, waitFor } from '../../support/cluster';
import { startMariaDbPair, type MariaDbPair } from '../../support/mariadb-pair';

const ROOT = resolve(__dirname, '..', '..', '..');
const DATABASE = 'mes_replicated';
const WINDOW_MS = 5000;

interface Envelope<T> {
  code: string;
  message: string;
  data: T;
}
interface WorkOrder {
  id: number;
  version: number;
  remarks: string | null;
}

describe('read replicas and faults', () => {
  let pair: MariaDbPair;
  let redis: ChildProcess | null = null;
  let redisPort: number;
  /** Two `mes serve` instances on the same primary, replica and Redis; requests go to the first. */
  const servers: { child: ChildProcess; url: string; log: string }[] = [];
  let url: string;
  let work: string;
  let planner: string;
  let auditor: string;
  let first: WorkOrder;
  let second: WorkOrder;

  const call = async <T>(token: string, method: string, path: string, body?: unknown, base = url) => {
    const response = await fetch(`${base}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as Envelope<T> };
  };
  const login = async (username: string) => {
    const response = await fetch(`${url}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username, password: CLUSTER_PASSWORD }),
    });
    if (!response.ok) throw new Error(`login ${username}: ${response.status} ${await response.text()}`);
    return ((await response.json()) as Envelope<{ accessToken: string }>).data.accessToken;
  };
  const startRedis = async () => {
    redis = spawn(
      'redis-server',
      ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      {
        stdio: 'ignore',
      },
    );
    await waitFor('redis', async () => {
      const client = new Redis(redisPort, '127.0.0.1', { lazyConnect: true, maxRetriesPerRequest: 0 });
      client.on('error', () => undefined);
      try {
        await client.connect();
        return (await client.ping()) === 'PONG';
      } finally {
        client.disconnect();
      }
    });
  };
  const stopRedis = async () => {
    if (!redis || redis.exitCode !== null) return;
    const exited = new Promise((r) => redis?.once('exit', r));
    redis.kill('SIGKILL');
    await exited;
  };
  const readRemarks = async (token: string, id: number, base = url) =>
    (await call<WorkOrder>(token, 'GET', `/api/work-orders/${id}`, undefined, base)).body.data.remarks;
  const startMes = async (name: string) => {
    const port = await freePort();
    const child = spawn(process.execPath, [join(ROOT, 'bin/mes.js'), 'serve'], {
      cwd: ROOT,
      env: {
        ...process.env,
        PORT: String(port),
        HOST: '127.0.0.1',
        DATABASE_URL: pair.primary.url(DATABASE),
        DATABASE_REPLICA_URLS: pair.replica.url(DATABASE),
        DATABASE_READ_YOUR_WRITES_MS: String(WINDOW_MS),
        REDIS_URL: `redis://127.0.0.1:${redisPort}`,
        LOG_LEVEL: 'warn',
        MES_DEMO_PASSWORD: CLUSTER_PASSWORD,
        MES_ENCRYPTION_KEY_FILE: join(work, 'encryption.key'),
        MES_JWT_SECRET: 'replica-suite-secret-0123456789abcdef0123456789',
        PLUGIN_STORE_DIR: join(work, name, 'plugins'),
        MES_RATE_LIMIT_API: '100000',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const server = { child, url: `http://127.0.0.1:${port}`, log: '' };
    servers.push(server);
    const keep = (chunk: Buffer) => (server.log = (server.log + chunk.toString()).slice(-20_000));
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    await waitFor(
      `mes serve (${name}) on the replicated database`,
      async () => {
        if (child.exitCode !== null) throw new Error(`mes serve (${name}) exited:\n${server.log}`);
        return (await fetch(`${server.url}/health/ready`)).status === 200;
      },
      180_000,
      200,
    );
    return server;
  };

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'mes-replicas-'));
    redisPort = await freePort();
    pair = await startMariaDbPair();
    await startRedis();
    // The first instance migrates and seeds; the second starts on the prepared database.
    url = (await startMes('a')).url;
    await startMes('b');
    await pair.caughtUp();
    planner = await login('planner');
    auditor = await login('auditor');
    const list = await call<{ items: WorkOrder[] }>(auditor, 'GET', '/api/work-orders?pageSize=2&sort=id');
    [first, second] = list.body.data.items;
  }, 300_000);

  afterAll(async () => {
    for (const { child } of servers)
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGKILL');
        await exited;
      }
    await stopRedis();
    await pair?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  }, 60_000);

  it('reads from the replica, except for a caller who has just written, on either instance', async () => {
    expect((await pair.replicaStatus()).running).toBe(true);
    // The replica alone holds this value: whoever reads it read the replica.
    const onReplica = await pair.replica.connect(DATABASE);
    await onReplica.query('UPDATE work_order SET remarks = ? WHERE id = ?', [
      'only on the replica',
      first.id,
    ]);
    await onReplica.end();
    expect(await readRemarks(planner, first.id)).toBe('only on the replica');

    const changed = await call<WorkOrder>(planner, 'PATCH', `/api/work-orders/${second.id}`, {
      version: second.version,
      remarks: 'changed by the planner',
    });
    expect(changed.status).toBe(200);
    // The planner's next reads go to the primary: the write is there, the replica-only value is not,
    // on the instance that took the write and on the other one (the window is kept in Redis).
    for (const base of servers.map((server) => server.url)) {
      expect(await readRemarks(planner, second.id, base)).toBe('changed by the planner');
      expect(await readRemarks(planner, first.id, base)).toBe(first.remarks);
    }
    // Others still read the replica.
    expect(await readRemarks(auditor, first.id)).toBe('only on the replica');
    expect(await readRemarks(auditor, first.id, servers[1].url)).toBe('only on the replica');
    // Once the window has passed the planner reads the replica again.
    await waitFor(
      'the read-your-writes window to pass',
      async () => (await readRemarks(planner, first.id)) === 'only on the replica',
      WINDOW_MS * 10,
    );
  });

  it('serves reads from the primary while the replica is down', async () => {
    await pair.replica.halt();
    try {
      expect(await readRemarks(auditor, second.id)).toBe('changed by the planner');
    } finally {
      await pair.replica.resume();
    }
    await waitFor('replication running again', async () => (await pair.replicaStatus()).running, 30_000);
  });

  it('keeps serving without Redis and relays the events it queued once Redis returns', async () => {
    await stopRedis();
    const ready = await fetch(`${url}/health/ready`);
    expect(ready.status).toBe(200);
    expect(((await ready.json()) as Envelope<{ status: string }>).data.status).toBe('degraded');
    const changed = await call<WorkOrder>(planner, 'PATCH', `/api/work-orders/${first.id}`, {
      version: (await call<WorkOrder>(planner, 'GET', `/api/work-orders/${first.id}`)).body.data.version,
      remarks: 'written while Redis was down',
    });
    expect(changed.status).toBe(200);
    expect((await call<{ items: unknown[] }>(auditor, 'GET', '/api/work-orders?pageSize=1')).status).toBe(
      200,
    );

    const onPrimary = await pair.primary.connect(DATABASE);
    try {
      // The change's event waits in the outbox while Redis is away.
      const [waiting] = (await onPrimary.query(
        "SELECT COUNT(*) AS n FROM evt_outbox WHERE published_at IS NULL AND entity = 'work_order' AND entity_id = ?",
        [String(first.id)],
      )) as unknown as [{ n: number }[]];
      expect(Number(waiting[0].n)).toBeGreaterThan(0);
      await startRedis();
      await waitFor(
        'the outbox to drain',
        async () => {
          const [rows] = (await onPrimary.query(
            'SELECT COUNT(*) AS n FROM evt_outbox WHERE published_at IS NULL AND dead_at IS NULL',
          )) as unknown as [{ n: number }[]];
          return Number(rows[0].n) === 0;
        },
        30_000,
      );
    } finally {
      await onPrimary.end();
    }
  });

  it('answers 503 while the primary is unreachable and recovers without a restart', async () => {
    await pair.primary.halt();
    try {
      const ready = await fetch(`${url}/health/ready`);
      expect(ready.status).toBe(503);
      const report = (await ready.json()) as Envelope<{ checks: { name: string; status: string }[] }>;
      expect(report.data.checks).toEqual(
        expect.arrayContaining([expect.objectContaining({ name: 'database', status: 'down' })]),
      );
      const refused = await call<WorkOrder>(planner, 'PATCH', `/api/work-orders/${second.id}`, {
        version: 99,
        remarks: 'never stored',
      });
      expect({ status: refused.status, code: refused.body.code }).toEqual({
        status: 503,
        code: 'DATABASE_UNAVAILABLE',
      });
      // A sign-in (it writes) is refused the same way, with no trace of the server's internals.
      const signIn = await fetch(`${url}/api/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'auditor', password: CLUSTER_PASSWORD }),
      });
      const signInText = await signIn.text();
      expect({ status: signIn.status, code: (JSON.parse(signInText) as Envelope<unknown>).code }).toEqual({
        status: 503,
        code: 'DATABASE_UNAVAILABLE',
      });
      expect(signInText).not.toMatch(/\bat .*\.js:\d+|ECONNREFUSED|stack/);
      // Callers who have not written still read, from the replica.
      expect(await readRemarks(auditor, second.id)).toBe('changed by the planner');
    } finally {
      await pair.primary.resume();
    }
    await waitFor('readiness back', async () => (await fetch(`${url}/health/ready`)).status === 200, 30_000);
    const current = (await call<WorkOrder>(planner, 'GET', `/api/work-orders/${second.id}`)).body.data;
    const stored = await call<WorkOrder>(planner, 'PATCH', `/api/work-orders/${second.id}`, {
      version: current.version,
      remarks: 'after the primary came back',
    });
    expect(stored.status).toBe(200);
    expect(servers.map(({ child }) => child.exitCode)).toEqual([null, null]);
  });
});
