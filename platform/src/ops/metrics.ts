/**
 * Prometheus exposition at `/metrics`: HTTP latency by route template and status, outbox queue depth
 * and lag, audit sealing backlog and lag, database pool use, the Model version, and the process (memory, CPU, event-loop delay, GC) from prom-client's default collectors.
 * The route is public to the router because it checks its own bearer token (`MES_METRICS_TOKEN`):
 * scrapers hold no user account. Without a token it is open outside production and refused in it.
 */
import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { EngineDatabase } from '../data/database';
import { deadOutboxCount, pendingOutbox } from '../events/outbox-store';
import { PUBLIC_ROUTE } from '../security/http/route-access';
import { OpsMetricsStore } from './ops-metrics-store';

export interface MetricsOptions {
  /** The bearer token scrapers send; null = none configured. */
  token: string | null;
  production: boolean;
  /** The database whose outbox, audit sealing and connection pool are measured. */
  database?: EngineDatabase;
  /** The Model in service (its version and hash are exported). */
  model?: () => { version: number; hash: string };
  /** Plugin handler faults since start, by plugin and kind (`error`, `timeout`). */
  pluginFaults?: () => { plugin: string; kind: string; count: number }[];
}

const STARTED_AT = Symbol('metricsStartedAt');
type TimedRequest = FastifyRequest & { [STARTED_AT]?: bigint };

export function registerMetrics(fastify: FastifyInstance, options: MetricsOptions): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const latency = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request duration by method, route template and status code',
    labelNames: ['method', 'route', 'status_code'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  fastify.addHook('onRequest', (request: TimedRequest, _reply, done) => {
    request[STARTED_AT] = process.hrtime.bigint();
    done();
  });
  fastify.addHook('onResponse', (request: TimedRequest, reply, done) => {
    const started = request[STARTED_AT];
    if (started !== undefined)
      latency.observe(
        {
          method: request.method,
          // The template, never the raw URL: ids in paths would make one series per record.
          route: request.routeOptions.url ?? 'unmatched',
          status_code: String(reply.statusCode),
        },
        Number(process.hrtime.bigint() - started) / 1e9,
      );
    done();
  });
  if (options.database) {
    registerOutboxGauges(registry, options.database);
    registerDatabaseGauges(registry, new OpsMetricsStore(options.database));
  }
  if (options.model) registerModelGauge(registry, options.model);
  if (options.pluginFaults) registerPluginFaults(registry, options.pluginFaults);

  fastify.get('/metrics', { config: PUBLIC_ROUTE }, async (request: FastifyRequest, reply: FastifyReply) => {
    const refusal = refuse(request, options);
    if (refusal) return reply.code(refusal.status).send({ code: refusal.code, message: refusal.message });
    return reply.header('content-type', registry.contentType).send(await registry.metrics());
  });
  return registry;
}

function refuse(
  request: FastifyRequest,
  options: MetricsOptions,
): { status: number; code: string; message: string } | null {
  if (options.token === null)
    return options.production
      ? { status: 403, code: 'FORBIDDEN', message: 'Metrics are off: set MES_METRICS_TOKEN' }
      : null;
  const header = request.headers.authorization ?? '';
  const sent = Buffer.from(header.startsWith('Bearer ') ? header.slice(7) : '');
  const expected = Buffer.from(options.token);
  if (sent.length === expected.length && timingSafeEqual(sent, expected)) return null;
  return { status: 401, code: 'UNAUTHORIZED', message: 'A valid metrics bearer token is required' };
}

/** Read at scrape time: the rows waiting for the relay and how long the oldest has waited. */
function registerOutboxGauges(registry: Registry, database: EngineDatabase): void {
  const pending = () => pendingOutbox(database.executor());
  new Gauge({
    name: 'mes_outbox_pending_events',
    help: 'Outbox events committed but not yet published',
    registers: [registry],
    async collect() {
      this.set((await pending()).count);
    },
  });
  new Gauge({
    name: 'mes_outbox_lag_seconds',
    help: 'Age of the oldest unpublished outbox event (0 when none waits)',
    registers: [registry],
    async collect() {
      const oldest = (await pending()).oldest;
      this.set(oldest ? Math.max(0, (Date.now() - utcMillis(oldest)) / 1000) : 0);
    },
  });
  new Gauge({
    name: 'mes_outbox_dead_events',
    help: 'Outbox events that exhausted their retries',
    registers: [registry],
    async collect() {
      this.set(await deadOutboxCount(database.executor()));
    },
  });
}

/** Audit sealing backlog and lag, and the MySQL connection pool. */
function registerDatabaseGauges(registry: Registry, store: OpsMetricsStore): void {
  new Gauge({
    name: 'mes_audit_unsealed_records',
    help: 'Audit records written but not yet sealed into the hash chain',
    registers: [registry],
    async collect() {
      this.set((await store.unsealedAudit()).count);
    },
  });
  new Gauge({
    name: 'mes_audit_sealing_lag_seconds',
    help: 'Age of the oldest unsealed audit record (0 when none waits)',
    registers: [registry],
    async collect() {
      const { oldest } = await store.unsealedAudit();
      this.set(oldest ? Math.max(0, (Date.now() - utcMillis(oldest)) / 1000) : 0);
    },
  });
  new Gauge({
    name: 'mes_db_pool_connections',
    help: 'Database pool connections by state (used, idle) and the pool limit (MySQL)',
    labelNames: ['state'],
    registers: [registry],
    collect() {
      const usage = store.poolUsage();
      if (!usage) return;
      this.set({ state: 'used' }, usage.total - usage.idle);
      this.set({ state: 'idle' }, usage.idle);
      this.set({ state: 'limit' }, usage.limit);
    },
  });
}

function registerModelGauge(registry: Registry, model: () => { version: number; hash: string }): void {
  new Gauge({
    name: 'mes_model_version',
    help: 'Version of the metadata Model in service, labelled with its content hash',
    labelNames: ['hash'],
    registers: [registry],
    collect() {
      const current = model();
      this.reset();
      this.set({ hash: current.hash }, current.version);
    },
  });
}

/** Stored datetimes are UTC wall clock (text on SQLite, a local-time Date from mysql2). */
function utcMillis(value: unknown): number {
  if (value instanceof Date)
    return Date.UTC(
      value.getFullYear(),
      value.getMonth(),
      value.getDate(),
      value.getHours(),
      value.getMinutes(),
      value.getSeconds(),
      value.getMilliseconds(),
    );
  return Date.parse(`${String(value).replace(' ', 'T')}Z`);
}

/**
 * Faults of plugin hooks, subscribers, routes and jobs (thrown errors other than the plugin's own
 * 4xx answers, and time-outs), by plugin and kind: read from the plugin runtime's running totals at
 * scrape time, so the counter keeps counting across a plugin's reloads.
 */
function registerPluginFaults(
  registry: Registry,
  faults: () => { plugin: string; kind: string; count: number }[],
): void {
  new Counter({
    name: 'mes_plugin_faults_total',
    help: 'Plugin handler faults (errors and time-outs) since the process started, by plugin',
    labelNames: ['plugin', 'kind'],
    registers: [registry],
    collect() {
      this.reset();
      for (const { plugin, kind, count } of faults()) this.inc({ plugin, kind }, count);
    },
  });
}
