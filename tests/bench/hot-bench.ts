/**
 * Hot metadata changes across instances on MariaDB + Redis. Two platform instances share one
 * database; A makes the changes, B serves. Reports (1) propagation latency p50/p99 over 50 extension
 * field changes made on A until B's Model has them, and (2) failed core requests on B under autocannon
 * load while plugins are installed, upgraded and uninstalled on A (target: zero): gauges (metadata
 * only) and gadgets (with server code: hooks, a route, a subscriber and a job, loaded on A and B).
 * Run: npm run bench:hot  (REDIS_URL default redis://127.0.0.1:6379).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import autocannon from 'autocannon';
import { createConnection } from 'mysql2/promise';
import { startServer, type RunningServer } from '../../platform/src/bootstrap/start-server';
import { percentile, round } from './bench-database';

const CHANGES = 50;
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const DATABASE = `mes_bench_hot_${process.pid}`;
const FIXTURES = join(process.cwd(), 'tests', 'fixtures');
/** Shared by both instances, like the store of a cluster. */
const PLUGIN_STORE = mkdtempSync(join(tmpdir(), 'mes-bench-hot-'));

const quiet = new Writable({ write: (_chunk, _encoding, done) => done() });

function boot(listen: boolean): Promise<RunningServer> {
  return startServer({
    env: {
      DATABASE_URL: `mysql://root@127.0.0.1:3306/${DATABASE}`,
      REDIS_URL,
      SEED_DEMO: 'false',
      LOG_LEVEL: 'error',
      MES_AUTH: 'off',
      // autocannon keeps sending on a connection Node closed after its request limit (503s); browsers reconnect.
      HTTP_MAX_REQUESTS_PER_SOCKET: '0',
      PORT: '0',
      PLUGIN_STORE_DIR: PLUGIN_STORE,
    },
    listen,
    logDestination: quiet,
  });
}

/** Resolves when B's Model has `field` on supplier_master; returns the ms since `started`. */
function arrival(b: RunningServer, field: string, started: number): Promise<number> {
  return new Promise((resolve) => {
    const has = () => b.registry.current().entities.get('supplier_master')?.fieldsByName.has(field) === true;
    if (has()) return resolve(performance.now() - started);
    const unsubscribe = b.registry.subscribe(() => {
      if (!has()) return;
      unsubscribe();
      resolve(performance.now() - started);
    });
  });
}

async function expectOk(server: RunningServer, method: 'POST' | 'DELETE', url: string, payload?: object) {
  const response = await server.app.inject({ method, url, ...(payload ? { payload } : {}) });
  if (response.statusCode >= 300)
    throw new Error(`${method} ${url}: ${response.statusCode} ${response.body}`);
}

async function main(): Promise<void> {
  const a = await boot(false);
  const b = await boot(true);
  try {
    const latencies: number[] = [];
    for (let i = 0; i < CHANGES; i++) {
      const name = `bench_field_${i}`;
      const started = performance.now();
      const arrived = arrival(b, name, started);
      await expectOk(a, 'POST', '/api/admin/extensions/supplier_master/fields', {
        name,
        type: 'integer',
        label: { en: name },
      });
      latencies.push(await arrived);
    }

    const load = autocannon({ url: `${b.url}/api/suppliers`, connections: 16, duration: 20 });
    const gauges = join(FIXTURES, 'plugins', 'gauges');
    const gaugesV2 = join(FIXTURES, 'plugins-v2', 'gauges');
    const gadgets = join(FIXTURES, 'plugins', 'gadgets');
    let cycles = 0;
    const started = Date.now();
    while (Date.now() - started < 17_000) {
      await expectOk(a, 'POST', '/api/admin/plugins', { source: gauges, enable: true });
      await expectOk(a, 'POST', '/api/admin/plugins', { source: gadgets, enable: true });
      await expectOk(a, 'POST', '/api/admin/plugins/gauges/upgrade', { source: gaugesV2 });
      await expectOk(a, 'DELETE', '/api/admin/plugins/gadgets?dropData=true');
      await expectOk(a, 'DELETE', '/api/admin/plugins/gauges?dropData=true');
      cycles++;
    }
    const result = await load;
    const sorted = [...latencies].sort((x, y) => x - y);
    const report = {
      propagation: {
        changes: CHANGES,
        p50Ms: round(percentile(sorted, 0.5)),
        p99Ms: round(percentile(sorted, 0.99)),
        maxMs: round(Math.max(...latencies)),
      },
      coreUnderPluginChurn: {
        installUpgradeUninstallCycles: cycles,
        requests: result.requests.total,
        failed: result.non2xx + result.errors + result.timeouts,
        p99LatencyMs: result.latency.p99,
      },
    };
    console.log(JSON.stringify(report, null, 2));
  } finally {
    await a.close();
    await b.close();
    const connection = await createConnection({ host: '127.0.0.1', port: 3306, user: 'root' });
    await connection.query(`DROP DATABASE IF EXISTS \`${DATABASE}\``);
    await connection.end();
    rmSync(PLUGIN_STORE, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
