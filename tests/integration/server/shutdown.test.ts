import { startTestServer, type TestServer } from './server-harness';

/** What SIGTERM triggers in `mes serve`: close() stops listening and releases the database, once. */
describe('shutdown', () => {
  let test: TestServer;

  beforeAll(async () => {
    test = await startTestServer({ PORT: '0', HOST: '127.0.0.1' }, true);
  });
  afterAll(async () => {
    await test?.stop();
  });

  it('serves on the bound port, then refuses connections and closes the database', async () => {
    const url = test.server.url ?? '';
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const live = await fetch(`${url}/health`);
    expect(live.status).toBe(200);
    expect(live.headers.get('x-trace-id')).toBeTruthy();
    await Promise.all([test.server.close(), test.server.close()]);
    await expect(fetch(`${url}/health`)).rejects.toMatchObject({ cause: { code: 'ECONNREFUSED' } });
    expect(test.server.dataSource.isInitialized).toBe(false);
  });
});
