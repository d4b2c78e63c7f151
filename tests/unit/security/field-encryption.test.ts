import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  decryptValue,
  encryptValue,
  keyIdOfValue,
  reencryptValue,
} from '../../../platform/src/security/crypto/field-encryption';
import { generateKey, loadKeyRing, parseKeyRing } from '../../../platform/src/security/crypto/key-ring';
import { sealedColumnLength } from '../../../metadata/src/model/sealed-length';
import { unsealableSensitiveFields } from '../../../platform/src/security/crypto/sensitive-fields';
import { coreModel } from '../../fixtures/security/core-model';

describe('field encryption', () => {
  const oldKey = generateKey();
  const newKey = generateKey();

  it('round-trips with a fresh IV each time and refuses altered ciphertext', () => {
    const ring = parseKeyRing(oldKey);
    const a = encryptValue('13800138000', ring);
    const b = encryptValue('13800138000', ring);
    expect(a).not.toBe(b);
    expect(a).not.toContain('13800138000');
    expect(decryptValue(a, ring)).toBe('13800138000');
    const parts = a.split(':');
    parts[5] = Buffer.from('13800138001').toString('base64url');
    expect(() => decryptValue(parts.join(':'), ring)).toThrow('failed authentication');
    expect(decryptValue('legacy plain', ring)).toBe('legacy plain');
  });

  it('rotates: the new ring reads old values and re-encrypts them with the active key', () => {
    const before = encryptValue('li.wei@example.com', parseKeyRing(oldKey));
    const rotated = parseKeyRing(`${newKey},${oldKey}`);
    const after = reencryptValue(before, rotated) as string;
    expect(keyIdOfValue(after)).toBe(rotated.activeKeyId);
    expect(reencryptValue(after, rotated)).toBeNull();
    expect(decryptValue(after, parseKeyRing(newKey))).toBe('li.wei@example.com');
    expect(() => decryptValue(before, parseKeyRing(newKey))).toThrow('not configured');
  });

  it('rejects keys of the wrong size', () => {
    expect(() => parseKeyRing(Buffer.alloc(16).toString('base64'))).toThrow('must be 32 bytes');
  });

  it('generates a key file once outside production, and requires the variable in production', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'mes-keys-')), 'data', 'encryption.key');
    const warnings: string[] = [];
    const first = loadKeyRing({}, file, (m) => warnings.push(m));
    const second = loadKeyRing({}, file, (m) => warnings.push(m));
    expect(second.activeKeyId).toBe(first.activeKeyId);
    expect(warnings).toHaveLength(1);
    expect(readFileSync(file, 'utf8').trim()).toHaveLength(44);
    expect(() => loadKeyRing({ NODE_ENV: 'production' }, file)).toThrow('required in production');
  });
});

describe('sealed column length', () => {
  it('holds the ciphertext of the longest plaintext, four-byte characters included', () => {
    const ring = parseKeyRing(generateKey());
    for (const length of [1, 32, 128, 255]) {
      const worst = encryptValue('😀'.repeat(length), ring);
      expect(worst.length).toBeLessThanOrEqual(sealedColumnLength(length));
      expect(worst.length).toBeGreaterThan(sealedColumnLength(length) - 4);
    }
  });
});

describe('sensitive fields the engine can seal', () => {
  it('accepts the core metadata and names sensitive fields without a text column', () => {
    const model = coreModel();
    expect(unsealableSensitiveFields(model)).toEqual([]);
    const customer = model.entities.get('customer')!;
    const field = customer.fieldsByName.get('remarks')!;
    const changed = {
      ...model,
      entities: new Map([
        ...model.entities,
        [
          'customer',
          {
            ...customer,
            fields: [
              ...customer.fields,
              { ...field, name: 'credit_limit', columnType: 'decimal' as const, sensitive: true },
            ],
          },
        ],
      ]),
    };
    expect(unsealableSensitiveFields(changed)).toEqual(['customer.credit_limit']);
  });
});
