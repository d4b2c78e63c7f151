/**
 * The production manager's home dashboard (plant overview) on the demo plant, through the HTTP
 * pipeline (Fastify inject: authentication, authorization, envelope), with the widget cache cold and
 * warm. Cold: before each request every entity the dashboard reads is announced as changed, as a
 * committed change would, so each widget is computed afresh; warm: the same request again. Reports
 * p50/p99 of the whole request and of each widget (the time the dashboard service spends on it,
 * taken around its cached read).
 * Run: npm run bench:dashboard  (BENCH_DASHBOARD_SAMPLES sets the samples per mode, default 50;
 * DATABASE_URL selects the database, default a fresh SQLite file; BENCH_DASHBOARD_PLANT=1 sets the
 * plant filter, so buckets are cut in the plant's time zone).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { DEMO_PLANT } from '../../database/seeds/demo-plant';
import { entitiesRead } from '../../platform/src/bi/dashboard-invalidation';
import { DashboardService } from '../../platform/src/bi/dashboard-service';
import { WIDGET_CACHE } from '../../platform/src/bi/http/tokens';
import type { WidgetCache } from '../../platform/src/bi/widget-cache';
import { startServer } from '../../platform/src/bootstrap/start-server';
import { percentile, round } from './bench-database';

const SAMPLES = Number(process.env.BENCH_DASHBOARD_SAMPLES ?? 50);
const PASSWORD = 'Bench-Passw0rd!';
const quiet = new Writable({ write: (_chunk, _encoding, done) => done() });

type Timed = (...args: unknown[]) => Promise<unknown>;

async function main(): Promise<void> {
  const workDir = mkdtempSync(join(tmpdir(), 'mes-dashboard-bench-'));
  const server = await startServer({
    env: {
      DATABASE_URL: process.env.DATABASE_URL ?? `sqlite:${join(workDir, 'mes.sqlite')}`,
      MES_FILES_DIR: join(workDir, 'files'),
      MES_DEMO_PASSWORD: PASSWORD,
      MES_JWT_SECRET: 'jwt-secret-for-the-dashboard-bench-0123456789',
      LOG_LEVEL: 'warn',
      REDIS_URL: '',
    },
    listen: false,
    logDestination: quiet,
    demoPlant: DEMO_PLANT,
  });
  try {
    const cache = server.app.get<symbol, WidgetCache>(WIDGET_CACHE, { strict: false });
    const model = server.registry.current();
    const dashboard = model.dashboards.get('plant_overview')!;
    const entities = [...entitiesRead(dashboard, model), 'production_line', 'plant', 'shift', 'calendar'];

    // Time spent on each widget: around the service's cached read (a computation when cold).
    const perWidget = new Map<string, number[]>();
    const prototype = DashboardService.prototype as unknown as Record<string, Timed>;
    const cached = prototype.cached;
    prototype.cached = async function (this: unknown, ...args: unknown[]) {
      const started = performance.now();
      try {
        return await cached.apply(this, args);
      } finally {
        const id = (args[1] as { id: string }).id;
        perWidget.set(id, [...(perWidget.get(id) ?? []), performance.now() - started]);
      }
    };

    const login = await server.app.inject({
      method: 'POST',
      url: '/api/auth/login',
      payload: { username: 'manager', password: PASSWORD },
    });
    const token = (login.json() as { data: { accessToken: string } }).data.accessToken;
    let query = '';
    if (process.env.BENCH_DASHBOARD_PLANT === '1') {
      const plants = await server.app.inject({
        method: 'GET',
        url: '/api/plants?pageSize=1&fields=id',
        headers: { authorization: `Bearer ${token}` },
      });
      query = `?plant=${(plants.json() as { data: { items: { id: number }[] } }).data.items[0].id}`;
    }
    const request = async () => {
      const started = performance.now();
      const response = await server.app.inject({
        method: 'GET',
        url: `/api/bi/dashboards/plant_overview${query}`,
        headers: { authorization: `Bearer ${token}` },
      });
      const elapsed = performance.now() - started;
      if (response.statusCode !== 200) throw new Error(`${response.statusCode}: ${response.body}`);
      const errors = (
        response.json() as { data: { widgets: { id: string; error?: unknown }[] } }
      ).data.widgets
        .filter((w) => w.error)
        .map((w) => w.id);
      if (errors.length > 0) throw new Error(`widgets failed: ${errors.join(', ')}`);
      return elapsed;
    };
    const run = async (mode: 'cold' | 'warm') => {
      perWidget.clear();
      const totals: number[] = [];
      for (let i = 0; i < SAMPLES; i++) {
        if (mode === 'cold') for (const entity of entities) cache.changed('DEMO', entity);
        else if (i === 0) await request(); // fills the cache
        totals.push(await request());
      }
      if (mode === 'warm') for (const times of perWidget.values()) times.shift();
      const stats = (times: number[]) => {
        const sorted = [...times].sort((a, b) => a - b);
        return { p50: round(percentile(sorted, 0.5), 2), p99: round(percentile(sorted, 0.99), 2) };
      };
      console.log(`\n${mode} cache, ${SAMPLES} requests as the production manager`);
      console.table({
        'dashboard request': stats(totals),
        ...Object.fromEntries([...perWidget].map(([id, times]) => [id, stats(times)])),
      });
    };
    await request(); // first use: statements prepared, Model caches built
    await run('cold');
    await run('warm');
  } finally {
    await server.close();
    rmSync(workDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
