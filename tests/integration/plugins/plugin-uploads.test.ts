/**
 * MES_PLUGIN_UPLOADS: package uploads are refused with 403 naming the setting when it is off, which is
 * the default with NODE_ENV=production; plugins on the server's disk can still be installed.
 * The switch is independent of the database, so this runs on SQLite only.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKey } from '../../../platform/src/security/crypto/key-ring';
import { buildPluginPackage } from '../../../platform/src/plugins/plugin-package';
import {
  bootSignedInServer,
  PLUGIN_FIXTURES,
  testDatabase,
  type PluginTestDatabase,
  type SignedInServer,
} from './plugin-harness';

interface ErrorEnvelope {
  code: string;
  message: string;
}

const PRODUCTION = {
  NODE_ENV: 'production',
  MES_ENCRYPTION_KEY: generateKey(),
  MES_JWT_SECRET: 'jwt-secret-for-plugin-upload-tests-0123',
};

let out: string;
let archive: Buffer;

beforeAll(async () => {
  out = mkdtempSync(join(tmpdir(), 'mes-uploads-'));
  archive = readFileSync((await buildPluginPackage(join(PLUGIN_FIXTURES, 'gadgets'), out)).file);
}, 120_000);
afterAll(() => rmSync(out, { recursive: true, force: true }));

describe.each<[string, Record<string, string>, boolean]>([
  ['NODE_ENV=production (default off)', PRODUCTION, false],
  ['MES_PLUGIN_UPLOADS=off', { MES_PLUGIN_UPLOADS: 'off' }, false],
  ['NODE_ENV=production with MES_PLUGIN_UPLOADS=on', { ...PRODUCTION, MES_PLUGIN_UPLOADS: 'on' }, true],
])('plugin uploads with %s', (_label, env, allowed) => {
  let database: PluginTestDatabase;
  let mes: SignedInServer;

  beforeAll(async () => {
    database = testDatabase('sqlite', 'plugup');
    mes = await bootSignedInServer(database, env);
  }, 180_000);
  afterAll(async () => {
    await mes?.server.close();
    await database?.drop();
  });

  const upload = (url: string) =>
    mes.call('admin', {
      method: 'POST',
      url,
      payload: archive,
      headers: { 'content-type': 'application/gzip' },
    });

  if (allowed)
    it('accepts an uploaded package', async () => {
      expect((await upload('/api/admin/plugins')).statusCode).toBe(201);
    });
  else {
    it('refuses an uploaded package with 403 naming MES_PLUGIN_UPLOADS, for install and upgrade', async () => {
      for (const url of ['/api/admin/plugins?enable=true', '/api/admin/plugins/gadgets/upgrade']) {
        const refused = await upload(url);
        expect(refused.statusCode).toBe(403);
        const body = refused.json<ErrorEnvelope>();
        expect(body.code).toBe('FORBIDDEN');
        expect(body.message).toContain('MES_PLUGIN_UPLOADS=off');
      }
      expect(await mes.query('SELECT name FROM ext_plugin')).toEqual([]);
    });

    it('still installs a plugin folder on the server', async () => {
      const installed = await mes.call('admin', {
        method: 'POST',
        url: '/api/admin/plugins',
        payload: { source: join(PLUGIN_FIXTURES, 'gauges') },
      });
      expect(installed.statusCode).toBe(201);
    });
  }
});
