import { WebhookTargetPolicy } from '../events/webhook-targets';

/**
 * Server configuration read once from the environment at startup. Every setting has a default so
 * `npm start` with no configuration runs on an embedded SQLite file.
 */
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
/** `auto`: pretty-printed at a development terminal, JSON lines everywhere else. */
export type LogFormat = 'auto' | 'json' | 'pretty';

export interface AppConfig {
  port: number;
  host: string;
  /** `sqlite:<path>`, `sqlite::memory:` or `mysql://user:pass@host:port/db`. */
  databaseUrl: string;
  /** Connection pool size for MySQL. */
  dbPoolSize: number;
  /** Optional; enables Redis-backed events and readiness checks. */
  redisUrl: string | null;
  logLevel: LogLevel;
  logFormat: LogFormat;
  /** Largest accepted JSON body in bytes. */
  bodyLimit: number;
  /** Largest accepted import file in bytes. */
  importLimit: number;
  /** Seed the demo plant when the database is empty. */
  seedDemo: boolean;
  /** Tenant of a login that names none, and of development requests (`MES_AUTH=off`) without `X-Tenant-ID`. */
  defaultTenant: string;
  /** Milliseconds to wait for in-flight requests on SIGTERM before exiting anyway. */
  shutdownTimeoutMs: number;
  /**
   * Milliseconds between readiness turning 503 on SIGTERM and the listener closing, so a load
   * balancer's health check takes the instance out of rotation before connections are refused.
   */
  shutdownDrainMs: number;
  /** Internal hosts, addresses or CIDR ranges webhooks may target (MES_WEBHOOK_ALLOW_HOSTS). */
  webhookAllowHosts: readonly string[];
  http: HttpLimits;
  /**
   * Which proxies' `X-Forwarded-For` names the client (Fastify `trustProxy`): `false` none, `true`
   * any, a number of hops, or addresses and CIDR ranges.
   */
  trustProxy: TrustProxy;
}

export type TrustProxy = boolean | number | string[];

/** Bounds on slow or idle clients, so trickled requests cannot hold connections open. */
export interface HttpLimits {
  /** Milliseconds to receive a whole request, headers and body; then 408 and the connection closes. */
  requestTimeoutMs: number;
  /** Milliseconds to receive the request headers. */
  headersTimeoutMs: number;
  /** Milliseconds a socket may stay inactive (nothing received or sent) before it is closed. */
  connectionTimeoutMs: number;
  /** Milliseconds an idle keep-alive connection waits for its next request. */
  keepAliveTimeoutMs: number;
  /** Open connections per instance; further ones are closed as they arrive. */
  maxConnections: number;
  /** Requests served over one keep-alive connection before it is closed; 0 = no limit. */
  maxRequestsPerSocket: number;
}

export const DEFAULT_CONFIG: AppConfig = {
  port: 8080,
  host: '0.0.0.0',
  databaseUrl: 'sqlite:./data/mes.sqlite',
  dbPoolSize: 10,
  redisUrl: null,
  logLevel: 'info',
  logFormat: 'auto',
  bodyLimit: 1024 * 1024,
  importLimit: 20 * 1024 * 1024,
  seedDemo: true,
  defaultTenant: 'DEMO',
  shutdownTimeoutMs: 10_000,
  shutdownDrainMs: 0,
  webhookAllowHosts: [],
  http: {
    requestTimeoutMs: 60_000,
    headersTimeoutMs: 10_000,
    connectionTimeoutMs: 120_000,
    // Above the idle timeout of common load balancers (60 s), so they never reuse a closed connection.
    keepAliveTimeoutMs: 72_000,
    maxConnections: 10_000,
    maxRequestsPerSocket: 1_000,
  },
  trustProxy: false,
};

const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
const LOG_FORMATS: readonly LogFormat[] = ['auto', 'json', 'pretty'];

