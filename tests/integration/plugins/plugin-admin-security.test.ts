/**
 * The plugin and extension-field admin API with authentication on: only an administrator gets in
 * (anonymous 401, other roles 403, however the path is spelled), and every change is audited as
 * METADATA_CHANGE with the actor, IP, user agent and what changed.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { InjectOptions } from 'fastify';
import { buildPluginPackage, type BuiltPackage } from '../../../platform/src/plugins/plugin-package';
import { expectIntactAuditChain } from '../../support/sealed-audit';
import {
  bootSignedInServer,
  PLUGIN_FIXTURES,
  testDatabase,
  type PluginTestDatabase,
  type SignedInServer,
  type TestDialect,
} from './plugin-harness';
import { TEST_DIALECTS } from '../../support/test-dialects';

interface ErrorEnvelope {
  code: string;
  message: string;
  errors?: { field: string; rule: string; message: string }[];
}
interface AuditRow {
  entity_name: string;
  record_id: string;
  transition: string;
  actor_id: string;
  actor_name: string;
  ip: string;
  user_agent: string;
  diff: string | Record<string, unknown>;
}

const GAUGES = join(PLUGIN_FIXTURES, 'gauges');
const GAUGES_V2 = join(PLUGIN_FIXTURES, '..', 'plugins-v2', 'gauges');
const FIELDS = '/api/admin/extensions/customer/fields';
const CLIENT = { remoteAddress: '10.20.30.40', userAgent: 'plugin-admin-test/1.0' };

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

describe.each<TestDialect>(TEST_DIALECTS)('plugin administration signed in on %s', (dialect) => {
  let database: PluginTestDatabase;
  let mes: SignedInServer;
  let work: string;
  let built: BuiltPackage;
  let adminId: string;

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'mes-plugin-admin-'));
    built = await buildPluginPackage(join(PLUGIN_FIXTURES, 'gadgets'), work);
    database = testDatabase(dialect, 'plugadmin');
    mes = await bootSignedInServer(database);
    const [admin] = await mes.query<{ id: number }>(
      "SELECT id FROM sys_user WHERE tenant_id = 'DEMO' AND username = 'admin'",
    );
    adminId = String(admin.id);
  }, 180_000);
  afterAll(async () => {
    await mes?.server.close();
    await database?.drop();
    rmSync(work, { recursive: true, force: true });
  });

  const asAdmin = (request: InjectOptions) =>
    mes.call('admin', {
      ...request,
      remoteAddress: CLIENT.remoteAddress,
      headers: { ...request.headers, 'user-agent': CLIENT.userAgent },
    });
  const pluginRows = () => mes.query<{ name: string }>('SELECT name FROM ext_plugin');
  const fieldRows = () => mes.query<{ name: string }>('SELECT name FROM ext_field');
  const auditRows = (entity: string) =>
    mes.query<AuditRow>(
      'SELECT entity_name, record_id, transition, actor_id, actor_name, ip, user_agent, diff FROM audit_log ' +
        "WHERE action = 'METADATA_CHANGE' AND entity_name = ? ORDER BY id",
      [entity],
    );
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
    expect(await auditRows('plugin')).toEqual([]);
  });

  it('audits the install of an uploaded package with the actor, IP, user agent and package digest', async () => {
    const installed = await asAdmin({
      method: 'POST',
      url: '/api/admin/plugins?enable=true',
      payload: readFileSync(built.file),
      headers: { 'content-type': 'application/gzip' },
    });
    expect(installed.statusCode).toBe(201);
    expect(installed.json<{ data: { name: string; status: string } }>().data).toMatchObject({
      name: 'gadgets',
      status: 'enabled',
    });
    const rows = await auditRows('plugin');
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      record_id: 'gadgets',
      transition: 'install',
      actor_id: adminId,
      actor_name: 'admin',
      ip: CLIENT.remoteAddress,
      user_agent: CLIENT.userAgent,
    });
    expect(detail(rows[0])).toMatchObject({
      plugin: 'gadgets',
      version: '1.0.0',
      status: 'enabled',
      packageSha256: built.sha256,
    });
  });

  it('audits install, enable, disable, upgrade and uninstall of a plugin, each with what changed', async () => {
    const steps: [InjectOptions, number][] = [
      [{ method: 'POST', url: '/api/admin/plugins', payload: { source: GAUGES } }, 201],
      [{ method: 'POST', url: '/api/admin/plugins/gauges/enable' }, 200],
      [{ method: 'POST', url: '/api/admin/plugins/gauges/disable' }, 200],
      [{ method: 'POST', url: '/api/admin/plugins/gauges/upgrade', payload: { source: GAUGES_V2 } }, 200],
      [{ method: 'DELETE', url: '/api/admin/plugins/gauges?dropData=true' }, 204],
    ];
    for (const [request, status] of steps) expect((await asAdmin(request)).statusCode).toBe(status);
    const rows = (await auditRows('plugin')).filter((row) => row.record_id === 'gauges');
    expect(rows.map((row) => row.transition)).toEqual([
      'install',
      'enable',
      'disable',
      'upgrade',
      'uninstall',
    ]);
    for (const row of rows)
      expect(row).toMatchObject({
        actor_id: adminId,
        actor_name: 'admin',
        ip: CLIENT.remoteAddress,
        user_agent: CLIENT.userAgent,
      });
    expect(rows.map(detail)).toEqual([
      expect.objectContaining({ plugin: 'gauges', version: '1.0.0', status: 'installed', source: GAUGES }),
      expect.objectContaining({ plugin: 'gauges', version: '1.0.0', from: 'installed' }),
      expect.objectContaining({ plugin: 'gauges', version: '1.0.0' }),
      expect.objectContaining({ plugin: 'gauges', fromVersion: '1.0.0', toVersion: '1.1.0' }),
      expect.objectContaining({ plugin: 'gauges', version: '1.1.0', dropData: true }),
    ]);
  });

  it('audits adding, renaming, promoting and archiving an extension field', async () => {
    const steps: [InjectOptions, number][] = [
      [
        {
          method: 'POST',
          url: FIELDS,
          payload: { name: 'credit_grade', type: 'string', length: 8, label: { en: 'Credit grade' } },
        },
        201,
      ],
      [{ method: 'PATCH', url: `${FIELDS}/credit_grade`, payload: { name: 'credit_class' } }, 200],
      [{ method: 'POST', url: `${FIELDS}/credit_class/promote` }, 200],
      [{ method: 'DELETE', url: `${FIELDS}/credit_class` }, 204],
    ];
    for (const [request, status] of steps) expect((await asAdmin(request)).statusCode).toBe(status);
    const rows = await auditRows('extension_field');
    expect(rows.map((row) => [row.record_id, row.transition])).toEqual([
      ['customer.credit_grade', 'add'],
      ['customer.credit_grade', 'rename'],
      ['customer.credit_class', 'promote'],
      ['customer.credit_class', 'archive'],
    ]);
    for (const row of rows)
      expect(row).toMatchObject({
        actor_id: adminId,
        actor_name: 'admin',
        ip: CLIENT.remoteAddress,
        user_agent: CLIENT.userAgent,
      });
    const [added, renamed, promoted, archived] = rows.map(detail);
    expect(added).toMatchObject({
      entity: 'customer',
      field: 'customer.credit_grade',
      tenant: 'DEMO',
      definition: { type: 'string', length: 8 },
    });
    expect(renamed).toMatchObject({ from: 'credit_grade', to: 'credit_class' });
    expect(promoted).toMatchObject({ column: expect.any(String) });
    expect(archived).toMatchObject({ demoted: (promoted as { column: string }).column });
    await expectIntactAuditChain(mes.database);
  });
});

function detail(row: AuditRow): Record<string, unknown> {
  return typeof row.diff === 'string' ? (JSON.parse(row.diff) as Record<string, unknown>) : row.diff;
}
