import { randomBytes } from 'node:crypto';
import { startTestServer, type TestServer } from '../server/server-harness';

/**
 * Rate limits on real servers: counters shared through Redis by two instances, and the client
 * address taken from X-Forwarded-For only when TRUST_PROXY names the proxy.
 */
const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const API_PER_MINUTE = 4;

/** A client address no earlier run has used within the limit window (counters in Redis outlive a run). */
function freshClient(): string {
  return `2001:db8::${randomBytes(2).toString('hex')}:${randomBytes(2).toString('hex')}`;
}

async function list(test: TestServer, remoteAddress: string, forwardedFor?: string): Promise<number> {
  const response = await test.server.app.inject({
    method: 'GET',
    url: '/api/production-lines',
    remoteAddress,
    headers: forwardedFor ? { 'x-forwarded-for': forwardedFor } : {},
  });
  if (response.statusCode === 429) {
    expect(response.json()).toMatchObject({ code: 'TOO_MANY_REQUESTS' });
    expect(Number(response.headers['retry-after'])).toBeGreaterThan(0);
  }
  return response.statusCode;
}

describe('rate limits shared through Redis', () => {
  const instances: TestServer[] = [];

  beforeAll(async () => {
    for (let i = 0; i < 2; i++)
      instances.push(await startTestServer({ REDIS_URL, MES_RATE_LIMIT_API: String(API_PER_MINUTE) }));
  });
  afterAll(async () => {
    for (const instance of instances) await instance.stop();
  });

  it('counts a client across instances: the budget is spent once, not once per instance', async () => {
    const [a, b] = instances;
    const client = freshClient();
    const statuses = [
      await list(a, client),
      await list(b, client),
      await list(a, client),
      await list(b, client),
      await list(a, client),
      await list(b, client),
    ];
    expect(statuses).toEqual([200, 200, 200, 200, 429, 429]);
    expect(await list(b, freshClient())).toBe(200);
  });

  it('ignores X-Forwarded-For when TRUST_PROXY is not set', async () => {
    const [a] = instances;
    const proxy = freshClient();
    const statuses: number[] = [];
    for (let i = 0; i <= API_PER_MINUTE; i++) statuses.push(await list(a, proxy, `198.51.100.${i + 1}`));
    expect(statuses).toEqual([200, 200, 200, 200, 429]);
  });
});

describe('TRUST_PROXY', () => {
  let test: TestServer;
  const proxy = '10.9.8.7';

  beforeAll(async () => {
    test = await startTestServer({ TRUST_PROXY: `${proxy},127.0.0.1`, MES_RATE_LIMIT_API: '2' });
  });
  afterAll(async () => {
    await test?.stop();
  });

  it('limits each client behind a trusted proxy on its own', async () => {
    expect([
      await list(test, proxy, '198.51.100.7'),
      await list(test, proxy, '198.51.100.7'),
      await list(test, proxy, '198.51.100.7'),
    ]).toEqual([200, 200, 429]);
    expect(await list(test, proxy, '198.51.100.8')).toBe(200);
  });

  it('refuses only the requests beyond the budget when they arrive together (in-memory counters)', async () => {
    const client = '198.51.100.99';
    const statuses = await Promise.all([0, 1, 2].map(() => list(test, proxy, client)));
    expect(statuses.sort()).toEqual([200, 200, 429]);
  });

  it('does not believe X-Forwarded-For from an address it does not trust', async () => {
    const stranger = '192.0.2.44';
    expect([
      await list(test, stranger, '198.51.100.20'),
      await list(test, stranger, '198.51.100.21'),
      await list(test, stranger, '198.51.100.22'),
    ]).toEqual([200, 200, 429]);
  });
});
