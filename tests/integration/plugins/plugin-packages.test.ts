import { createHash, generateKeyPairSync, verify } from 'node:crypto';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { RunningServer } from '../../../platform/src/bootstrap/start-server';
import { buildPluginPackage, type BuiltPackage } from '../../../platform/src/plugins/plugin-package';
import { readTarGz, writeTarGz } from '../../../platform/src/plugins/plugin-tar';
import { runMes } from '../../support/run-mes';
import {
  bootServer,
  PLUGIN_FIXTURES,
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
  packageSha256?: string;
}

const LIMITS = { maxBytes: 10 * 1024 * 1024, maxEntries: 1000 };
const UPLOAD_LIMIT = 64 * 1024;
const MANIFEST = Buffer.from(
  'plugin: evil\nversion: 1.0.0\nlabel: { en: Evil }\nengine: ">=0.1.0"\ndatabase: core\n',
);

describe('mes plugin build', () => {
  let out: string;
  let built: BuiltPackage;

  beforeAll(async () => {
    out = mkdtempSync(join(tmpdir(), 'mes-pack-'));
    built = await buildPluginPackage(join(PLUGIN_FIXTURES, 'gadgets'), out);
  });
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it('writes <name>-<version>.tgz and its sha256', () => {
    expect(built.file).toBe(join(out, 'gadgets-1.0.0.tgz'));
    const digest = createHash('sha256').update(readFileSync(built.file)).digest('hex');
    expect(built.sha256).toBe(digest);
    expect(readFileSync(`${built.file}.sha256`, 'utf8')).toBe(`${digest}  gadgets-1.0.0.tgz\n`);
  });

  it('packs metadata, migrations and the compiled server code, not the TypeScript sources', async () => {
    const paths = (await readTarGz(readFileSync(built.file), LIMITS)).map((f) => f.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        'gadgets/plugin.yaml',
        'gadgets/metadata/entities/gadget.yaml',
        'gadgets/migrations/001-seed-gadget.sql',
        'gadgets/server/dist/index.js',
        'gadgets/server/dist/behaviour.js',
      ]),
    );
    expect(paths.filter((p) => p.endsWith('.ts'))).toEqual([]);
  });

  it('signs the package with --sign: <file>.sig verifies against the public key', async () => {
    const keys = generateKeyPairSync('ed25519');
    const keyFile = join(out, 'signing.pem');
    writeFileSync(keyFile, keys.privateKey.export({ type: 'pkcs8', format: 'pem' }));
    const signedOut = join(out, 'signed');
    const run = await runMes([
      'plugin',
      'build',
      join(PLUGIN_FIXTURES, 'gadgets'),
      '--out',
      signedOut,
      '--sign',
      keyFile,
      '--json',
    ]);
    expect(run.exitCode).toBe(0);
    const result = JSON.parse(run.stdout) as BuiltPackage;
    expect(result.signatureFile).toBe(join(signedOut, 'gadgets-1.0.0.tgz.sig'));
    const signature = Buffer.from(readFileSync(result.signatureFile!, 'utf8').trim(), 'base64');
    expect(verify(null, readFileSync(result.file), keys.publicKey, signature)).toBe(true);
    expect(verify(null, Buffer.from('other bytes'), keys.publicKey, signature)).toBe(false);
  }, 60_000);

  it('refuses a signing key that is not Ed25519', async () => {
    const keyFile = join(out, 'rsa.pem');
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey;
    writeFileSync(keyFile, rsa.export({ type: 'pkcs8', format: 'pem' }));
    await expect(
      runMes(['plugin', 'build', join(PLUGIN_FIXTURES, 'gadgets'), '--out', out, '--sign', keyFile]),
    ).rejects.toThrow('an Ed25519 private key is required, not rsa');
  });

  it('is reproducible: the same folder gives the same bytes', async () => {
    const again = mkdtempSync(join(tmpdir(), 'mes-pack-'));
    try {
      expect((await buildPluginPackage(join(PLUGIN_FIXTURES, 'gadgets'), again)).sha256).toBe(built.sha256);
    } finally {
      rmSync(again, { recursive: true, force: true });
    }
  });
});

