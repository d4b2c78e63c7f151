/**
 * Sensitive fields end to end on SQLite and MariaDB: every write path stores AES-256-GCM ciphertext
 * (read back from the raw row), reads decrypt, readers without `<entity>:unmask` see masked values,
 * filters and sorts on a sensitive field are 400, and `mes keys rotate` re-encrypts with a new key.
 */
import { keyIdOfValue, isEncrypted } from '../../../platform/src/security/crypto/field-encryption';
import { generateKey, parseKeyRing } from '../../../platform/src/security/crypto/key-ring';
import { rotateSensitiveColumns } from '../../../platform/src/security/crypto/rotate-keys';
import { installSensitiveKeyRing } from '../../../platform/src/security/crypto/sensitive-fields';
import { expectIntactAuditChain } from '../../support/sealed-audit';
import { startSecurityServer, type Dialect, type SecurityServer } from './security-server';
import { TEST_DIALECTS } from '../../support/test-dialects';

const OLD_KEY = generateKey();
const NEW_KEY = generateKey();

describe.each<Dialect>(TEST_DIALECTS)('sensitive fields on %s', (dialect) => {
  let mes: SecurityServer;
  const rawCustomer = async (id: number) =>
    (
      await mes.query<{ contact_email: string | null; contact_phone: string | null }>(
        'SELECT contact_email, contact_phone FROM customer WHERE id = ?',
        [id],
      )
    )[0];

  beforeAll(async () => {
    mes = await startSecurityServer(dialect, 'sensitive', { MES_ENCRYPTION_KEY: OLD_KEY });
  });
  afterAll(async () => {
    await mes?.stop();
  });

  it('encrypts on create, update and bulk, and decrypts on read', async () => {
    const created = await mes.call('admin', 'POST', '/api/customers', {
      customerName: 'Encrypted Ltd',
      contactEmail: 'li.wei@example.com',
      contactPhone: '13800138000',
    });
    expect(created.statusCode).toBe(201);
    const { id, version } = created.json().data as { id: number; version: number };
    expect(created.json().data).toMatchObject({ contactEmail: 'li.wei@example.com' });
    const stored = await rawCustomer(id);
    expect(isEncrypted(stored.contact_email)).toBe(true);
    expect(stored.contact_email).not.toContain('li.wei');
    expect(keyIdOfValue(stored.contact_phone as string)).toBe(parseKeyRing(OLD_KEY).activeKeyId);

    const updated = await mes.call('admin', 'PATCH', `/api/customers/${id}`, {
      contactEmail: 'wang.fang@example.com',
      version,
    });
    expect(updated.statusCode).toBe(200);
    expect((await rawCustomer(id)).contact_email).not.toContain('wang.fang');
    const read = await mes.call('admin', 'GET', `/api/customers/${id}`);
    expect(read.json().data).toMatchObject({
      contactEmail: 'wang.fang@example.com',
      contactPhone: '13800138000',
    });

    const bulk = await mes.call('admin', 'POST', '/api/customers/bulk', {
      mode: 'create',
      rows: [{ customerName: 'Bulk Ltd', contactEmail: 'bulk@example.com' }],
    });
    expect(bulk.statusCode).toBe(200);
    const [row] = await mes.query<{ contact_email: string }>(
      "SELECT contact_email FROM customer WHERE customer_name = 'Bulk Ltd'",
    );
    expect(isEncrypted(row.contact_email)).toBe(true);
  });

  it('encrypts imported rows', async () => {
    const response = await mes.server.app.inject({
      method: 'POST',
      url: '/api/customers/import',
      headers: {
        authorization: `Bearer ${await mes.login('admin')}`,
        'content-type': 'text/csv',
      },
      payload: 'customerName,contactEmail\nImport Ltd,import@example.com\n',
    });
    expect(response.statusCode).toBe(200);
    const [row] = await mes.query<{ contact_email: string }>(
      "SELECT contact_email FROM customer WHERE customer_name = 'Import Ltd'",
    );
    expect(isEncrypted(row.contact_email)).toBe(true);
    const list = await mes.call('admin', 'GET', '/api/customers?filter[customerName]=Import%20Ltd');
    expect(list.json().data.items[0].contactEmail).toBe('import@example.com');
  });

  it('masks sensitive values for readers without unmask and shows them to holders', async () => {
    const masked = await mes.call('planner', 'GET', '/api/customers?filter[customerName]=Encrypted%20Ltd');
    expect(masked.statusCode).toBe(200);
    expect(masked.json().data.items[0]).toMatchObject({
      contactEmail: 'wa****@example.com',
      contactPhone: '****8000',
    });
    const clear = await mes.call('admin', 'GET', '/api/customers?filter[customerName]=Encrypted%20Ltd');
    expect(clear.json().data.items[0]).toMatchObject({ contactEmail: 'wang.fang@example.com' });
  });

  it('refuses filters and sorts on a sensitive field with 400 naming it', async () => {
    for (const url of [
      '/api/customers?filter[contactEmail]=wang.fang@example.com',
      '/api/customers?filter[contactEmail][contains]=wang',
      '/api/customers?sort=-contactPhone',
    ]) {
      const response = await mes.call('admin', 'GET', url);
      expect(response.statusCode).toBe(400);
      expect(response.body).toMatch(/contact(Email|Phone) is a sensitive \(encrypted\) field/);
    }
    expect(
      (await mes.call('admin', 'GET', '/api/customers?filter[contactEmail][notNull]=1')).statusCode,
    ).toBe(200);
  });

  it('keeps sensitive values out of the audit trail while recording that they changed', async () => {
    const rows = await mes.query<{ diff: unknown }>(
      "SELECT diff FROM audit_log WHERE entity_name = 'customer' AND action = 'UPDATE'",
    );
    expect(rows.length).toBeGreaterThan(0);
    const text = rows
      .map((row) => (typeof row.diff === 'string' ? row.diff : JSON.stringify(row.diff)))
      .join();
    expect(text).toContain('contactEmail');
    expect(text).not.toContain('wang.fang');
    await expectIntactAuditChain(mes.database);
  });

  it('rotates every sensitive column to the new key and keeps the values', async () => {
    const model = mes.server.registry.current();
    const ring = parseKeyRing(`${NEW_KEY},${OLD_KEY}`);
    const result = await rotateSensitiveColumns(mes.database, model, ring);
    expect(result.rewritten['customer.contact_email']).toBeGreaterThanOrEqual(3);
    const stored = await mes.query<{ contact_email: string | null }>(
      'SELECT contact_email FROM customer WHERE contact_email IS NOT NULL',
    );
    for (const row of stored) expect(keyIdOfValue(row.contact_email as string)).toBe(ring.activeKeyId);
    expect(
      (await rotateSensitiveColumns(mes.database, model, ring)).rewritten['customer.contact_email'],
    ).toBe(0);
    installSensitiveKeyRing(parseKeyRing(NEW_KEY));
    try {
      const read = await mes.call('admin', 'GET', '/api/customers?filter[customerName]=Encrypted%20Ltd');
      expect(read.json().data.items[0].contactEmail).toBe('wang.fang@example.com');
    } finally {
      installSensitiveKeyRing(parseKeyRing(OLD_KEY));
    }
  });
});
