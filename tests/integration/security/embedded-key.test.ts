/**
 * The embedded default: a server started without MES_ENCRYPTION_KEY generates a key file on first
 * start with a warning, seals sensitive values with it, and reuses it on the next start.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { startServer } from '../../../platform/src/bootstrap/start-server';
import { keyIdOfValue } from '../../../platform/src/security/crypto/field-encryption';
import { parseKeyRing } from '../../../platform/src/security/crypto/key-ring';

describe('embedded encryption key', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mes-embedded-key-'));
  const keyFile = join(dir, 'keys', 'encryption.key');
  const env = {
    DATABASE_URL: `sqlite:${join(dir, 'mes.sqlite')}`,
    SEED_DEMO: 'false',
    LOG_LEVEL: 'warn',
    MES_AUTH: 'off',
    MES_JWT_SECRET: 'jwt-secret-for-tests-0123456789abcdef',
    MES_ENCRYPTION_KEY_FILE: keyFile,
  };
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const start = async () => {
    const lines: string[] = [];
    const logDestination = new Writable({
      write: (chunk, _encoding, done) => {
        lines.push(String(chunk));
        done();
      },
    });
    return { server: await startServer({ env, listen: false, logDestination }), lines };
  };

  it('generates the key on first start with a warning and seals values with it', async () => {
    const { server, lines } = await start();
    try {
      expect(existsSync(keyFile)).toBe(true);
      expect(lines.join('')).toContain('MES_ENCRYPTION_KEY is not set: generated');
      const created = await server.app.inject({
        method: 'POST',
        url: '/api/customers',
        payload: { customerName: 'Embedded Ltd', contactPhone: '13900139000' },
      });
      expect(created.statusCode).toBe(201);
      const [row] = (await server.dataSource.query(
        "SELECT contact_phone FROM customer WHERE customer_name = 'Embedded Ltd'",
      )) as { contact_phone: string }[];
      expect(keyIdOfValue(row.contact_phone)).toBe(parseKeyRing(readFileSync(keyFile, 'utf8')).activeKeyId);
    } finally {
      await server.close();
    }
  });

  it('reuses the stored key on the next start, without a warning', async () => {
    const { server, lines } = await start();
    try {
      expect(lines.join('')).not.toContain('MES_ENCRYPTION_KEY is not set');
      const read = await server.app.inject({ url: '/api/customers?filter[customerName]=Embedded%20Ltd' });
      expect(read.json().data.items[0].contactPhone).toBe('13900139000');
    } finally {
      await server.close();
    }
  });
});
