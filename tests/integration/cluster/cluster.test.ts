/**
 * Three API instances (MES_ROLE=api) and a `mes worker` behind HAProxy on MariaDB and Redis, all
 * real processes from the build: plugin packages travel through the database, counters through
 * Redis, the worker runs subscribers and jobs, a rolling restart under load loses no request, and a
 * `kill -9` of an instance or of the worker under write load loses no acknowledged write, keeps the
 * audit chain and delivers every event (exactly once through an instance's death; a delivery in
 * flight when the worker dies may repeat). One cluster serves every check.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { MAX_EVENTS_PER_BATCH } from '../../../platform/src/events/micro-batcher';
import { buildPluginPackage } from '../../../platform/src/plugins/plugin-package';
import { CLUSTER_PASSWORD, runLoad, startCluster, waitFor, type Cluster } from '../../support/cluster';

const ROOT = resolve(__dirname, '..', '..', '..');
const run = promisify(execFile);

interface Envelope<T> {
  data: T;
}

describe('a cluster behind HAProxy', () => {
  let cluster: Cluster;
  let admin: string;
  let planner: string;
  let receiver: Server;
  let receiverUrl: string;
  /** Event ids in the order the receiver got them, with the time of each. */
  const received: string[] = [];
  const receivedAt: number[] = [];
  let packageDir: string;

  const call = (token: string, method: string, path: string, body?: unknown, base = cluster.url) =>
    fetch(`${base}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });

  let workOrderBody: Record<string, unknown>;

  beforeAll(async () => {
    receiver = createServer((request, response) => {
      const id = request.headers['x-mes-event-id'];
      request.resume();
      request.on('end', () => {
        if (typeof id !== 'string') return response.writeHead(400).end();
        received.push(id);
        receivedAt.push(Date.now());
        response.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    const address = receiver.address();
    receiverUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/hook`;
    cluster = await startCluster({ name: 'cluster', instances: 3, worker: true });
    admin = await cluster.login('admin');
    planner = await cluster.login('planner');
    const [row] = (await cluster.sql.query(
      'SELECT MIN(item_id) AS itemId, MIN(line_id) AS lineId FROM work_order',
    )) as unknown as [{ itemId: number; lineId: number }[]];
    workOrderBody = {
      itemId: Number(row[0].itemId),
      lineId: Number(row[0].lineId),
      plannedQuantity: 10,
      plannedStart: '2027-01-01T08:00:00.000Z',
    };
    packageDir = mkdtempSync(join(tmpdir(), 'mes-cluster-package-'));
  }, 240_000);

  afterAll(async () => {
    await cluster?.stop();
    await new Promise((r) => receiver?.close(r));
    if (packageDir) rmSync(packageDir, { recursive: true, force: true });
  }, 60_000);

  it('installs an uploaded plugin package on every instance from the database; the worker runs its subscriber and job', async () => {
    const built = await buildPluginPackage(join(ROOT, 'tests/fixtures/plugins/gadgets'), packageDir);
    const uploaded = await fetch(`${cluster.url}/api/admin/plugins?enable=true`, {
      method: 'POST',
      headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/gzip' },
      body: readFileSync(built.file),
    });
    expect(uploaded.status).toBe(201);
    const [stored] = (await cluster.sql.query(
      'SELECT plugin, version, LENGTH(archive) AS size FROM ext_plugin_package WHERE sha256 = ?',
      [built.sha256],
    )) as unknown as [{ plugin: string; version: string; size: number }[]];
    expect(stored).toEqual([{ plugin: 'gadgets', version: '1.0.0', size: readFileSync(built.file).length }]);

    // Each instance has a store of its own: the one that did not take the upload unpacks it from the database.
    for (const instance of cluster.instances) {
      await waitFor(
        `${instance.name} serving gadgets`,
        async () => {
          const response = await call(admin, 'POST', '/api/gadgets', { name: instance.name }, instance.url);
          return response.status === 201 ? response : null;
        },
        10_000,
      );
      const stats = (await (
        await call(admin, 'GET', '/api/plugins/gadgets/stats', undefined, instance.url)
      ).json()) as Envelope<{ events: string[]; jobRuns: number; afterWrites: number }>;
      // The after-hook runs in the request; the subscriber and the job do not run in an API instance.
      expect(stats.data).toMatchObject({ events: [], jobRuns: 0 });
      expect(stats.data.afterWrites).toBeGreaterThan(0);
    }
    // The worker delivered both gadgets' events to the plugin subscriber and ran the job.
    await waitFor(
      'the worker to run the subscriber',
      async () => {
        const [rows] = (await cluster.sql.query(
          "SELECT COUNT(*) AS n FROM evt_processed WHERE consumer = 'plugin:gadgets:gadget-log'",
        )) as unknown as [{ n: number }[]];
        return Number(rows[0].n) >= 2;
      },
      20_000,
    );
    await waitFor(
      'the worker to run the job',
      async () => {
        const [rows] = (await cluster.sql.query(
          "SELECT COUNT(*) AS n FROM evt_processed WHERE consumer LIKE 'plugin-job:%'",
        )) as unknown as [{ n: number }[]];
        return Number(rows[0].n) >= 1;
      },
      20_000,
    );
  }, 60_000);

  const login = (instance: { url: string }, username: string, password: string) =>
    fetch(`${instance.url}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username, password }),
    });

  it('locks a client out of an account after failures spread over the instances (counters in Redis)', async () => {
    // Five wrong passwords for the operator, on instances 1, 2, 3, 1, 2: instance 3 saw only one.
    const failures: number[] = [];
    for (let attempt = 0; attempt < 5; attempt++) {
      const response = await login(
        cluster.instances[attempt % cluster.instances.length],
        'operator',
        'wrong-password',
      );
      failures.push(response.status);
    }
    expect(failures).toEqual([401, 401, 401, 401, 401]);
    // The client's sixth attempt, with the right password, on the instance that saw one failure.
    const locked = await login(cluster.instances[2], 'operator', CLUSTER_PASSWORD);
    expect(locked.status).toBe(429);
    expect(locked.headers.get('retry-after')).toMatch(/^\d+$/);
  });

  it('draws login attempts of every instance from one rate-limit budget in Redis', async () => {
    let answered = 0;
    let limited = 0;
    for (let attempt = 0; attempt < 30; attempt++) {
      // A different account each time: the account lockout plays no part, only the per-client budget.
      const response = await login(
        cluster.instances[attempt % cluster.instances.length],
        `ghost-${attempt}`,
        'wrong-password',
      );
      if (response.status === 429) limited++;
      else answered++;
    }
    // MES_RATE_LIMIT_LOGIN=20 per client and minute for the cluster: counted per instance, each of
    // the three would have admitted all of its ten attempts.
    expect(answered).toBeLessThanOrEqual(20);
    expect(limited).toBeGreaterThanOrEqual(10);
  });

  it("follows, on every instance, a change of the Model, a plugin's state and a dashboard's data made on another one", async () => {
    // The Model: an extension field added through api1 is served by api2 and api3.
    const field = `cluster_sync_${process.pid}`;
    const added = await call(
      admin,
      'POST',
      '/api/admin/extensions/supplier_master/fields',
      { name: field, type: 'integer', label: { en: field } },
      cluster.instances[0].url,
    );
    expect(added.status).toBe(201);
    for (const instance of cluster.instances.slice(1))
      await waitFor(
        `${field} in the Model of ${instance.name}`,
        async () =>
          (
            await (
              await call(admin, 'GET', '/api/meta/entities/supplier_master', undefined, instance.url)
            ).text()
          ).includes(field),
        10_000,
      );

    // A plugin's state: disabled through api2, api1 and api3 stop serving its routes.
    const disabled = await call(
      admin,
      'POST',
      '/api/admin/plugins/gadgets/disable',
      {},
      cluster.instances[1].url,
    );
    expect(disabled.status).toBeLessThan(300);
    for (const instance of [cluster.instances[0], cluster.instances[2]])
      await waitFor(
        `gadgets gone from ${instance.name}`,
        async () => (await call(admin, 'GET', '/api/gadgets', undefined, instance.url)).status === 404,
        10_000,
      );

    // A dashboard widget's cached result on api3 (kept up to a minute unless invalidated): a work
    // order released through api1 reaches it through the worker's invalidation consumer and Redis.
    const activeOrders = async () => {
      const response = await call(
        admin,
        'GET',
        '/api/bi/dashboards/production',
        undefined,
        cluster.instances[2].url,
      );
      expect(response.status).toBe(200);
      const body = (await response.json()) as Envelope<{ widgets: { id: string; value?: number | null }[] }>;
      return Number(body.data.widgets.find((widget) => widget.id === 'active_work_orders')?.value);
    };
    const before = await activeOrders();
    expect(await activeOrders()).toBe(before);
    const created = await call(planner, 'POST', '/api/work-orders', workOrderBody, cluster.instances[0].url);
    expect(created.status).toBe(201);
    const order = ((await created.json()) as Envelope<{ id: number; version: number }>).data;
    const released = await call(
      planner,
      'POST',
      `/api/work-orders/${order.id}/actions/release`,
      { version: order.version },
      cluster.instances[0].url,
    );
    expect(released.status).toBeLessThan(300);
    await waitFor(
      "the released order on api3's dashboard",
      async () => (await activeOrders()) === before + 1,
      10_000,
    );
  }, 60_000);

  it('loses no request during a rolling restart under load', async () => {
    const restarts = (async () => {
      for (let index = 0; index < cluster.instances.length; index++) await cluster.restart(index);
    })();
    let turn = 0;
    const load = await runLoad(
      4,
      () =>
        turn++ % 2 === 0
          ? call(planner, 'POST', '/api/work-orders', workOrderBody)
          : call(planner, 'GET', '/api/work-orders?pageSize=5'),
      restarts,
    );
    expect(load.networkErrors).toBe(0);
    expect({ statuses: Object.keys(load.statuses).sort(), samples: load.samples }).toEqual({
      statuses: ['200', '201'],
      samples: {},
    });
    expect(load.acknowledged.length).toBeGreaterThan(0);
    expect(await cluster.backendStatus()).toEqual({ api1: 'UP', api2: 'UP', api3: 'UP' });
  }, 300_000);

  /**
   * Creates work orders under load while `fault` happens, then `recover`s: every acknowledged order
   * is stored and its event reaches the webhook.
   */
  const writeThrough = async (
    fault: () => Promise<void>,
    recover?: () => Promise<void>,
    deliveredWithinMs = 30_000,
  ) => {
    let faultedAt = 0;
    const faulted = (async () => {
      // Fixed times on purpose: the fault must strike half a second into steady load, with writes
      // in flight, and writes must go on a second after it; no condition marks either moment.
      await new Promise((r) => setTimeout(r, 500));
      await fault();
      faultedAt = Date.now();
      await new Promise((r) => setTimeout(r, 1000));
    })();
    const load = await runLoad(4, () => call(planner, 'POST', '/api/work-orders', workOrderBody), faulted);
    expect(load.acknowledged.length).toBeGreaterThan(0);
    // Only requests in flight on a killed instance fail (HAProxy answers 502 for them); nothing else.
    const { 502: _inFlightOnTheKilled, ...otherFailures } = load.samples;
    expect(otherFailures).toEqual({});
    const [rows] = (await cluster.sql.query('SELECT id FROM work_order WHERE id IN (?)', [
      load.acknowledged,
    ])) as unknown as [{ id: number }[]];
    expect(rows.map((r) => Number(r.id)).sort((a, b) => a - b)).toEqual(
      [...load.acknowledged].sort((a, b) => a - b),
    );
    const [events] = (await cluster.sql.query(
      "SELECT event_id AS id FROM evt_outbox WHERE event_type = 'work_order.created' AND entity_id IN (?)",
      [load.acknowledged.map(String)],
    )) as unknown as [{ id: string }[]];
    expect(events.length).toBe(load.acknowledged.length);
    await recover?.();
    await waitFor(
      'every event delivered',
      async () => events.every((e) => received.includes(e.id)),
      deliveredWithinMs,
    ).catch(async (error: Error) => {
      // Where the undelivered events stand in the outbox tells a lost publish from a slow consumer.
      const missing = events.filter((e) => !received.includes(e.id)).map((e) => e.id);
      const [rows] = await cluster.sql.query(
        'SELECT event_id, published_at, attempts, last_error, dead_at FROM evt_outbox WHERE event_id IN (?)',
        [missing],
      );
      throw new Error(
        `${error.message}; ${missing.length} of ${events.length} missing: ${JSON.stringify(rows)}`,
      );
    });
    const deliveries = (id: string) => received.filter((seen) => seen === id).length;
    const firstReceivedAt = (id: string) => receivedAt[received.indexOf(id)]!;
    return { load, events, deliveries, firstReceivedAt, faultedAt };
  };

  const expectIntactAuditChain = async (atLeast: number) => {
    const verified = await run(process.execPath, [join(ROOT, 'bin/mes.js'), 'audit', 'verify', '--json'], {
      cwd: ROOT,
      env: { ...process.env, DATABASE_URL: cluster.databaseUrl },
    });
    const report = JSON.parse(verified.stdout) as { records: number; problems: unknown[] };
    expect(report.problems).toEqual([]);
    expect(report.records).toBeGreaterThan(atLeast);
  };

  it('keeps every acknowledged write, the audit chain and once-only delivery through a kill -9 of an instance', async () => {
    const subscribed = await call(admin, 'POST', '/api/admin/webhooks', {
      eventType: 'work_order.created',
      url: receiverUrl,
    });
    expect(subscribed.status).toBe(201);
    const { load, events, deliveries } = await writeThrough(() => cluster.crash(0));
    expect(events.filter((e) => deliveries(e.id) !== 1)).toEqual([]);
    await expectIntactAuditChain(load.acknowledged.length);
  }, 120_000);

  it('delivers every event after a kill -9 of the worker in the middle of delivering them', async () => {
    // A new worker picks up where the killed one stopped; jobs the dead one held come back once
    // their lock (15 s) has lapsed and the stalled-job check (every 5 s) has found them.
    const { load, events, deliveries, firstReceivedAt, faultedAt } = await writeThrough(
      () => cluster.crashWorker(),
      () => cluster.startWorker(),
      60_000,
    );
    // Webhooks are delivered at least once (a receiver drops a repeat by its X-Mes-Event-Id): only
    // deliveries of the batch whose transaction the kill cut short may come again, once, never
    // the stream again.
    const repeated = events.filter((e) => deliveries(e.id) > 1);
    expect(repeated.filter((e) => deliveries(e.id) !== 2)).toEqual([]);
    expect(repeated.filter((e) => firstReceivedAt(e.id) > faultedAt)).toEqual([]);
    expect(repeated.length).toBeLessThanOrEqual(MAX_EVENTS_PER_BATCH);
    await expectIntactAuditChain(load.acknowledged.length);
  }, 240_000);

  it('runs no event consumer, rule or timer in an API instance: they wait for the worker, which runs them', async () => {
    await cluster.stopWorker();
    // An event for the webhook consumer, and a critical alert whose escalation timer is due at once.
    const created = await call(planner, 'POST', '/api/work-orders', workOrderBody);
    expect(created.status).toBe(201);
    const orderId = ((await created.json()) as Envelope<{ id: number }>).data.id;
    const raised = await call(admin, 'POST', '/api/alert-events', {
      alertType: 'QUALITY',
      severity: 'CRITICAL',
      title: `Cluster alarm ${process.pid}`,
      dedupKey: `cluster-alarm-${process.pid}`,
      firstOccurredAt: new Date().toISOString(),
      lastOccurredAt: new Date().toISOString(),
    });
    expect(raised.status).toBe(201);
    const alertId = ((await raised.json()) as Envelope<{ id: number }>).data.id;
    const escalation = async () => {
      const [rows] = (await cluster.sql.query(
        "SELECT status FROM auto_job WHERE rule = 'alert_escalation' AND record_id = ?",
        [String(alertId)],
      )) as unknown as [{ status: string }[]];
      return rows.map((row) => row.status);
    };
    expect(await escalation()).toEqual(['PENDING']);
    await cluster.sql.query(
      "UPDATE auto_job SET due_ms = 0 WHERE rule = 'alert_escalation' AND record_id = ? AND status = 'PENDING'",
      [String(alertId)],
    );
    // The API instances relay the event to Redis...
    const event = await waitFor(
      'the work order event relayed',
      async () => {
        const [rows] = (await cluster.sql.query(
          "SELECT event_id AS id FROM evt_outbox WHERE event_type = 'work_order.created' AND entity_id = ? AND published_at IS NOT NULL",
          [String(orderId)],
        )) as unknown as [{ id: string }[]];
        return rows[0]?.id;
      },
      10_000,
    );
    // ...but neither deliver it nor run the due timer, in several of a runner's polling rounds (500 ms).
    // A fixed time on purpose: what is asserted is that nothing happens during it, which no
    // condition can be awaited for.
    await new Promise((r) => setTimeout(r, 3000));
    expect(received).not.toContain(event);
    expect(await escalation()).toEqual(['PENDING']);
    await cluster.startWorker();
    await waitFor('the worker to deliver the event', async () => received.includes(event), 30_000);
    await waitFor('the worker to run the timer', async () => (await escalation())[0] === 'DONE', 30_000);
  }, 120_000);

  it('backs up with mes backup and restores into an empty database with the same counts, keys and audit chain', async () => {
    await cluster.stopWorker();
    const target = `mes_test_restore_${process.pid}`;
    const folder = join(packageDir, 'backup');
    const restoredKey = join(packageDir, 'restored', 'encryption.key');
    const mes = (args: string[], env: Record<string, string>) =>
      run(process.execPath, [join(ROOT, 'bin/mes.js'), ...args], {
        cwd: ROOT,
        env: { ...process.env, ...env },
      });
    const targetUrl = cluster.databaseUrl.replace(/\/[^/]+$/, `/${target}`);
    try {
      await mes(['backup', folder], cluster.env);
      const restored = await mes(['restore', folder], {
        ...cluster.env,
        DATABASE_URL: targetUrl,
        MES_ENCRYPTION_KEY_FILE: restoredKey,
      });
      expect(restored.stdout).toMatch(
        /with the counts of the backup; audit chain of \d+ record\(s\) verified/,
      );
      expect(readFileSync(restoredKey)).toEqual(readFileSync(cluster.env.MES_ENCRYPTION_KEY_FILE));
      const counts = async (schema: string) => {
        const [rows] = (await cluster.sql.query(
          `SELECT (SELECT COUNT(*) FROM \`${schema}\`.work_order) AS orders, (SELECT COUNT(*) FROM \`${schema}\`.audit_log) AS audits, (SELECT COUNT(*) FROM \`${schema}\`.ext_plugin_package) AS packages`,
        )) as unknown as [Record<string, number>[]];
        return rows[0];
      };
      const source = await counts(new URL(cluster.databaseUrl).pathname.slice(1));
      expect(await counts(target)).toEqual(source);
      expect(Number(source.orders)).toBeGreaterThan(0);
      // A second restore into the now populated database is refused.
      await expect(
        mes(['restore', folder], {
          ...cluster.env,
          DATABASE_URL: targetUrl,
          MES_ENCRYPTION_KEY_FILE: restoredKey,
        }),
      ).rejects.toThrow(/restore into an empty database/);
    } finally {
      await cluster.sql.query(`DROP DATABASE IF EXISTS \`${target}\``);
    }
  }, 120_000);
});
