import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunningServer } from '../../../platform/src/bootstrap/start-server';
import {
  bootServer,
  capturedLog,
  PLUGIN_FIXTURES,
  testDatabase,
  type PluginTestDatabase,
  type TestDialect,
} from './plugin-harness';
import { waitFor } from '../../support/wait-for';
import { TEST_DIALECTS } from '../../support/test-dialects';

interface Envelope<T> {
  code: string;
  data: T;
}
interface ErrorEnvelope {
  code: string;
  message: string;
  errors?: { field: string; rule: string }[];
}
interface Stats {
  behaviour: string;
  afterWrites: number;
  changes: string[];
  events: string[];
  jobRuns: number;
  transitions: string[];
}
interface PluginView {
  name: string;
  version: string;
  status: string;
  lastError?: string;
}

/** A copy of the gadgets fixture at another version whose server code says `behaviour`. */
function gadgetsVersion(version: string, behaviour: string): { root: string; dir: string } {
  const root = mkdtempSync(join(tmpdir(), 'mes-gadgets-'));
  const dir = join(root, 'gadgets');
  cpSync(join(PLUGIN_FIXTURES, 'gadgets'), dir, { recursive: true });
  const manifest = join(dir, 'plugin.yaml');
  writeFileSync(manifest, readFileSync(manifest, 'utf8').replace('version: 1.0.0', `version: ${version}`));
  writeFileSync(join(dir, 'server', 'behaviour.ts'), `export const BEHAVIOUR = '${behaviour}';\n`);
  return { root, dir };
}

