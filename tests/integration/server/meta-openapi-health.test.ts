import { compileModel } from '../../../metadata/src/model';
import { validateMetadata } from '../../../metadata/src/validator';
import { FIXTURE_METADATA, startTestServer, type TestServer } from './server-harness';

let test: TestServer;

beforeAll(async () => {
  test = await startTestServer();
});
afterAll(async () => {
  await test?.stop();
});

/** Swaps in the fixture Model plus one extension field on work_order, as the registry does at runtime. */
function swapInExtensionField(): void {
  const { set } = validateMetadata([FIXTURE_METADATA]);
  const model = compileModel(set, {
    version: test.server.registry.nextVersion(),
    extensionFields: [
      {
        entity: 'work_order',
        name: 'customer_po',
        def: { type: 'string', length: 40, label: { en: 'Customer PO', zh: '客户订单号' } },
      },
    ],
  });
  test.server.registry.swap(model);
}

describe('metadata API', () => {
  it('lists the entities of the live Model', async () => {
    const response = await test.server.app.inject({ method: 'GET', url: '/api/meta/entities' });
    expect(response.statusCode).toBe(200);
    const body = response.json<{ code: string; data: { entities: { name: string; path: string }[] } }>();
    expect(body.code).toBe('OK');
    expect(body.data.entities.map((e) => [e.name, e.path])).toEqual([
      ['production_line', 'production-lines'],
      ['work_order', 'work-orders'],
    ]);
  });

  it('describes an entity: API names, constraints, enum values, relations and list', async () => {
    const response = await test.server.app.inject({ method: 'GET', url: '/api/meta/entities/work-orders' });
    const { data } = response.json<{
      data: Record<string, unknown> & { fields: Record<string, unknown>[] };
    }>();
    const fields = Object.fromEntries(data.fields.map((f) => [f.name, f]));
    expect(data).toMatchObject({
      name: 'work_order',
      identifier: { pattern: 'WO-{line.line_code}-{seq:4}' },
    });
    expect(fields.planned_quantity).toMatchObject({
      apiName: 'plannedQuantity',
      required: true,
      constraints: { exclusiveMin: 0, precision: 18, scale: 4 },
    });
    expect(fields.status).toMatchObject({
      enumValues: [
        { value: 'DRAFT' },
        { value: 'RELEASED' },
        { value: 'IN_PROGRESS' },
        { value: 'COMPLETED' },
        { value: 'CANCELLED' },
      ],
    });
    expect(fields.line).toMatchObject({
      property: 'lineId',
      relation: { target: 'production_line', targetPath: 'production-lines' },
    });
    expect(data.list).toMatchObject({
      defaultSort: '-planned_start',
      filters: ['status', 'line', 'planned_start'],
    });
  });

  it('answers 404 in the envelope for an unknown entity', async () => {
    const response = await test.server.app.inject({ method: 'GET', url: '/api/meta/entities/nope' });
    expect(response.statusCode).toBe(404);
    expect(response.json()).toMatchObject({ code: 'NOT_FOUND' });
  });
});

