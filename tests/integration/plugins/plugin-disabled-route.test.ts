/**
 * A plugin route called over HTTP while the plugin is disabled answers one clean 404, and the server
 * logs no second answer (ERR_HTTP_HEADERS_SENT). A listening server with authentication on: its async
 * response hooks are what let a handler that resolved early be answered twice.
 */
import { join } from 'node:path';
import {
  bootSignedInServer,
  capturedLog,
  PLUGIN_FIXTURES,
  testDatabase,
  type PluginTestDatabase,
  type SignedInServer,
  type TestDialect,
} from './plugin-harness';
import { waitFor } from '../../support/wait-for';
import { TEST_DIALECTS } from '../../support/test-dialects';

describe.each<TestDialect>(TEST_DIALECTS)('a disabled plugin route over HTTP on %s', (dialect) => {
  let database: PluginTestDatabase;
  let mes: SignedInServer;
  const log = capturedLog();

  beforeAll(async () => {
    database = testDatabase(dialect, 'plugoff');
    mes = await bootSignedInServer(
      database,
      { LOG_LEVEL: 'info' },
      { logDestination: log.stream, listen: true },
    );
    const installed = await mes.call('admin', {
      method: 'POST',
      url: '/api/admin/plugins',
      payload: { source: join(PLUGIN_FIXTURES, 'gadgets'), enable: true },
    });
    expect(installed.statusCode).toBe(201);
  }, 180_000);
  afterAll(async () => {
    await mes?.server.close();
    await database?.drop();
  });

  it('answers 404 once, naming the plugin, and logs no second answer', async () => {
    const token = await mes.token('admin');
    const served = await fetch(`${mes.server.url}/api/plugins/gadgets/stats`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(served.status).toBe(200);
    const disabled = await mes.call('admin', { method: 'POST', url: '/api/admin/plugins/gadgets/disable' });
    expect(disabled.statusCode).toBe(200);

    log.lines.length = 0;
    for (const method of ['GET', 'POST']) {
      const response = await fetch(`${mes.server.url}/api/plugins/gadgets/stats`, {
        method,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        ...(method === 'POST' ? { body: '{}' } : {}),
      });
      expect(response.status).toBe(404);
      const body = (await response.json()) as { code: string; message: string };
      expect(body.code).toBe('NOT_FOUND');
      expect(body.message).toContain('gadgets');
    }
    // A second answer is attempted before the first one finishes, so before "request completed".
    await waitFor(
      'both requests to complete',
      () => log.lines.filter((line) => line.includes('"msg":"request completed"')).length === 2,
    );
    expect(log.lines.filter((line) => /ERR_HTTP_HEADERS_SENT|already sent/.test(line))).toEqual([]);
  });
});