describe.each<TestDialect>(TEST_DIALECTS)('plugin server code on %s', (dialect) => {
  let database: PluginTestDatabase;
  let server: RunningServer;
  const copies: string[] = [];
  const log = capturedLog();

  beforeAll(async () => {
    database = testDatabase(dialect, 'plugcode');
    server = await bootServer(
      database,
      { PLUGIN_HOOK_TIMEOUT_MS: '1500', PLUGIN_MAX_FAULTS: '3' },
      log.stream,
    );
  }, 180_000);
  afterAll(async () => {
    await server?.close();
    await database?.drop();
    for (const copy of copies) rmSync(copy, { recursive: true, force: true });
  });

  const call = (method: 'GET' | 'POST' | 'DELETE', url: string, payload?: object) =>
    server.app.inject({ method, url, ...(payload ? { payload } : {}) });
  const stats = async () => (await call('GET', '/api/plugins/gadgets/stats')).json<Envelope<Stats>>().data;
  const status = async () =>
    (await call('GET', '/api/admin/plugins/gadgets')).json<Envelope<PluginView>>().data.status;

  it('answers 404 on plugin routes before the plugin is installed', async () => {
    const response = await call('GET', '/api/plugins/gadgets/stats');
    expect(response.statusCode).toBe(404);
    expect(response.json<ErrorEnvelope>().code).toBe('NOT_FOUND');
  });

  it('installs and enables gadgets: its SQL migration ran, hook, route, subscriber and job work', async () => {
    const installed = await call('POST', '/api/admin/plugins', {
      source: join(PLUGIN_FIXTURES, 'gadgets'),
      enable: true,
    });
    expect(installed.statusCode).toBe(201);
    const seeded = await call('GET', '/api/gadgets?filter[name]=seeded');
    expect(seeded.json<Envelope<{ items: { note: string }[] }>>().data.items).toEqual([
      expect.objectContaining({ note: 'from migration 001' }),
    ]);

    const created = await call('POST', '/api/gadgets', { name: 'first' });
    expect(created.statusCode).toBe(201);
    const record = created.json<Envelope<{ id: number; note: string }>>().data;
    expect(record.note).toBe('stamped by v1');

    const viaRoute = await call('POST', '/api/plugins/gadgets/gadgets/second');
    expect(viaRoute.statusCode).toBe(201);
    expect(viaRoute.json<Envelope<{ name: string; note: string }>>().data).toMatchObject({
      name: 'second',
      note: 'stamped by v1',
    });

    await waitFor('the plugin subscriber to see the event', async () =>
      (await stats()).events.includes(`gadget.created:${record.id}`),
    );
    const seen = await stats();
    expect(seen.behaviour).toBe('v1');
    expect(seen.afterWrites).toBe(2);
    await waitFor('a run of the plugin job', async () => (await stats()).jobRuns >= 1);
    expect((await call('GET', '/api/plugins/gadgets/nothing-here')).statusCode).toBe(404);
  });

  it('runs transition hooks (fired through api.workflows): in the transaction, a refusal rolls back, and after commit', async () => {
    const created = await call('POST', '/api/gadgets', { name: 'flow' });
    const id = created.json<Envelope<{ id: number }>>().data.id;
    const approved = await call('POST', `/api/plugins/gadgets/gadgets/${id}/approve`);
    expect(approved.statusCode).toBe(200);
    const record = await call('GET', `/api/gadgets/${id}`);
    expect(record.json<Envelope<{ status: string; note: string }>>().data).toMatchObject({
      status: 'APPROVED',
      note: 'approved by v1',
    });
    expect((await stats()).transitions).toEqual([`${id}:approve:DRAFT->APPROVED`]);
    // The write hooks see the transition as a change of the record.
    await waitFor('the after-write hook to see the transition', async () =>
      (await stats()).changes.includes(`transition:approve:${id}`),
    );

    const veto = (await call('POST', '/api/gadgets', { name: 'veto' })).json<Envelope<{ id: number }>>().data
      .id;
    const refused = await call('POST', `/api/plugins/gadgets/gadgets/${veto}/approve`);
    expect(refused.statusCode).toBe(422);
    expect(refused.json<ErrorEnvelope>().errors?.[0]).toMatchObject({ rule: 'gadget-veto' });
    const unchanged = await call('GET', `/api/gadgets/${veto}`);
    expect(unchanged.json<Envelope<{ status: string; note: string }>>().data).toMatchObject({
      status: 'DRAFT',
      note: 'stamped by v1',
    });
    expect((await stats()).transitions).toHaveLength(1);
  });

  it('logs an after-transition hook that refuses once the transition committed, and keeps the transition', async () => {
    const id = (await call('POST', '/api/gadgets', { name: 'grumpy' })).json<Envelope<{ id: number }>>().data
      .id;
    expect((await call('POST', `/api/plugins/gadgets/gadgets/${id}/approve`)).statusCode).toBe(200);
    const record = await call('GET', `/api/gadgets/${id}`);
    expect(record.json<Envelope<{ status: string }>>().data.status).toBe('APPROVED');
    await waitFor('the after-commit refusal in the log', () =>
      log.lines.some(
        (line) =>
          line.includes('refused after the change committed') &&
          line.includes('grumpy gadgets complain after approval'),
      ),
    );
  });

  it('passes an api.errors refusal to the caller as 422 without counting a fault', async () => {
    const refused = await call('POST', '/api/gadgets', { name: 'refuse' });
    expect(refused.statusCode).toBe(422);
    expect(refused.json<ErrorEnvelope>()).toMatchObject({ code: 'BUSINESS_RULE' });
    expect(refused.json<ErrorEnvelope>().errors?.[0]).toMatchObject({ rule: 'gadget-name' });
  });

  it('a throwing hook fails only its request with 502 naming the plugin; the platform keeps serving', async () => {
    const failed = await call('POST', '/api/gadgets', { name: 'throw' });
    expect(failed.statusCode).toBe(502);
    const body = failed.json<ErrorEnvelope>();
    expect(body.code).toBe('PLUGIN_FAILED');
    expect(body.message).toContain('plugin gadgets');
    expect(body.message).toContain('gadget hook exploded');
    expect((await call('GET', '/api/suppliers')).statusCode).toBe(200);
    expect((await call('POST', '/api/gadgets', { name: 'after-throw' })).statusCode).toBe(201);
  });

  it('a hanging hook fails only its request with 504 after the time limit', async () => {
    const hung = await call('POST', '/api/gadgets', { name: 'hang' });
    expect(hung.statusCode).toBe(504);
    expect(hung.json<ErrorEnvelope>()).toMatchObject({ code: 'PLUGIN_TIMEOUT' });
    expect(hung.json<ErrorEnvelope>().message).toContain('plugin gadgets');
    expect((await call('GET', '/api/suppliers')).statusCode).toBe(200);
    expect((await call('POST', '/api/gadgets', { name: 'after-hang' })).statusCode).toBe(201);
    const rows = (await server.dataSource.query(
      "SELECT name FROM gadget WHERE name IN ('throw', 'hang')",
    )) as unknown[];
    expect(rows).toEqual([]);
  });

  it('upgrade loads a fresh module: the new behaviour is served at once, module state starts over', async () => {
    const v2 = gadgetsVersion('1.1.0', 'v2');
    copies.push(v2.root);
    const upgraded = await call('POST', '/api/admin/plugins/gadgets/upgrade', { source: v2.dir });
    expect(upgraded.statusCode).toBe(200);
    expect(upgraded.json<Envelope<PluginView>>().data).toMatchObject({ version: '1.1.0', status: 'enabled' });
    const seen = await stats();
    expect(seen.behaviour).toBe('v2');
    expect(seen.afterWrites).toBe(0);
    const created = await call('POST', '/api/gadgets', { name: 'third' });
    expect(created.json<Envelope<{ note: string }>>().data.note).toBe('stamped by v2');
    const seeds = (await server.dataSource.query("SELECT id FROM gadget WHERE name = 'seeded'")) as unknown[];
    expect(seeds).toHaveLength(1);
  });

  it('disable removes hooks and routes; enable brings a fresh instance back', async () => {
    expect((await call('POST', '/api/admin/plugins/gadgets/disable')).statusCode).toBe(200);
    expect((await call('GET', '/api/plugins/gadgets/stats')).statusCode).toBe(404);
    expect((await call('POST', '/api/admin/plugins/gadgets/enable')).statusCode).toBe(200);
    expect((await stats()).afterWrites).toBe(0);
    expect(
      (await call('POST', '/api/gadgets', { name: 'fourth' })).json<Envelope<{ note: string }>>().data.note,
    ).toBe('stamped by v2');
  });

  it('repeated faults mark the plugin error: its hooks stop, its routes answer 404, core and other plugins serve', async () => {
    const gauges = await call('POST', '/api/admin/plugins', {
      source: join(PLUGIN_FIXTURES, 'gauges'),
      enable: true,
    });
    expect(gauges.statusCode).toBe(201);
    for (let fault = 0; fault < 3; fault++)
      expect((await call('POST', '/api/gadgets', { name: 'throw' })).statusCode).toBe(502);
    await waitFor('the plugin to trip', async () => (await status()) === 'error');
    const view = (await call('GET', '/api/admin/plugins/gadgets')).json<Envelope<PluginView>>().data;
    expect(view.lastError).toContain('3 faults in a row');
    // Every fault is counted for Prometheus by plugin and kind: the throw and hang above, these three.
    const metrics = (await call('GET', '/metrics')).body;
    expect(metrics).toContain('mes_plugin_faults_total{plugin="gadgets",kind="error"} 4');
    expect(metrics).toContain('mes_plugin_faults_total{plugin="gadgets",kind="timeout"} 1');
    expect((await call('GET', '/api/plugins/gadgets/stats')).statusCode).toBe(404);
    expect((await call('POST', '/api/gadgets', { name: 'throw' })).statusCode).toBe(404);
    expect((await call('GET', '/api/suppliers')).statusCode).toBe(200);
    expect((await call('POST', '/api/gauges', { code: 'G-1' })).statusCode).toBe(201);
    const enabled = await call('POST', '/api/admin/plugins/gadgets/enable');
    expect(enabled.json<Envelope<PluginView>>().data.status).toBe('enabled');
    expect((await call('GET', '/api/plugins/gadgets/stats')).statusCode).toBe(200);
  });

  it('restores the plugin code after a restart', async () => {
    await server.close();
    server = await bootServer(database, { PLUGIN_HOOK_TIMEOUT_MS: '1500' });
    expect((await stats()).behaviour).toBe('v2');
    expect(
      (await call('POST', '/api/gadgets', { name: 'fifth' })).json<Envelope<{ note: string }>>().data.note,
    ).toBe('stamped by v2');
  }, 120_000);
});
