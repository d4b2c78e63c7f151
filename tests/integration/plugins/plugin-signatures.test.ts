/**
 * MES_PLUGIN_TRUSTED_KEYS: an uploaded package must carry a detached Ed25519 signature by one of the
 * trusted keys; unsigned or badly signed packages are refused before anything is unpacked.
 */
import { generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildPluginPackage, type BuiltPackage } from '../../../platform/src/plugins/plugin-package';
import { signPackage } from '../../../platform/src/plugins/plugin-signature';
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

describe.each<TestDialect>(TEST_DIALECTS)('signed plugin packages on %s', (dialect) => {
  let database: PluginTestDatabase;
  let mes: SignedInServer;
  let work: string;
  let signed: BuiltPackage;

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'mes-plugin-keys-'));
    const trusted = generateKeyPairSync('ed25519');
    const publicKeyFile = join(work, 'trusted.pem');
    writeFileSync(publicKeyFile, trusted.publicKey.export({ type: 'spki', format: 'pem' }));
    signed = await buildPluginPackage(join(PLUGIN_FIXTURES, 'gadgets'), work, trusted.privateKey);
    database = testDatabase(dialect, 'plugsign');
    mes = await bootSignedInServer(database, { MES_PLUGIN_TRUSTED_KEYS: publicKeyFile });
  }, 180_000);
  afterAll(async () => {
    await mes?.server.close();
    await database?.drop();
    rmSync(work, { recursive: true, force: true });
  });

  const upload = (archive: Buffer, signature?: string) =>
    mes.call('admin', {
      method: 'POST',
      url: '/api/admin/plugins?enable=true',
      payload: archive,
      headers: {
        'content-type': 'application/gzip',
        ...(signature === undefined ? {} : { 'x-plugin-signature': signature }),
      },
    });
  const pluginRows = () => mes.query<{ name: string }>('SELECT name FROM ext_plugin');
  const storeFolders = () =>
    existsSync(database.env.PLUGIN_STORE_DIR)
      ? readdirSync(database.env.PLUGIN_STORE_DIR).filter((f) => f !== '.code')
      : [];

  it('refuses an unsigned package with 422 signature-missing and unpacks nothing', async () => {
    const refused = await upload(readFileSync(signed.file));
    expect(refused.statusCode).toBe(422);
    const body = refused.json<ErrorEnvelope>();
    expect(body.errors?.[0]).toMatchObject({ rule: 'signature-missing' });
    expect(body.message).toContain('MES_PLUGIN_TRUSTED_KEYS');
    expect(await pluginRows()).toEqual([]);
    expect(storeFolders()).toEqual([]);
  });

  it('refuses a package signed by an untrusted key, or changed after signing, with 422 signature-invalid', async () => {
    const archive = readFileSync(signed.file);
    const stranger = generateKeyPairSync('ed25519').privateKey;
    const altered = Buffer.concat([archive, Buffer.alloc(1)]);
    const signature = readFileSync(signed.signatureFile!, 'utf8').trim();
    for (const [body, sig] of [
      [archive, signPackage(archive, stranger)],
      [altered, signature],
      [archive, 'not-base64!'],
    ] as const) {
      const refused = await upload(body, sig);
      expect(refused.statusCode).toBe(422);
      expect(refused.json<ErrorEnvelope>().errors?.[0]).toMatchObject({ rule: 'signature-invalid' });
    }
    expect(await pluginRows()).toEqual([]);
    expect(storeFolders()).toEqual([]);
  });

  it('installs a package signed by a trusted key', async () => {
    const signature = readFileSync(signed.signatureFile!, 'utf8').trim();
    const installed = await upload(readFileSync(signed.file), signature);
    expect(installed.statusCode).toBe(201);
    expect(installed.json<{ data: object }>().data).toMatchObject({
      name: 'gadgets',
      status: 'enabled',
      packageSha256: signed.sha256,
    });
  });
});
