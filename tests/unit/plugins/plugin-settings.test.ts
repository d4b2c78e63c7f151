import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pluginSettings } from '../../../platform/src/plugins/plugin-settings';

describe('plugin settings', () => {
  let root: string;
  const publicPem = () =>
    generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' }).toString();

  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'mes-plugin-settings-'));
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('accepts uploads by default outside production and refuses them by default in production', () => {
    expect(pluginSettings({}, root).uploads).toBe(true);
    expect(pluginSettings({ NODE_ENV: 'production' }, root).uploads).toBe(false);
  });

  it('follows MES_PLUGIN_UPLOADS whatever NODE_ENV is, and names it when the value is wrong', () => {
    expect(pluginSettings({ MES_PLUGIN_UPLOADS: 'off' }, root).uploads).toBe(false);
    expect(pluginSettings({ NODE_ENV: 'production', MES_PLUGIN_UPLOADS: 'on' }, root).uploads).toBe(true);
    expect(() => pluginSettings({ MES_PLUGIN_UPLOADS: 'yes' }, root)).toThrow(
      "MES_PLUGIN_UPLOADS must be on or off; got 'yes'",
    );
  });

  it('trusts no key by default', () => {
    expect(pluginSettings({}, root).trustedKeys).toEqual([]);
  });

  it('reads MES_PLUGIN_TRUSTED_KEYS from inline PEM and from files, relative to the project root', () => {
    writeFileSync(join(root, 'team.pem'), publicPem() + publicPem());
    const keys = pluginSettings({ MES_PLUGIN_TRUSTED_KEYS: `team.pem,\n${publicPem()}` }, root).trustedKeys;
    expect(keys).toHaveLength(3);
    expect(keys.map((key) => key.asymmetricKeyType)).toEqual(['ed25519', 'ed25519', 'ed25519']);
  });

  it('refuses private keys, other key types and missing files', () => {
    const privatePem = generateKeyPairSync('ed25519')
      .privateKey.export({ type: 'pkcs8', format: 'pem' })
      .toString();
    expect(() => pluginSettings({ MES_PLUGIN_TRUSTED_KEYS: privatePem }, root)).toThrow(
      'only public keys (-----BEGIN PUBLIC KEY-----) may be trusted',
    );
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 })
      .publicKey.export({ type: 'spki', format: 'pem' })
      .toString();
    expect(() => pluginSettings({ MES_PLUGIN_TRUSTED_KEYS: rsa }, root)).toThrow(
      'an Ed25519 key is required, not rsa',
    );
    expect(() => pluginSettings({ MES_PLUGIN_TRUSTED_KEYS: 'missing.pem' }, root)).toThrow(
      `${join(root, 'missing.pem')} does not exist`,
    );
  });
});
