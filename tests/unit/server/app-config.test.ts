import { DEFAULT_CONFIG, loadAppConfig } from '../../../platform/src/config/app-config';

describe('loadAppConfig', () => {
  it('runs with no configuration at all', () => {
    expect(loadAppConfig({})).toEqual(DEFAULT_CONFIG);
    expect(DEFAULT_CONFIG).toMatchObject({
      port: 8080,
      databaseUrl: 'sqlite:./data/mes.sqlite',
      redisUrl: null,
      defaultTenant: 'DEMO',
    });
  });

  it('reads every variable', () => {
    const config = loadAppConfig({
      PORT: '9000',
      DATABASE_URL: 'mysql://root@db:3306/mes',
      DB_POOL_SIZE: '30',
      REDIS_URL: 'redis://cache:6379',
      LOG_LEVEL: 'WARN',
      LOG_FORMAT: 'json',
      BODY_LIMIT: '2048',
      SEED_DEMO: 'no',
      DEFAULT_TENANT: 'ACME',
      HTTP_REQUEST_TIMEOUT_MS: '30000',
      HTTP_HEADERS_TIMEOUT_MS: '5000',
      HTTP_CONNECTION_TIMEOUT_MS: '90000',
      HTTP_KEEP_ALIVE_TIMEOUT_MS: '65000',
      HTTP_MAX_CONNECTIONS: '500',
      HTTP_MAX_REQUESTS_PER_SOCKET: '0',
    });
    expect(config.http).toEqual({
      requestTimeoutMs: 30_000,
      headersTimeoutMs: 5_000,
      connectionTimeoutMs: 90_000,
      keepAliveTimeoutMs: 65_000,
      maxConnections: 500,
      maxRequestsPerSocket: 0,
    });
    expect(config).toMatchObject({
      port: 9000,
      dbPoolSize: 30,
      redisUrl: 'redis://cache:6379',
      logLevel: 'warn',
      logFormat: 'json',
      bodyLimit: 2048,
      seedDemo: false,
      defaultTenant: 'ACME',
    });
  });

  it('reads TRUST_PROXY as a switch, a hop count or addresses', () => {
    expect(loadAppConfig({}).trustProxy).toBe(false);
    expect(loadAppConfig({ TRUST_PROXY: 'true' }).trustProxy).toBe(true);
    expect(loadAppConfig({ TRUST_PROXY: '2' }).trustProxy).toBe(2);
    expect(loadAppConfig({ TRUST_PROXY: '10.0.0.0/8, 127.0.0.1,::1' }).trustProxy).toEqual([
      '10.0.0.0/8',
      '127.0.0.1',
      '::1',
    ]);
    expect(() => loadAppConfig({ TRUST_PROXY: 'proxy.local' })).toThrow(/TRUST_PROXY/);
  });

  it('names the variable of an invalid value', () => {
    expect(() => loadAppConfig({ PORT: 'eighty' })).toThrow(/PORT/);
    expect(() => loadAppConfig({ PORT: '70000' })).toThrow(/PORT/);
    expect(() => loadAppConfig({ LOG_LEVEL: 'loud' })).toThrow(/LOG_LEVEL/);
    expect(() => loadAppConfig({ SEED_DEMO: 'maybe' })).toThrow(/SEED_DEMO/);
    expect(() => loadAppConfig({ LOG_FORMAT: 'xml' })).toThrow(/LOG_FORMAT/);
    expect(() => loadAppConfig({ HTTP_MAX_CONNECTIONS: '0' })).toThrow(/HTTP_MAX_CONNECTIONS/);
    expect(() => loadAppConfig({ HTTP_REQUEST_TIMEOUT_MS: '5000', HTTP_HEADERS_TIMEOUT_MS: '6000' })).toThrow(
      /HTTP_HEADERS_TIMEOUT_MS \(6000\) must not exceed HTTP_REQUEST_TIMEOUT_MS/,
    );
  });
});
