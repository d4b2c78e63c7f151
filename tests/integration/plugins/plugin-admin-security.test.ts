/**
 * The plugin and extension-field admin API with authentication on: only an administrator gets in
 * (anonymous 401, other roles 403, however the path is spelled).
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { InjectOptions } from 'fastify';
import { buildPluginPackage, type BuiltPackage } from '../../../platform/src/plugins/plugin-package';
import {
  bootSignedInServer,
  PLUGIN_FIXTURES,
  testDatabase,
  type PluginTestDatabase,
  type SignedInServer,
  type TestDialect,
} from './plugin-harness';

interface ErrorEnvelope {
  code: string;
  message: string;
  errors?: { field: string; rule: string; message: string }[];
}
const GAUGES = join(PLUGIN_FIXTURES, 'gauges');
const GAUGES_V2 = join(PLUGIN_FIXTURES, '..', 'plugins-v2', 'gauges');
const FIELDS = '/api/admin/extensions/customer/fields';

/** Every admin route of plugins and extension fields, with a body that would change something. */
function adminRoutes(archive: Buffer): InjectOptions[] {
  const gzip = { 'content-type': 'application/gzip' };
  return [
    { method: 'GET', url: '/api/admin/plugins' },
    { method: 'GET', url: '/api/admin/plugins/gauges' },
    { method: 'POST', url: '/api/admin/plugins', payload: { source: GAUGES, enable: true } },
    { method: 'POST', url: '/api/admin/plugins?enable=true', payload: archive, headers: gzip },
    { method: 'POST', url: '/api/admin/plugins/gauges/enable' },
    { method: 'POST', url: '/api/admin/plugins/gauges/disable' },
    { method: 'POST', url: '/api/admin/plugins/gauges/upgrade', payload: { source: GAUGES_V2 } },
    { method: 'POST', url: '/api/admin/plugins/gadgets/upgrade', payload: archive, headers: gzip },
    { method: 'DELETE', url: '/api/admin/plugins/gauges?dropData=true' },
    { method: 'GET', url: FIELDS },
    { method: 'POST', url: FIELDS, payload: { name: 'credit_grade', type: 'string', length: 8 } },
    { method: 'PATCH', url: `${FIELDS}/credit_grade`, payload: { name: 'credit_class' } },
    { method: 'POST', url: `${FIELDS}/credit_grade/promote` },
    { method: 'DELETE', url: `${FIELDS}/credit_grade` },
  ];
}

/** `/api/...` spelled with a percent-encoded letter: routed like the plain path. */
const encoded = (url: string) => url.replace(/^\/api\//, '/%61pi/');

describe.each<TestDialect>(['sqlite', 'mysql'])('plugin administration signed in on %s', (dialect) => {
  let database: PluginTestDatabase;
  let mes: SignedInServer;
  let work: string;
  let built: BuiltPackage;

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'mes-plugin-admin-'));
    built = await buildPluginPackage(join(PLUGIN_FIXTURES, 'gadgets'), work);
    database = testDatabase(dialect, 'plugadmin');
    mes = await bootSignedInServer(database);
  }, 180_000);
  afterAll(async () => {
    await mes?.server.close();
    await database?.drop();
    rmSync(work, { recursive: true, force: true });
  });

  const pluginRows = () => mes.query<{ name: string }>('SELECT name FROM ext_plugin');
  const fieldRows = () => mes.query<{ name: string }>('SELECT name FROM ext_field');
  const storeFolders = () =>
    existsSync(database.env.PLUGIN_STORE_DIR)
      ? readdirSync(database.env.PLUGIN_STORE_DIR).filter((f) => f !== '.code')
      : [];

  it('answers 401 to anonymous requests on every admin route, however the path is spelled', async () => {
    const archive = readFileSync(built.file);
    for (const route of adminRoutes(archive))
      for (const url of [route.url as string, encoded(route.url as string)]) {
        const response = await mes.call(null, { ...route, url });
        expect({ url, method: route.method, status: response.statusCode }).toEqual({
          url,
          method: route.method,
          status: 401,
        });
        expect(response.json<ErrorEnvelope>().code).toBe('UNAUTHORIZED');
      }
    expect(await pluginRows()).toEqual([]);
    expect(await fieldRows()).toEqual([]);
    expect(storeFolders()).toEqual([]);
  });

  it('answers 403 to signed-in users without the admin role on every admin route', async () => {
    const archive = readFileSync(built.file);
    for (const username of ['operator', 'inspector', 'analyst'])
      for (const route of adminRoutes(archive)) {
        const response = await mes.call(username, route);
        expect({ username, url: route.url, method: route.method, status: response.statusCode }).toEqual({
          username,
          url: route.url,
          method: route.method,
          status: 403,
        });
        expect(response.json<ErrorEnvelope>().code).toBe('FORBIDDEN');
      }
    expect(await pluginRows()).toEqual([]);
    expect(await fieldRows()).toEqual([]);
  });
});
