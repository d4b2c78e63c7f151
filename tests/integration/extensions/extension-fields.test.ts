import type { RunningServer } from '../../../platform/src/bootstrap/start-server';
import {
  bootServer,
  testDatabase,
  type PluginTestDatabase,
  type TestDialect,
} from '../plugins/plugin-harness';
import { TEST_DIALECTS } from '../../support/test-dialects';

interface Envelope<T> {
  data: T;
}
interface ErrorEnvelope {
  code: string;
  errors?: { field: string; path: string; rule: string }[];
}
interface EntityMetaView {
  fields: { name: string }[];
}

const FIELDS_URL = '/api/admin/extensions/supplier_master/fields';
const RISK_FIELD = {
  name: 'risk_class',
  type: 'enum',
  values: ['LOW', 'MEDIUM', 'HIGH'],
  label: { en: 'Risk class', zh: '风险等级' },
};

describe.each<TestDialect>(TEST_DIALECTS)('extension fields at runtime on %s', (dialect) => {
  let database: PluginTestDatabase;
  let server: RunningServer;

  beforeAll(async () => {
    database = testDatabase(dialect, 'extensions');
    server = await bootServer(database);
  }, 180_000);
  afterAll(async () => {
    await server?.close();
    await database?.drop();
  });

  const call = (
    method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
    url: string,
    payload?: object,
    tenant = 'demo',
  ) =>
    server.app.inject({ method, url, headers: { 'x-tenant-id': tenant }, ...(payload ? { payload } : {}) });

  const metaFields = async (tenant = 'demo') =>
    (await call('GET', '/api/meta/entities/supplier_master', undefined, tenant))
      .json<Envelope<EntityMetaView>>()
      .data.fields.map((f) => f.name);

  it('rejects a bad definition with 422 naming field and rule; the Model is unchanged', async () => {
    const version = server.registry.current().version;
    const response = await call('POST', FIELDS_URL, { ...RISK_FIELD, type: 'colour' });
    expect(response.statusCode).toBe(422);
    const error = response.json<ErrorEnvelope>();
    expect(error.code).toBe('VALIDATION_FAILED');
    expect(error.errors).toEqual(
      expect.arrayContaining([expect.objectContaining({ path: '/type', rule: 'enum' })]),
    );
    expect(server.registry.current().version).toBe(version);
  });

  it('refuses a name the entity already declares', async () => {
    const response = await call('POST', FIELDS_URL, { ...RISK_FIELD, name: 'supplier_name' });
    expect(response.statusCode).toBe(409);
  });

  it('adds a field: at once stored, validated, filterable, in meta and OpenAPI, for this tenant only', async () => {
    const added = await call('POST', FIELDS_URL, RISK_FIELD);
    expect(added.statusCode).toBe(201);
    expect(added.json<Envelope<{ status: string }>>().data.status).toBe('active');

    const created = await call('POST', '/api/suppliers', { supplierName: 'Risky Co', riskClass: 'HIGH' });
    expect(created.statusCode).toBe(201);
    const id = created.json<Envelope<{ id: number }>>().data.id;
    await call('POST', '/api/suppliers', { supplierName: 'Safe Co', riskClass: 'LOW' });
    const read = await call('GET', `/api/suppliers/${id}`);
    expect(read.json<Envelope<{ riskClass: string }>>().data.riskClass).toBe('HIGH');

    const invalid = await call('POST', '/api/suppliers', { supplierName: 'Bad Co', riskClass: 'EXTREME' });
    expect(invalid.statusCode).toBe(422);

    const filtered = await call('GET', '/api/suppliers?filter[riskClass]=HIGH');
    expect(filtered.statusCode).toBe(200);
    expect(
      filtered.json<Envelope<{ items: { supplierName: string }[] }>>().data.items.map((r) => r.supplierName),
    ).toEqual(['Risky Co']);

    expect(await metaFields()).toContain('risk_class');
    expect(await metaFields('other')).not.toContain('risk_class');
    const openapi = await server.app.inject({ method: 'GET', url: '/api-docs/json' });
    expect(openapi.body).toContain('riskClass');
  });

  it('renames the field and keeps the stored values under the new name', async () => {
    const renamed = await call('PATCH', `${FIELDS_URL}/risk_class`, { name: 'risk_tier' });
    expect(renamed.statusCode).toBe(200);
    const filtered = await call('GET', '/api/suppliers?filter[riskTier]=HIGH');
    expect(filtered.json<Envelope<{ items: { riskTier: string }[] }>>().data.items).toEqual([
      expect.objectContaining({ riskTier: 'HIGH' }),
    ]);
  });

  it('deletes by archiving: the field leaves the Model, the values stay in the rows', async () => {
    expect((await call('DELETE', `${FIELDS_URL}/risk_tier`)).statusCode).toBe(204);
    expect(await metaFields()).not.toContain('risk_tier');
    const listed = (await call('GET', FIELDS_URL)).json<Envelope<{ name: string; status: string }[]>>().data;
    expect(listed).toEqual([expect.objectContaining({ name: 'risk_tier', status: 'archived' })]);
    const rows = (await server.dataSource.query(
      "SELECT ext FROM supplier_master WHERE supplier_name = 'Risky Co'",
    )) as { ext: string | Record<string, unknown> }[];
    const ext =
      typeof rows[0].ext === 'string' ? (JSON.parse(rows[0].ext) as Record<string, unknown>) : rows[0].ext;
    expect(ext.risk_tier).toBe('HIGH');
  });

  it('keeps the extension fields after a restart', async () => {
    expect(
      (await call('POST', FIELDS_URL, { ...RISK_FIELD, name: 'audit_score', type: 'integer' })).statusCode,
    ).toBe(201);
    await server.close();
    server = await bootServer(database);
    expect(await metaFields()).toContain('audit_score');
  }, 120_000);
});
