/**
 * `/metrics` on the real server (SQLite): refused without the configured bearer token, and with it a
 * Prometheus exposition holding HTTP latency by route template and status, the outbox depth and lag,
 * the Model version, the audit sealing backlog and the process collectors; refused in production when no token is configured.
 */
import Fastify from 'fastify';
import { registerMetrics } from '../../../platform/src/ops/metrics';
import { startSecurityServer, type SecurityServer } from '../security/security-server';

const TOKEN = 'metrics-token-for-tests';

describe('Prometheus metrics', () => {
  let mes: SecurityServer;
  const scrape = (authorization?: string) =>
    mes.server.app.inject({
      method: 'GET',
      url: '/metrics',
      headers: authorization ? { authorization } : {},
    });

  beforeAll(async () => {
    mes = await startSecurityServer('sqlite', 'metrics', { MES_METRICS_TOKEN: TOKEN });
  });
  afterAll(async () => {
    await mes?.stop();
  });

  it('refuses a scrape without the token or with another one', async () => {
    expect((await scrape()).statusCode).toBe(401);
    expect((await scrape('Bearer not-the-token')).statusCode).toBe(401);
    // A user's access token is not a metrics token.
    expect((await scrape(`Bearer ${await mes.login('admin')}`)).statusCode).toBe(401);
  });

  it('exposes latency by route template and status, the outbox and the process', async () => {
    const created = await mes.call('admin', 'POST', '/api/plants', {
      plantCode: 'PM',
      plantName: 'Metrics plant',
    });
    expect(created.statusCode).toBe(201);
    expect((await mes.call('admin', 'GET', `/api/plants/${created.json().data.id}`)).statusCode).toBe(200);
    expect((await mes.call('admin', 'GET', '/api/plants/999999')).statusCode).toBe(404);
    const response = await scrape(`Bearer ${TOKEN}`);
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toContain('text/plain');
    const body = response.body;
    expect(body).toMatch(
      /http_request_duration_seconds_count\{method="GET",route="\/api\/plants\/:id",status_code="200"\} 1\n/,
    );
    expect(body).toMatch(
      /http_request_duration_seconds_count\{method="GET",route="\/api\/plants\/:id",status_code="404"\} 1\n/,
    );
    expect(body).toMatch(
      /http_request_duration_seconds_bucket\{le="0\.005",method="POST",route="\/api\/plants"/,
    );
    expect(body).toMatch(/process_resident_memory_bytes \d/);
    expect(body).toMatch(/nodejs_eventloop_lag_p99_seconds \d/);
  });

  it('reports the outbox events waiting and the age of the oldest', async () => {
    // Two events committed two minutes ago whose next attempt lies ahead: the relay leaves them waiting.
    const created = new Date(Date.now() - 120_000).toISOString().replace('T', ' ').slice(0, 23);
    const later = new Date(Date.now() + 3_600_000).toISOString().replace('T', ' ').slice(0, 23);
    for (const id of ['metrics-1', 'metrics-2'])
      await mes.query(
        'INSERT INTO evt_outbox (event_id, tenant_id, event_type, envelope, created_at, attempts, next_attempt_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
        [id, 'DEMO', 'test.waiting', '{}', created, 1, later],
      );
    const [{ n }] = await mes.query<{ n: number }>(
      'SELECT COUNT(*) AS n FROM evt_outbox WHERE published_at IS NULL AND dead_at IS NULL',
    );
    expect(Number(n)).toBeGreaterThanOrEqual(2);
    const body = (await scrape(`Bearer ${TOKEN}`)).body;
    expect(body).toContain(`mes_outbox_pending_events ${Number(n)}\n`);
    const lag = Number(/^mes_outbox_lag_seconds (\S+)$/m.exec(body)?.[1]);
    expect(lag).toBeGreaterThanOrEqual(120);
    expect(lag).toBeLessThan(600);
    expect(body).toMatch(/mes_outbox_dead_events \d+\n/);
  });

  it('reports the Model in service and the audit records waiting to be sealed', async () => {
    const model = mes.server.registry.current();
    const body = (await scrape(`Bearer ${TOKEN}`)).body;
    expect(body).toContain(`mes_model_version{hash="${model.hash}"} ${model.version}\n`);
    expect(body).toMatch(/^mes_audit_unsealed_records \d+$/m);
    expect(body).toMatch(/^mes_audit_sealing_lag_seconds [\d.e+-]+$/m);
  });

  it('refuses every scrape in production when no token is configured, and is open otherwise', async () => {
    const answer = async (production: boolean) => {
      const fastify = Fastify();
      registerMetrics(fastify, { token: null, production });
      const response = await fastify.inject({ method: 'GET', url: '/metrics' });
      await fastify.close();
      return response.statusCode;
    };
    expect(await answer(true)).toBe(403);
    expect(await answer(false)).toBe(200);
  });
});