describe('OpenAPI', () => {
  it('serves an OpenAPI 3.1 document with the entity paths, error schemas and extension fields', async () => {
    swapInExtensionField();
    const response = await test.server.app.inject({ method: 'GET', url: '/api-docs/json' });
    expect(response.statusCode).toBe(200);
    const doc = response.json<{
      openapi: string;
      paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
      components: { schemas: Record<string, { properties?: Record<string, unknown> }> };
    }>();
    expect(doc.openapi).toBe('3.1.0');
    for (const path of [
      '/api/work-orders',
      '/api/work-orders/{id}',
      '/api/work-orders/bulk',
      '/api/work-orders/import',
      '/api/work-orders/export',
      '/api/production-lines/by-code/{code}',
    ]) {
      expect(doc.paths[path]).toBeDefined();
    }
    expect(doc.paths['/api/work-orders'].post.responses['422']).toEqual({
      $ref: '#/components/responses/Error422',
    });
    expect(doc.components.schemas.Error.properties).toHaveProperty('errors');
    expect(doc.components.schemas.WorkOrder.properties).toHaveProperty('customerPo');
    expect(doc.components.schemas.WorkOrderCreate.properties).toHaveProperty('customerPo');
    expect(doc.components.schemas.WorkOrderCreate.properties).not.toHaveProperty('woNo');
    const refs =
      JSON.stringify(doc).match(/#\/components\/(schemas|responses|parameters)\/[A-Za-z0-9]+/g) ?? [];
    for (const ref of new Set(refs)) {
      const [, , kind, name] = ref.split('/');
      expect((doc.components as Record<string, Record<string, unknown>>)[kind][name]).toBeDefined();
    }
  });

  it('serves Swagger UI and its assets', async () => {
    const page = await test.server.app.inject({ method: 'GET', url: '/api-docs' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toContain('text/html');
    const asset = await test.server.app.inject({
      method: 'GET',
      url: '/api-docs/assets/swagger-ui-bundle.js',
    });
    expect(asset.statusCode).toBe(200);
    expect(asset.body.length).toBeGreaterThan(100_000);
  });

  it('accepts and returns the extension field through the API after the swap', async () => {
    swapInExtensionField();
    const line = await test.server.app.inject({
      method: 'POST',
      url: '/api/production-lines',
      payload: { lineCode: 'X01', lineName: 'Ext' },
    });
    const lineId = line.json<{ data: { id: number } }>().data.id;
    const created = await test.server.app.inject({
      method: 'POST',
      url: '/api/work-orders',
      payload: { lineId, plannedQuantity: 1, plannedStart: '2026-09-01T00:00:00.000Z', customerPo: 'PO-778' },
    });
    expect(created.statusCode).toBe(201);
    const filtered = await test.server.app.inject({
      method: 'GET',
      url: '/api/work-orders?filter[customerPo][eq]=PO-778',
    });
    expect(
      filtered.json<{ data: { items: { customerPo: string }[] } }>().data.items.map((i) => i.customerPo),
    ).toEqual(['PO-778']);
  });
});

describe('health', () => {
  it('GET /health is alive and GET /health/ready checks the database', async () => {
    const live = await test.server.app.inject({ method: 'GET', url: '/health' });
    expect(live.statusCode).toBe(200);
    expect(live.json()).toMatchObject({ code: 'OK', data: { status: 'ok' } });
    const ready = await test.server.app.inject({ method: 'GET', url: '/health/ready' });
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toMatchObject({
      data: {
        status: 'ready',
        checks: [
          { name: 'accepting', status: 'up' },
          { name: 'database', status: 'up' },
        ],
      },
    });
  });
});

describe('readiness with an unreachable Redis', () => {
  let withRedis: TestServer;

  beforeAll(async () => {
    withRedis = await startTestServer({ REDIS_URL: 'redis://127.0.0.1:1' });
  });
  afterAll(async () => {
    await withRedis?.stop();
  });

  it('stays ready, degraded, naming the failing dependency: the API serves on without Redis', async () => {
    const ready = await withRedis.server.app.inject({ method: 'GET', url: '/health/ready' });
    expect(ready.statusCode).toBe(200);
    const body = ready.json<{ data: { status: string; checks: { name: string; status: string }[] } }>();
    expect(body.data.status).toBe('degraded');
    expect(body.data.checks).toEqual(
      expect.arrayContaining([expect.objectContaining({ name: 'redis', status: 'down' })]),
    );
  });
});

describe('an entity whose table is missing', () => {
  let broken: TestServer;

  beforeAll(async () => {
    broken = await startTestServer();
    await broken.server.dataSource.query('DROP TABLE fx_work_order');
  });
  afterAll(async () => {
    await broken?.stop();
  });

  it('answers 503 SERVICE_UNAVAILABLE telling the operator to migrate, not 500', async () => {
    const response = await broken.server.app.inject({ method: 'GET', url: '/api/work-orders' });
    expect(response.statusCode).toBe(503);
    expect(response.json()).toMatchObject({
      code: 'SERVICE_UNAVAILABLE',
      message: expect.stringContaining('migrations'),
    });
  });
});