/** Reads the configuration; throws naming the variable when a value is present but invalid. */
export function loadAppConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const logLevel = (env.LOG_LEVEL ?? DEFAULT_CONFIG.logLevel).toLowerCase();
  if (!LOG_LEVELS.includes(logLevel as LogLevel)) {
    throw new Error(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}; got '${env.LOG_LEVEL}'`);
  }
  const logFormat = (env.LOG_FORMAT?.trim() || DEFAULT_CONFIG.logFormat).toLowerCase();
  if (!LOG_FORMATS.includes(logFormat as LogFormat)) {
    throw new Error(`LOG_FORMAT must be one of ${LOG_FORMATS.join(', ')}; got '${env.LOG_FORMAT}'`);
  }
  return {
    port: integer(env, 'PORT', DEFAULT_CONFIG.port, 0, 65535),
    host: env.HOST?.trim() || DEFAULT_CONFIG.host,
    databaseUrl: env.DATABASE_URL?.trim() || DEFAULT_CONFIG.databaseUrl,
    dbPoolSize: integer(env, 'DB_POOL_SIZE', DEFAULT_CONFIG.dbPoolSize, 1, 1000),
    redisUrl: env.REDIS_URL?.trim() || null,
    logLevel: logLevel as LogLevel,
    logFormat: logFormat as LogFormat,
    bodyLimit: integer(env, 'BODY_LIMIT', DEFAULT_CONFIG.bodyLimit, 1024, 1024 ** 3),
    importLimit: integer(env, 'IMPORT_LIMIT', DEFAULT_CONFIG.importLimit, 1024, 1024 ** 3),
    seedDemo: boolean(env, 'SEED_DEMO', DEFAULT_CONFIG.seedDemo),
    defaultTenant: env.DEFAULT_TENANT?.trim() || DEFAULT_CONFIG.defaultTenant,
    shutdownTimeoutMs: integer(env, 'SHUTDOWN_TIMEOUT_MS', DEFAULT_CONFIG.shutdownTimeoutMs, 0, 600_000),
    shutdownDrainMs: integer(env, 'SHUTDOWN_DRAIN_MS', DEFAULT_CONFIG.shutdownDrainMs, 0, 600_000),
    webhookAllowHosts: WebhookTargetPolicy.fromEnv(env).entries,
    http: loadHttpLimits(env),
    trustProxy: trustProxy(env),
  };
}

/** TRUST_PROXY: `true`/`false`, a hop count, or a comma-separated list of addresses and CIDR ranges. */
function trustProxy(env: NodeJS.ProcessEnv): TrustProxy {
  const raw = env.TRUST_PROXY?.trim();
  if (!raw) return DEFAULT_CONFIG.trustProxy;
  const lower = raw.toLowerCase();
  if (lower === 'true') return true;
  if (lower === 'false') return false;
  if (/^\d+$/.test(raw)) return Number(raw);
  const entries = raw.split(',').map((entry) => entry.trim());
  if (entries.some((entry) => !/^[0-9A-Fa-f.:]+(\/\d{1,3})?$/.test(entry)))
    throw new Error(
      `TRUST_PROXY must be true, false, a hop count or comma-separated addresses/CIDR ranges; got '${raw}'`,
    );
  return entries;
}

function loadHttpLimits(env: NodeJS.ProcessEnv): HttpLimits {
  const defaults = DEFAULT_CONFIG.http;
  const limits: HttpLimits = {
    requestTimeoutMs: integer(env, 'HTTP_REQUEST_TIMEOUT_MS', defaults.requestTimeoutMs, 100, 3_600_000),
    headersTimeoutMs: integer(env, 'HTTP_HEADERS_TIMEOUT_MS', defaults.headersTimeoutMs, 100, 3_600_000),
    connectionTimeoutMs: integer(
      env,
      'HTTP_CONNECTION_TIMEOUT_MS',
      defaults.connectionTimeoutMs,
      100,
      3_600_000,
    ),
    keepAliveTimeoutMs: integer(
      env,
      'HTTP_KEEP_ALIVE_TIMEOUT_MS',
      defaults.keepAliveTimeoutMs,
      100,
      3_600_000,
    ),
    maxConnections: integer(env, 'HTTP_MAX_CONNECTIONS', defaults.maxConnections, 1, 1_000_000),
    maxRequestsPerSocket: integer(
      env,
      'HTTP_MAX_REQUESTS_PER_SOCKET',
      defaults.maxRequestsPerSocket,
      0,
      1_000_000,
    ),
  };
  // Node refuses a headers timeout longer than the request timeout.
  if (limits.headersTimeoutMs > limits.requestTimeoutMs)
    throw new Error(
      `HTTP_HEADERS_TIMEOUT_MS (${limits.headersTimeoutMs}) must not exceed HTTP_REQUEST_TIMEOUT_MS (${limits.requestTimeoutMs})`,
    );
  return limits;
}

function integer(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name]?.trim();
  if (!raw) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new Error(`${name} must be an integer between ${min} and ${max}; got '${raw}'`);
  }
  return value;
}

function boolean(env: NodeJS.ProcessEnv, name: string, fallback: boolean): boolean {
  const raw = env[name]?.trim().toLowerCase();
  if (!raw) return fallback;
  if (['1', 'true', 'yes', 'on'].includes(raw)) return true;
  if (['0', 'false', 'no', 'off'].includes(raw)) return false;
  throw new Error(`${name} must be true or false; got '${env[name]}'`);
}
