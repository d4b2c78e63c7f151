/**
 * A catalog plugin upgraded from another copy (a folder elsewhere, an uploaded package) while the
 * catalog copy stays where it is: the Model holds the running copy only, so no document of the
 * plugin is declared twice (422 duplicate-name before).
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildPluginPackage } from '../../../platform/src/plugins/plugin-package';
import {
  bootSignedInServer,
  testDatabase,
  type PluginTestDatabase,
  type SignedInServer,
  type TestDialect,
} from './plugin-harness';
import { TEST_DIALECTS } from '../../support/test-dialects';

interface PluginView {
  name: string;
  version: string;
  status: string;
}

const CATALOG_COPY = join(__dirname, '..', '..', '..', 'plugins', 'procurement');

describe.each<TestDialect>(TEST_DIALECTS)('catalog plugin upgraded from another copy on %s', (dialect) => {
  let database: PluginTestDatabase;
  let mes: SignedInServer;
  let work: string;

  /** A copy of the catalog's procurement at `version`, in a folder of its own. */
  const copyAt = (version: string): string => {
    const dir = join(work, version, 'procurement');
    cpSync(CATALOG_COPY, dir, { recursive: true, filter: (source) => !source.includes('node_modules') });
    const manifest = join(dir, 'plugin.yaml');
    writeFileSync(manifest, readFileSync(manifest, 'utf8').replace(/^version: .*$/m, `version: ${version}`));
    return dir;
  };
  const admin = (method: 'GET' | 'POST' | 'DELETE', url: string, payload?: object | Buffer) =>
    mes.call('admin', {
      method,
      url,
      ...(payload ? { payload } : {}),
      ...(Buffer.isBuffer(payload) ? { headers: { 'content-type': 'application/gzip' } } : {}),
    });
  const pluginOf = (response: { json<T>(): T }) => response.json<{ data: PluginView }>().data;

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'mes-copies-'));
    database = testDatabase(dialect, 'plugcopy');
    mes = await bootSignedInServer(database);
    const installed = await admin('POST', '/api/admin/plugins', { source: 'procurement', enable: true });
    expect(installed.statusCode).toBe(201);
  }, 180_000);
  afterAll(async () => {
    await mes?.server.close();
    await database?.drop();
    rmSync(work, { recursive: true, force: true });
  });

  it('upgrades from a folder outside the catalog and serves the plugin from it', async () => {
    const upgraded = await admin('POST', '/api/admin/plugins/procurement/upgrade', {
      source: copyAt('1.1.0'),
    });
    expect(upgraded.statusCode).toBe(200);
    expect(pluginOf(upgraded)).toMatchObject({ version: '1.1.0', status: 'enabled' });
    expect((await admin('GET', '/api/supplier-evaluations')).statusCode).toBe(200);
  });

  it('upgrades from an uploaded package', async () => {
    const built = await buildPluginPackage(copyAt('1.2.0'), join(work, 'packages'));
    const upgraded = await admin('POST', '/api/admin/plugins/procurement/upgrade', readFileSync(built.file));
    expect(upgraded.statusCode).toBe(200);
    expect(pluginOf(upgraded)).toMatchObject({ version: '1.2.0', status: 'enabled' });
    expect((await admin('GET', '/api/supplier-evaluations')).statusCode).toBe(200);
  }, 120_000);

  it('installs an uploaded package of a catalog plugin after an uninstall', async () => {
    expect((await admin('DELETE', '/api/admin/plugins/procurement')).statusCode).toBe(204);
    const built = await buildPluginPackage(copyAt('1.3.0'), join(work, 'packages'));
    const installed = await admin('POST', '/api/admin/plugins?enable=true', readFileSync(built.file));
    expect(installed.statusCode).toBe(201);
    expect(pluginOf(installed)).toMatchObject({ version: '1.3.0', status: 'enabled' });
    expect((await admin('GET', '/api/supplier-evaluations')).statusCode).toBe(200);
  }, 120_000);
});