describe.each<TestDialect>(TEST_DIALECTS)('plugin packages uploaded on %s', (dialect) => {
  let database: PluginTestDatabase;
  let server: RunningServer;
  let out: string;
  let built: BuiltPackage;

  beforeAll(async () => {
    database = testDatabase(dialect, 'plugpkg');
    server = await bootServer(database, { PLUGIN_UPLOAD_LIMIT: String(UPLOAD_LIMIT) });
    out = mkdtempSync(join(tmpdir(), 'mes-pack-'));
    built = await buildPluginPackage(join(PLUGIN_FIXTURES, 'gadgets'), out);
  }, 180_000);
  afterAll(async () => {
    await server?.close();
    await database?.drop();
    rmSync(out, { recursive: true, force: true });
  });

  const upload = (archive: Buffer, url = '/api/admin/plugins?enable=true') =>
    server.app.inject({
      method: 'POST',
      url,
      headers: { 'content-type': 'application/gzip' },
      payload: archive,
    });
  const storeRoot = () => database.env.PLUGIN_STORE_DIR;

  it('refuses an archive with a path escaping the package with 422 path-traversal; nothing is written', async () => {
    const archive = await writeTarGz([
      { path: 'evil/plugin.yaml', content: MANIFEST },
      { path: 'evil/../../escaped.txt', content: Buffer.from('outside') },
    ]);
    const refused = await upload(archive);
    expect(refused.statusCode).toBe(422);
    const body = refused.json<ErrorEnvelope>();
    expect(body.errors?.[0]).toMatchObject({ rule: 'path-traversal' });
    expect(body.message).toContain('escaped.txt');
    expect(existsSync(join(storeRoot(), 'escaped.txt'))).toBe(false);
    expect(existsSync(join(dirname(storeRoot()), 'escaped.txt'))).toBe(false);
    expect(
      (await server.app.inject({ method: 'GET', url: '/api/admin/plugins' })).json<Envelope<unknown[]>>()
        .data,
    ).toEqual([]);
  });

  it('refuses absolute paths, archives without plugin.yaml and bodies that are not gzip with 422', async () => {
    const absolute = await upload(await writeTarGz([{ path: '/etc/evil.yaml', content: MANIFEST }]));
    expect(absolute.json<ErrorEnvelope>().errors?.[0]).toMatchObject({ rule: 'path-traversal' });
    const noManifest = await upload(
      await writeTarGz([{ path: 'x/metadata/a.yaml', content: Buffer.from('a: 1') }]),
    );
    expect(noManifest.statusCode).toBe(422);
    expect(noManifest.json<ErrorEnvelope>().errors?.[0]).toMatchObject({ rule: 'manifest' });
    const garbage = await upload(Buffer.from('not an archive at all'));
    expect(garbage.statusCode).toBe(422);
    expect(garbage.json<ErrorEnvelope>().errors?.[0]).toMatchObject({ rule: 'gzip' });
    const leftovers = existsSync(storeRoot()) ? readdirSync(storeRoot()).filter((f) => f !== '.code') : [];
    expect(leftovers).toEqual([]);
  });

  it('refuses an upload above PLUGIN_UPLOAD_LIMIT with 413', async () => {
    const tooLarge = await upload(Buffer.alloc(UPLOAD_LIMIT + 1, 1));
    expect(tooLarge.statusCode).toBe(413);
    expect(tooLarge.json<ErrorEnvelope>().code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('installs the built .tgz: checksum and package sha256 recorded, its compiled code serves', async () => {
    const installed = await upload(readFileSync(built.file));
    expect(installed.statusCode).toBe(201);
    expect(installed.json<Envelope<PluginView>>().data).toMatchObject({
      name: 'gadgets',
      version: '1.0.0',
      status: 'enabled',
      checksum: built.checksum,
      packageSha256: built.sha256,
    });
    const created = await server.app.inject({
      method: 'POST',
      url: '/api/gadgets',
      payload: { name: 'packaged' },
    });
    expect(created.json<Envelope<{ note: string }>>().data.note).toBe('stamped by v1');
    const stats = await server.app.inject({ method: 'GET', url: '/api/plugins/gadgets/stats' });
    expect(stats.statusCode).toBe(200);
  });

  it('refuses the same package again with 409 and keeps the installed files', async () => {
    const again = await upload(readFileSync(built.file));
    expect(again.statusCode).toBe(409);
    const stats = await server.app.inject({ method: 'GET', url: '/api/plugins/gadgets/stats' });
    expect(stats.statusCode).toBe(200);
  });

  it('upgrades from an uploaded package of a newer version: new code serves, its sha256 recorded', async () => {
    const source = join(out, 'v2', 'gadgets');
    cpSync(join(PLUGIN_FIXTURES, 'gadgets'), source, { recursive: true });
    const manifest = join(source, 'plugin.yaml');
    writeFileSync(manifest, readFileSync(manifest, 'utf8').replace('version: 1.0.0', 'version: 1.1.0'));
    writeFileSync(join(source, 'server', 'behaviour.ts'), "export const BEHAVIOUR = 'v2';\n");
    const v2 = await buildPluginPackage(source, join(out, 'v2'));
    const upgraded = await upload(readFileSync(v2.file), '/api/admin/plugins/gadgets/upgrade');
    expect(upgraded.statusCode).toBe(200);
    expect(upgraded.json<Envelope<PluginView>>().data).toMatchObject({
      version: '1.1.0',
      checksum: v2.checksum,
      packageSha256: v2.sha256,
    });
    const created = await server.app.inject({
      method: 'POST',
      url: '/api/gadgets',
      payload: { name: 'upgraded' },
    });
    expect(created.json<Envelope<{ note: string }>>().data.note).toBe('stamped by v2');
  });
});
