import { join } from 'node:path';
import type { RunningServer } from '../../../platform/src/bootstrap/start-server';
import {
  bootServer,
  PLUGIN_FIXTURES,
  tableNames,
  testDatabase,
  type PluginTestDatabase,
  type TestDialect,
} from './plugin-harness';
import { TEST_DIALECTS } from '../../support/test-dialects';

interface Envelope<T> {
  data: T;
}
interface ErrorEnvelope {
  code: string;
  message: string;
  errors?: { field: string; rule: string; message: string }[];
}
interface PluginView {
  name: string;
  version: string;
  status: string;
  checksum: string;
}

const PROCUREMENT_TABLES = ['purchase_order', 'purchase_order_line', 'supplier_evaluation'];

describe.each<TestDialect>(TEST_DIALECTS)('plugin lifecycle at runtime on %s', (dialect) => {
  let database: PluginTestDatabase;
  let server: RunningServer;
  let supplierId: number;

  beforeAll(async () => {
    database = testDatabase(dialect, 'plugins');
    server = await bootServer(database);
    const supplier = await call('POST', '/api/suppliers', { supplierName: 'Acme Bearings' });
    expect(supplier.statusCode).toBe(201);
    supplierId = supplier.json<Envelope<{ id: number }>>().data.id;
  }, 180_000);
  afterAll(async () => {
    await server?.close();
    await database?.drop();
  });

  const call = (method: 'GET' | 'POST' | 'DELETE', url: string, payload?: object) =>
    server.app.inject({ method, url, ...(payload ? { payload } : {}) });

  const evaluationPayload = (period: string) => ({ supplierId, period, deliveries: 12 });

  it('serves no plugin entity before install and lists no plugin', async () => {
    expect((await call('GET', '/api/supplier-evaluations')).statusCode).toBe(404);
    const listed = await call('GET', '/api/admin/plugins');
    expect(listed.statusCode).toBe(200);
    expect(listed.json<Envelope<PluginView[]>>().data).toEqual([]);
  });

  it('installs procurement: migrates its tables, registers it installed, does not serve it yet', async () => {
    const installed = await call('POST', '/api/admin/plugins', { source: 'procurement' });
    expect(installed.statusCode).toBe(201);
    const view = installed.json<Envelope<PluginView>>().data;
    expect(view).toMatchObject({ name: 'procurement', version: '1.0.0', status: 'installed' });
    expect(view.checksum).toMatch(/^[0-9a-f]{64}$/);
    expect(await tableNames(server)).toEqual(expect.arrayContaining(PROCUREMENT_TABLES));
    expect((await call('GET', '/api/supplier-evaluations')).statusCode).toBe(404);
  });

  it('refuses a second install of the same plugin with 409', async () => {
    const again = await call('POST', '/api/admin/plugins', { source: 'procurement' });
    expect(again.statusCode).toBe(409);
    expect(again.json<ErrorEnvelope>().code).toBe('CONFLICT');
  });

  it('enables procurement: its entities are served at once and store rows', async () => {
    const before = server.registry.current().version;
    const enabled = await call('POST', '/api/admin/plugins/procurement/enable');
    expect(enabled.statusCode).toBe(200);
    expect(enabled.json<Envelope<PluginView>>().data.status).toBe('enabled');
    expect(server.registry.current().version).toBeGreaterThan(before);
    const created = await call('POST', '/api/supplier-evaluations', evaluationPayload('2026-01'));
    expect(created.statusCode).toBe(201);
    const list = await call('GET', '/api/supplier-evaluations');
    expect(list.json<Envelope<{ items: { period: string }[] }>>().data.items.map((r) => r.period)).toEqual([
      '2026-01',
    ]);
    const meta = await call('GET', '/api/meta/entities/supplier_evaluation');
    expect(meta.statusCode).toBe(200);
  });

  it('disables procurement: routes answer 404, data stays', async () => {
    const disabled = await call('POST', '/api/admin/plugins/procurement/disable');
    expect(disabled.json<Envelope<PluginView>>().data.status).toBe('disabled');
    expect((await call('GET', '/api/supplier-evaluations')).statusCode).toBe(404);
    expect((await call('GET', '/api/meta/entities/supplier_evaluation')).statusCode).toBe(404);
    const rows = (await server.dataSource.query('SELECT period FROM supplier_evaluation')) as {
      period: string;
    }[];
    expect(rows.map((r) => r.period)).toEqual(['2026-01']);
  });

  it('enables again: the same rows are served', async () => {
    expect((await call('POST', '/api/admin/plugins/procurement/enable')).statusCode).toBe(200);
    const list = await call('GET', '/api/supplier-evaluations');
    expect(list.statusCode).toBe(200);
    expect(list.json<Envelope<{ items: unknown[] }>>().data.items).toHaveLength(1);
  });

  it('keeps core serving while plugins change', async () => {
    expect((await call('GET', '/api/suppliers')).statusCode).toBe(200);
  });

  it('rejects a plugin with bad metadata with 422 naming file and rule; nothing changes', async () => {
    const tablesBefore = await tableNames(server);
    const versionBefore = server.registry.current().version;
    const response = await call('POST', '/api/admin/plugins', {
      source: join(PLUGIN_FIXTURES, 'broken_meta'),
    });
    expect(response.statusCode).toBe(422);
    const error = response.json<ErrorEnvelope>();
    expect(error.code).toBe('VALIDATION_FAILED');
    expect(error.errors?.length).toBeGreaterThan(0);
    expect(await tableNames(server)).toEqual(tablesBefore);
    expect(server.registry.current().version).toBe(versionBefore);
    const listed = (await call('GET', '/api/admin/plugins')).json<Envelope<PluginView[]>>().data;
    expect(listed.map((p) => p.name)).toEqual(['procurement']);
    expect((await call('GET', '/api/supplier-evaluations')).statusCode).toBe(200);
  });

  it('undoes a migration that fails half-way: no table of the plugin is left, no registry row', async () => {
    await server.dataSource.query('CREATE TABLE gauge_check (id INTEGER PRIMARY KEY)');
    const tablesBefore = await tableNames(server);
    const response = await call('POST', '/api/admin/plugins', { source: join(PLUGIN_FIXTURES, 'gauges') });
    expect(response.statusCode).toBe(422);
    const error = response.json<ErrorEnvelope>();
    expect(error.errors?.[0]?.rule).toBe('migration');
    expect(error.message).toContain('gauge_check');
    expect(await tableNames(server)).toEqual(tablesBefore);
    expect((await call('GET', '/api/admin/plugins/gauges')).statusCode).toBe(404);
    await server.dataSource.query('DROP TABLE gauge_check');
    const retried = await call('POST', '/api/admin/plugins', {
      source: join(PLUGIN_FIXTURES, 'gauges'),
      enable: true,
    });
    expect(retried.statusCode).toBe(201);
    expect((await call('POST', '/api/gauges', { code: 'G-1' })).statusCode).toBe(201);
  });

  it('upgrades gauges to 1.1.0: the new column is migrated, rows kept, served at once', async () => {
    const upgraded = await call('POST', '/api/admin/plugins/gauges/upgrade', {
      source: join(PLUGIN_FIXTURES, '..', 'plugins-v2', 'gauges'),
    });
    expect(upgraded.statusCode).toBe(200);
    expect(upgraded.json<Envelope<PluginView>>().data).toMatchObject({ version: '1.1.0', status: 'enabled' });
    const created = await call('POST', '/api/gauges', { code: 'G-2', calibratedOn: '2026-11-01' });
    expect(created.statusCode).toBe(201);
    const list = await call('GET', '/api/gauges?sort=code');
    expect(list.json<Envelope<{ items: { code: string }[] }>>().data.items.map((g) => g.code)).toEqual([
      'G-1',
      'G-2',
    ]);
    const again = await call('POST', '/api/admin/plugins/gauges/upgrade', {
      source: join(PLUGIN_FIXTURES, '..', 'plugins-v2', 'gauges'),
    });
    expect(again.statusCode).toBe(409);
  });

  it('uninstalls without dropData: routes gone, tables and rows kept, reinstall reattaches them', async () => {
    expect((await call('DELETE', '/api/admin/plugins/procurement')).statusCode).toBe(204);
    expect((await call('GET', '/api/supplier-evaluations')).statusCode).toBe(404);
    expect((await call('GET', '/api/admin/plugins/procurement')).statusCode).toBe(404);
    expect(await tableNames(server)).toEqual(expect.arrayContaining(PROCUREMENT_TABLES));
    const reinstalled = await call('POST', '/api/admin/plugins', { source: 'procurement', enable: true });
    expect(reinstalled.statusCode).toBe(201);
    const list = await call('GET', '/api/supplier-evaluations');
    expect(list.json<Envelope<{ items: unknown[] }>>().data.items).toHaveLength(1);
  });

  it('uninstalls with dropData=true: the plugin tables are dropped', async () => {
    expect((await call('DELETE', '/api/admin/plugins/procurement?dropData=true')).statusCode).toBe(204);
    const tables = await tableNames(server);
    for (const table of PROCUREMENT_TABLES) expect(tables).not.toContain(table);
    expect((await call('GET', '/api/suppliers')).statusCode).toBe(200);
  });

  it('restores the enabled plugins after a restart', async () => {
    await server.close();
    server = await bootServer(database);
    expect((await call('GET', '/api/gauges')).statusCode).toBe(200);
    expect((await call('GET', '/api/supplier-evaluations')).statusCode).toBe(404);
  }, 120_000);
});
