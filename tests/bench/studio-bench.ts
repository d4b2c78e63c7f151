/**
 * `npm run bench:studio`: the Metadata Studio at scale on MariaDB + Redis, with auth on. Two
 * platform instances share one database; the analyst drafts and the reviewer publishes on A, B
 * serves. Reports:
 *  1. composing core + 200 studio entities (POST /api/studio/validate: validate, compile, diff),
 *     as a ratio to composing core alone in the same run (target: < 1.5 s);
 *  2. publishing those 200 entities (200 tables) in one change set;
 *  3. small publishes (one entity each): publish latency on A and propagation from the publish
 *     call on A until B serves the new entity, p50/p99 (target p99 < 1 s); and the same from the
 *     start of drafting (draft, submit, publish); how many of B's Models it took as validated by A;
 *  4. reads on B (autocannon, bearer token) while A publishes, against the same reads without
 *     publishes: failed requests (target 0) and the throughput ratio;
 *  5. B's heap after a GC following the first and the last small publish (old Models released).
 * Run: npm run bench:studio  (REDIS_URL default redis://127.0.0.1:6379).
 */
import { Writable } from 'node:stream';
import autocannon from 'autocannon';
import { createConnection } from 'mysql2/promise';
import { startServer, type RunningServer } from '../../platform/src/bootstrap/start-server';
import { EngineDatabase } from '../../platform/src/data/database';
import { seedDemoSecurity } from '../../platform/src/security/demo-seed';
import { percentile, round } from './bench-database';

const ENTITIES = Number(process.env.BENCH_STUDIO_ENTITIES ?? 200);
const SMALL_PUBLISHES = Number(process.env.BENCH_STUDIO_PUBLISHES ?? 20);
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const DATABASE = `mes_bench_studio_${process.pid}`;
const PASSWORD = 'Bench-Passw0rd!';
const quiet = new Writable({ write: (_chunk, _encoding, done) => done() });

function boot(listen: boolean): Promise<RunningServer> {
  return startServer({
    env: {
      ...process.env,
      DATABASE_URL: `mysql://root@127.0.0.1:3306/${DATABASE}`,
      REDIS_URL,
      QUEUE_PREFIX: `bench-studio-${process.pid}`,
      SEED_DEMO: 'false',
      LOG_LEVEL: 'error',
      MES_JWT_SECRET: 'bench-jwt-secret-0123456789abcdefghij',
      MES_RATE_LIMIT_API: '100000000',
      // autocannon keeps sending on a connection Node closed after its request limit (503s); browsers reconnect.
      HTTP_MAX_REQUESTS_PER_SOCKET: '0',
      AUTOMATION_RUNNER: 'off',
      PORT: '0',
    },
    listen,
    logDestination: quiet,
  });
}

/** A studio entity with the field types an analyst uses most. */
function entity(name: string): Record<string, unknown> {
  const label = { en: name, zh: name };
  return {
    entity: name,
    label,
    module: 'quality',
    database: 'core',
    display: 'title',
    fields: {
      title: { type: 'string', length: 120, required: true, label },
      quantity: { type: 'integer', min: 0, label },
      amount: { type: 'decimal', precision: 18, scale: 4, label },
      due_date: { type: 'date', label },
      level: { type: 'enum', values: ['LOW', 'HIGH'], default: 'LOW', label },
      remark: { type: 'text', maxLength: 2000, label },
    },
    list: { columns: ['title', 'quantity', 'level'], filters: ['level'], search: ['title'] },
  };
}

