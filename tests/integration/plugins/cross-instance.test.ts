import { join } from 'node:path';
import type { RunningServer } from '../../../platform/src/bootstrap/start-server';
import { bootServer, PLUGIN_FIXTURES, testDatabase, type PluginTestDatabase } from './plugin-harness';
import { waitFor } from '../../support/wait-for';

const REDIS = { REDIS_URL: 'redis://127.0.0.1:6379' };

describe('metadata changes propagate across instances (MariaDB + Redis)', () => {
  let database: PluginTestDatabase;
  let a: RunningServer;
  let b: RunningServer;

  beforeAll(async () => {
    database = testDatabase('mysql', 'cross');
    a = await bootServer(database, REDIS);
    b = await bootServer(database, REDIS);
  }, 180_000);
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await database?.drop();
  });

  const status = async (server: RunningServer, url: string) =>
    (await server.app.inject({ method: 'GET', url })).statusCode;

  it('a plugin installed and enabled through A is served by B', async () => {
    expect(await status(b, '/api/gauges')).toBe(404);
    const installed = await a.app.inject({
      method: 'POST',
      url: '/api/admin/plugins',
      payload: { source: join(PLUGIN_FIXTURES, 'gauges'), enable: true },
    });
    expect(installed.statusCode).toBe(201);
    await waitFor('instance b to serve the new entity', async () => (await status(b, '/api/gauges')) === 200);
  });

  it('an extension field added through A is validated by B', async () => {
    const added = await a.app.inject({
      method: 'POST',
      url: '/api/admin/extensions/supplier_master/fields',
      payload: { name: 'audit_grade', type: 'enum', values: ['A', 'B'], label: { en: 'Audit grade' } },
    });
    expect(added.statusCode).toBe(201);
    await waitFor(
      'the metadata change on instance b',
      async () =>
        b.registry.current().entities.get('supplier_master')?.fieldsByName.has('audit_grade') === true,
    );
    const invalid = await b.app.inject({
      method: 'POST',
      url: '/api/suppliers',
      payload: { supplierName: 'Graded', auditGrade: 'Z' },
    });
    expect(invalid.statusCode).toBe(422);
  });

  it("a plugin's server code installed through A runs on B: its route and hook serve there", async () => {
    const installed = await a.app.inject({
      method: 'POST',
      url: '/api/admin/plugins',
      payload: { source: join(PLUGIN_FIXTURES, 'gadgets'), enable: true },
    });
    expect(installed.statusCode).toBe(201);
    await waitFor(
      'instance b to serve the plugin route',
      async () => (await status(b, '/api/plugins/gadgets/stats')) === 200,
    );
    const created = await b.app.inject({ method: 'POST', url: '/api/gadgets', payload: { name: 'on-b' } });
    expect(created.json<{ data: { note: string } }>().data.note).toBe('stamped by v1');
    // The job runs on both instances' schedules; each due time runs on one instance only.
    const jobTimes = async (server: RunningServer) =>
      (await server.app.inject({ method: 'GET', url: '/api/plugins/gadgets/stats' })).json<{
        data: { jobTimes: string[] };
      }>().data.jobTimes;
    await waitFor(
      'four job runs across the instances',
      async () => (await jobTimes(a)).length + (await jobTimes(b)).length >= 4,
    );
    const runs = [...(await jobTimes(a)), ...(await jobTimes(b))];
    expect(new Set(runs).size).toBe(runs.length);
    expect(
      (await a.app.inject({ method: 'POST', url: '/api/admin/plugins/gadgets/disable' })).statusCode,
    ).toBe(200);
    await waitFor(
      'instance b to drop the plugin route',
      async () => (await status(b, '/api/plugins/gadgets/stats')) === 404,
    );
  });

  it('a plugin disabled through A answers 404 on B', async () => {
    expect(
      (await a.app.inject({ method: 'POST', url: '/api/admin/plugins/gauges/disable' })).statusCode,
    ).toBe(200);
    await waitFor('instance b to drop the entity', async () => (await status(b, '/api/gauges')) === 404);
  });
});
