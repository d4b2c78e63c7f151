/**
 * `npm run bench:scale`: real processes on this machine. For 1 and 2 API instances (MES_ROLE=api)
 * with a worker behind HAProxy, on the shared MariaDB and Redis: requests through HAProxy during a
 * rolling restart of every instance under load (target: 0 failed); with 2 instances, how long an
 * extension field added on one instance takes to show in the other's Model (p50/p99, target < 1 s).
 * Then, on a private primary + GTID replica pair, how long a write takes to be seen by another
 * caller whose reads go to the replica. Auth is on: callers sign in as demo users.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { CLUSTER_PASSWORD, freePort, runLoad, startCluster, waitFor, type Cluster } from '../support/cluster';
import { startMariaDbPair } from '../support/mariadb-pair';

const ROOT = resolve(__dirname, '..', '..', '..');
const PROPAGATION_SAMPLES = 30;
const LAG_SAMPLES = 50;

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)];
}

const round = (n: number) => Math.round(n * 10) / 10;

async function send(
  url: string,
  token: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<Response> {
  return fetch(`${url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

async function workOrderBody(cluster: Cluster) {
  const [rows] = (await cluster.sql.query(
    'SELECT MIN(item_id) AS itemId, MIN(line_id) AS lineId FROM work_order',
  )) as unknown as [{ itemId: number; lineId: number }[]];
  return {
    itemId: Number(rows[0].itemId),
    lineId: Number(rows[0].lineId),
    plannedQuantity: 10,
    plannedStart: '2027-01-01T08:00:00.000Z',
  };
}

/**
 * One instance restarts by surge (a replacement joins before the old one drains, Kubernetes'
 * `maxSurge: 1`); several restart one after the other in place, the others carrying the load.
 */
async function rollingRestart(instances: number) {
  const surge = instances === 1;
  const cluster = await startCluster({ name: `bench${instances}`, instances, worker: true, spare: surge });
  try {
    const planner = await cluster.login('planner');
    const body = await workOrderBody(cluster);
    const started = Date.now();
    const restarts = (async () => {
      // A moment of steady load first, then each instance in turn.
      await new Promise((r) => setTimeout(r, 2000));
      for (let index = 0; index < instances; index++)
        await (surge ? cluster.surgeRestart(index) : cluster.restart(index));
      await new Promise((r) => setTimeout(r, 2000));
    })();
    let turn = 0;
    const load = await runLoad(
      8,
      () =>
        turn++ % 4 === 0
          ? send(cluster.url, planner, 'POST', '/api/work-orders', body)
          : send(cluster.url, planner, 'GET', '/api/work-orders?pageSize=20'),
      restarts,
    );
    const seconds = (Date.now() - started) / 1000;
    const total = Object.values(load.statuses).reduce((a, b) => a + b, 0) + load.networkErrors;
    const failed =
      load.networkErrors +
      Object.entries(load.statuses)
        .filter(([status]) => status !== '200' && status !== '201')
        .reduce((sum, [, n]) => sum + n, 0);
    const sorted = [...load.latenciesMs].sort((a, b) => a - b);
    const result: Record<string, unknown> = {
      instances,
      restart: surge ? 'surge' : 'in place',
      requests: total,
      failed,
      statuses: load.statuses,
      requestsPerSecond: round(total / seconds),
      latencyP50Ms: percentile(sorted, 0.5),
      latencyP99Ms: percentile(sorted, 0.99),
      ...(Object.keys(load.samples).length > 0 ? { failures: load.samples } : {}),
    };
    if (instances > 1) result.propagation = await propagation(cluster);
    return result;
  } finally {
    await cluster.stop();
  }
}