async function main(): Promise<void> {
  const a = await boot(false);
  const b = await boot(true);
  try {
    await seedDemoSecurity(new EngineDatabase(a.dataSource), a.registry.current(), 'DEMO', {
      MES_DEMO_PASSWORD: PASSWORD,
    });
    const token = async (username: string) => {
      const login = await a.app.inject({
        method: 'POST',
        url: '/api/auth/login',
        payload: { username, password: PASSWORD },
      });
      return (login.json().data as { accessToken: string }).accessToken;
    };
    const bearer = { analyst: await token('analyst'), reviewer: await token('reviewer') };
    const admin = await token('admin');
    const call = async (as: keyof typeof bearer, method: 'GET' | 'POST', url: string, payload?: object) => {
      const response = await a.app.inject({
        method,
        url,
        ...(payload ? { payload } : {}),
        headers: { authorization: `Bearer ${bearer[as]}` },
      });
      if (response.statusCode >= 300)
        throw new Error(`${method} ${url}: ${response.statusCode} ${response.body}`);
      return response.json().data as Record<string, unknown>;
    };
    const timed = async <T>(work: () => Promise<T>): Promise<[T, number]> => {
      const started = performance.now();
      const result = await work();
      return [result, performance.now() - started];
    };
    /**
     * Drafts, submits and publishes on A; resolves with the publish call's latency. `publishing` is
     * called just before the publish call.
     */
    const publish = async (title: string, content: object, publishing?: () => void): Promise<number> => {
      const draft = await call('analyst', 'POST', '/api/studio/change-sets', { title, content });
      const submitted = (await call(
        'analyst',
        'POST',
        `/api/studio/change-sets/${String(draft.id)}/actions/submit`,
        {
          version: draft.version,
        },
      )) as { record: { version: number } };
      publishing?.();
      const [, ms] = await timed(() =>
        call('reviewer', 'POST', `/api/studio/change-sets/${String(draft.id)}/publish`, {
          version: submitted.record.version,
        }),
      );
      return ms;
    };
    const arrival = (name: string, started: number) =>
      new Promise<number>((resolve) => {
        const has = () => b.registry.current().entities.has(name);
        if (has()) return resolve(performance.now() - started);
        const unsubscribe = b.registry.subscribe(() => {
          if (!has()) return;
          unsubscribe();
          resolve(performance.now() - started);
        });
      });

    // 1. Composing: core alone, then core + 200 studio entities (best of 3 each).
    const many = { documents: Array.from({ length: ENTITIES }, (_, i) => entity(`bench_entity_${i}`)) };
    const compose = async (content: object) => {
      const times: number[] = [];
      for (let i = 0; i < 3; i++) {
        const [check, ms] = await timed(() => call('analyst', 'POST', '/api/studio/validate', { content }));
        if (!check.valid) throw new Error(`does not validate: ${JSON.stringify(check.errors).slice(0, 500)}`);
        times.push(ms);
      }
      return Math.min(...times);
    };
    const coreOnly = await compose({ documents: [] });
    const withStudio = await compose(many);

    // 2. Publishing the 200 entities in one change set.
    const started = performance.now();
    const arrived = arrival(`bench_entity_${ENTITIES - 1}`, started);
    const bigPublish = await publish(`${ENTITIES} entities`, many);
    const bigArrival = await arrived;

    // 3. Small publishes; 4. under read load on B; 5. B's heap.
    const reads = `${b.url}/api/suppliers?pageSize=20`;
    const headers = { authorization: `Bearer ${admin}` };
    const baseline = await autocannon({ url: reads, headers, connections: 8, duration: 10 });
    const gc = (globalThis as { gc?: () => void }).gc;
    const heap = () => {
      gc?.();
      return process.memoryUsage().heapUsed / 1024 / 1024;
    };
    const load = autocannon({ url: reads, headers, connections: 8, duration: 10 + SMALL_PUBLISHES });
    const publishes: number[] = [];
    const propagations: number[] = [];
    const fromDrafts: number[] = [];
    let heapFirst = 0;
    for (let i = 0; i < SMALL_PUBLISHES; i++) {
      const name = `bench_small_${i}`;
      const drafted = performance.now();
      let published = drafted;
      const seen = arrival(name, drafted);
      publishes.push(
        await publish(name, { documents: [entity(name)] }, () => (published = performance.now())),
      );
      const fromDraft = await seen;
      fromDrafts.push(fromDraft);
      propagations.push(fromDraft - (published - drafted));
      if (i === 0) heapFirst = heap();
    }
    const heapLast = heap();
    const underPublish = await load;
    const p = (values: number[], f: number) =>
      round(
        percentile(
          [...values].sort((x, y) => x - y),
          f,
        ),
      );
    const failed = (r: autocannon.Result) => r.non2xx + r.errors + r.timeouts;
    console.log(
      JSON.stringify(
        {
          compose: {
            entities: b.registry.current().entities.size,
            coreOnlyMs: round(coreOnly),
            coreWithStudioEntitiesMs: round(withStudio),
            studioEntities: ENTITIES,
            ratioToCoreOnly: round(withStudio / coreOnly, 2),
          },
          publishBig: {
            entities: ENTITIES,
            publishMs: round(bigPublish),
            secondInstanceServesMs: round(bigArrival),
          },
          publishSmall: {
            publishes: SMALL_PUBLISHES,
            publishP50Ms: p(publishes, 0.5),
            publishP99Ms: p(publishes, 0.99),
            propagationP50Ms: p(propagations, 0.5),
            propagationP99Ms: p(propagations, 0.99),
            fromDraftP50Ms: p(fromDrafts, 0.5),
            fromDraftP99Ms: p(fromDrafts, 0.99),
            // Models B served as validated by A (same hash), without validating them again.
            trustedOnSecondInstance: b.plugins.trustedCompositions,
          },
          readsOnSecondInstance: {
            baselineRps: round(baseline.requests.average),
            duringPublishesRps: round(underPublish.requests.average),
            throughputRatio: round(underPublish.requests.average / baseline.requests.average, 2),
            baselineP99Ms: baseline.latency.p99,
            duringPublishesP99Ms: underPublish.latency.p99,
            failedDuringPublishes: failed(underPublish),
            statusCodesDuringPublishes: underPublish.statusCodeStats,
            failedBaseline: failed(baseline),
          },
          heapMb: gc
            ? { afterFirstPublish: round(heapFirst), afterLastPublish: round(heapLast) }
            : 'run with --expose-gc',
        },
        null,
        2,
      ),
    );
  } finally {
    await a.close();
    await b.close();
    const connection = await createConnection({ host: '127.0.0.1', port: 3306, user: 'root' });
    await connection.query(`DROP DATABASE IF EXISTS \`${DATABASE}\``);
    await connection.end();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