/** An extension field added through instance A, until instance B's Model serves it. */
async function propagation(cluster: Cluster) {
  const admin = await cluster.login('admin');
  const [a, b] = cluster.instances;
  const latencies: number[] = [];
  const sinceRequest: number[] = [];
  for (let i = 0; i < PROPAGATION_SAMPLES; i++) {
    const name = `bench_scale_${i}`;
    const requested = performance.now();
    const created = await send(a.url, admin, 'POST', '/api/admin/extensions/supplier_master/fields', {
      name,
      type: 'integer',
      label: { en: name },
    });
    if (!created.ok) throw new Error(`adding ${name}: ${created.status} ${await created.text()}`);
    // From the moment A acknowledged the change.
    const started = performance.now();
    await waitFor(
      `${name} on ${b.name}`,
      async () => {
        const meta = await send(b.url, admin, 'GET', '/api/meta/entities/supplier_master');
        return (await meta.text()).includes(name);
      },
      10_000,
      5,
    );
    latencies.push(performance.now() - started);
    sinceRequest.push(performance.now() - requested);
  }
  const sorted = [...latencies].sort((x, y) => x - y);
  const sortedSinceRequest = [...sinceRequest].sort((x, y) => x - y);
  return {
    changes: PROPAGATION_SAMPLES,
    afterAcknowledgedP50Ms: round(percentile(sorted, 0.5)),
    afterAcknowledgedP99Ms: round(percentile(sorted, 0.99)),
    afterAcknowledgedMaxMs: round(sorted[sorted.length - 1]),
    sinceRequestP50Ms: round(percentile(sortedSinceRequest, 0.5)),
    sinceRequestP99Ms: round(percentile(sortedSinceRequest, 0.99)),
  };
}

/** A planner's change, until an auditor (reading the replica) sees it. */
async function replicaLag() {
  const pair = await startMariaDbPair();
  const work = mkdtempSync(join(tmpdir(), 'mes-bench-replica-'));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const server = spawn(process.execPath, [join(ROOT, 'bin/mes.js'), 'serve'], {
    cwd: ROOT,
    env: {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      DATABASE_URL: pair.primary.url('mes_bench'),
      DATABASE_REPLICA_URLS: pair.replica.url('mes_bench'),
      REDIS_URL: '',
      LOG_LEVEL: 'warn',
      MES_DEMO_PASSWORD: CLUSTER_PASSWORD,
      MES_ENCRYPTION_KEY_FILE: join(work, 'encryption.key'),
      MES_JWT_SECRET: 'bench-replica-secret-0123456789abcdef0123456789',
      PLUGIN_STORE_DIR: join(work, 'plugins'),
      MES_RATE_LIMIT_API: '1000000',
    },
    stdio: 'ignore',
  });
  try {
    await waitFor('mes serve', async () => (await fetch(`${url}/health/ready`)).status === 200, 300_000, 200);
    await pair.caughtUp();
    const login = async (username: string) => {
      const response = await fetch(`${url}/api/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username, password: CLUSTER_PASSWORD }),
      });
      return ((await response.json()) as { data: { accessToken: string } }).data.accessToken;
    };
    const planner = await login('planner');
    const auditor = await login('auditor');
    const list = (await (await send(url, auditor, 'GET', '/api/work-orders?pageSize=1&sort=id')).json()) as {
      data: { items: { id: number }[] };
    };
    const id = list.data.items[0].id;
    const lags: number[] = [];
    for (let i = 0; i < LAG_SAMPLES; i++) {
      const current = (await (await send(url, planner, 'GET', `/api/work-orders/${id}`)).json()) as {
        data: { version: number };
      };
      const remarks = `lag sample ${i}`;
      const changed = await send(url, planner, 'PATCH', `/api/work-orders/${id}`, {
        version: current.data.version,
        remarks,
      });
      if (!changed.ok) throw new Error(`PATCH: ${changed.status} ${await changed.text()}`);
      const committed = performance.now();
      await waitFor(
        'the auditor to see the change',
        async () => {
          const seen = (await (await send(url, auditor, 'GET', `/api/work-orders/${id}`)).json()) as {
            data: { remarks: string };
          };
          return seen.data.remarks === remarks;
        },
        10_000,
        1,
      );
      lags.push(performance.now() - committed);
    }
    const sorted = [...lags].sort((a, b) => a - b);
    const status = await pair.replicaStatus();
    return {
      samples: LAG_SAMPLES,
      p50Ms: round(percentile(sorted, 0.5)),
      p99Ms: round(percentile(sorted, 0.99)),
      maxMs: round(sorted[sorted.length - 1]),
      secondsBehindMaster: status.secondsBehind,
    };
  } finally {
    const exited = new Promise((r) => server.once('exit', r));
    server.kill('SIGKILL');
    await exited;
    await pair.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const report = {
    rollingRestart: [await rollingRestart(1), await rollingRestart(2)],
    replicaLag: await replicaLag(),
  };
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
