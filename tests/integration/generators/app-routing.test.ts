/**
 * The real server on the real core and plugin metadata (SQLite): a core entity's requests are
 * handled by its generated controller (Fastify's matched route says so), the sub-routes generated
 * controllers do not declare (workflow actions and history, audit) and plugin entities by the
 * dynamic routes, and every answer equals that of a twin app over the same dependencies that serves
 * everything dynamically. With authentication on, the generated routes are guarded the same way.
 */
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { createHttpApp } from '../../../platform/src/bootstrap/http-app';
import { startServer, type RunningServer } from '../../../platform/src/bootstrap/start-server';
import { ENTITY_OPERATIONS } from '../../../platform/src/crud/http/tokens';
import type { EntityOperations } from '../../../platform/src/crud/types';
import { EngineDatabase } from '../../../platform/src/data/database';
import { READINESS_CHECKS, type ReadinessCheck } from '../../../platform/src/ops/health.controller';
import { seedDemoSecurity } from '../../../platform/src/security/demo-seed';
import { TRACE_DATABASE } from '../../../platform/src/trace/http/trace.controller';
import { WORKFLOW_SERVICE } from '../../../platform/src/workflow/http/workflow.controller';
import type { WorkflowService } from '../../../platform/src/workflow/workflow.service';

const quiet = new Writable({ write: (_chunk, _encoding, done) => done() });

interface Envelope {
  code: string;
  message: string;
  traceId: string;
  data?: unknown;
  errors?: unknown;
}

/** An app whose every answer is recorded with the route pattern Fastify matched for it. */
class RoutedApp {
  readonly routes: string[] = [];

  constructor(readonly app: NestFastifyApplication) {
    app
      .getHttpAdapter()
      .getInstance()
      .addHook('onResponse', (request, _reply, done) => {
        this.routes.push(`${request.method} ${request.routeOptions.url ?? '(no route)'}`);
        done();
      });
  }

  /** The answer and the route pattern that produced it. */
  async call(options: InjectOptions): Promise<{ response: LightMyRequestResponse; route: string }> {
    const response = await this.app.inject(options);
    return { response, route: this.routes.at(-1)! };
  }
}

/** What must be equal on both paths: status, content headers, envelope without time and trace id. */
function comparable(response: LightMyRequestResponse) {
  const type = String(response.headers['content-type'] ?? '');
  if (!type.startsWith('application/json'))
    return {
      status: response.statusCode,
      type,
      disposition: response.headers['content-disposition'],
      body: response.body,
    };
  const { code, message, data, errors } = response.json<Envelope>();
  return { status: response.statusCode, type, body: { code, message, data, errors } };
}

function dataOf<T>(response: LightMyRequestResponse): T {
  return response.json<{ data: T }>().data;
}

describe('generated controllers mounted in the server (authentication off)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mes-app-routing-'));
  const logs: { level: number; context?: string; msg: string }[] = [];
  const logDestination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n'))
        if (line.trim()) logs.push(JSON.parse(line) as (typeof logs)[number]);
      done();
    },
  });
  let server: RunningServer;
  let generated: RoutedApp;
  let dynamic: RoutedApp;
  let unitId: number;
  let orderId: number;

  const create = async (url: string, payload: object): Promise<number> => {
    const { response } = await generated.call({ method: 'POST', url, payload });
    if (response.statusCode !== 201) throw new Error(`${url}: ${response.statusCode} ${response.body}`);
    return dataOf<{ id: number }>(response).id;
  };

  beforeAll(async () => {
    server = await startServer({
      env: {
        DATABASE_URL: `sqlite:${join(dir, 'mes.sqlite')}`,
        SEED_DEMO: 'false',
        LOG_LEVEL: 'info',
        MES_AUTH: 'off',
      },
      listen: false,
      logDestination,
    });
    generated = new RoutedApp(server.app);
    const get = <T>(token: symbol): T => server.app.get<unknown, T>(token, { strict: false });
    dynamic = new RoutedApp(
      await createHttpApp(
        {
          config: server.config,
          operations: get<EntityOperations>(ENTITY_OPERATIONS),
          models: server.registry,
          readinessChecks: get<ReadinessCheck[]>(READINESS_CHECKS),
          plugins: server.plugins,
          security: server.security,
          workflows: get<WorkflowService>(WORKFLOW_SERVICE),
          traceDatabase: get<EngineDatabase>(TRACE_DATABASE),
          generatedOrigins: [],
        },
        server.logger,
      ),
    );
    unitId = await create('/api/units', { uomCode: 'RT-PCS', uomName: 'Pieces' });
    const plantId = await create('/api/plants', { plantCode: 'RT-P1', plantName: 'Plant RT' });
    const lineId = await create('/api/production-lines', { lineCode: 'RTA01', lineName: 'Line RT', plantId });
    const itemId = await create('/api/items', {
      itemName: 'Routed counter',
      itemType: 'FINISHED',
      uomId: unitId,
      serialized: false,
    });
    orderId = await create('/api/work-orders', {
      itemId,
      lineId,
      plannedQuantity: 2,
      plannedStart: '2026-12-01T08:00:00Z',
    });
  }, 120_000);
  afterAll(async () => {
    await dynamic?.app.close();
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('handles every core entity route in the generated controller, the twin in the dynamic one', async () => {
    const requests: [InjectOptions, string][] = [
      [{ method: 'GET', url: '/api/units?sort=-uomCode&fields=uomCode,uomName' }, 'GET /api/units'],
      [{ method: 'GET', url: `/api/units/${unitId}` }, 'GET /api/units/:id'],
      [{ method: 'GET', url: '/api/units/by-code/RT-PCS' }, 'GET /api/units/by-code/:code'],
      [{ method: 'GET', url: '/api/units/export?format=csv&sort=uomCode' }, 'GET /api/units/export'],
      [
        { method: 'GET', url: '/api/units/aggregate?groupBy=uomCode&sort=uomCode' },
        'GET /api/units/aggregate',
      ],
      [{ method: 'GET', url: '/api/units/aggregate?groupBy=nope' }, 'GET /api/units/aggregate'],
      [
        {
          method: 'POST',
          url: '/api/units/import?dryRun=true',
          headers: { 'content-type': 'text/csv' },
          payload: 'uomCode,uomName\r\nRT-KG,Kilogram\r\n,Nameless\r\n',
        },
        'POST /api/units/import',
      ],
      [
        { method: 'POST', url: '/api/units/bulk', payload: { mode: 'merge', rows: [] } },
        'POST /api/units/bulk',
      ],
      [
        { method: 'POST', url: '/api/units', payload: { uomCode: 'RT-PCS', uomName: 'Dup' } },
        'POST /api/units',
      ],
      [{ method: 'PATCH', url: `/api/units/${unitId}`, payload: { version: 99 } }, 'PATCH /api/units/:id'],
      [{ method: 'DELETE', url: '/api/units/999999' }, 'DELETE /api/units/:id'],
      [{ method: 'POST', url: '/api/units/999999/restore' }, 'POST /api/units/:id/restore'],
      [{ method: 'GET', url: '/api/units/abc' }, 'GET /api/units/:id'],
      [{ method: 'GET', url: '/api/units', headers: { 'x-tenant-id': 'OTHER' } }, 'GET /api/units'],
      [
        { method: 'GET', url: `/api/units/${unitId}`, headers: { 'x-tenant-id': 'not a tenant' } },
        'GET /api/units/:id',
      ],
    ];
    for (const [request, generatedRoute] of requests) {
      const fromGenerated = await generated.call(request);
      const fromDynamic = await dynamic.call(request);
      expect({ url: request.url, route: fromGenerated.route }).toEqual({
        url: request.url,
        route: generatedRoute,
      });
      expect(fromDynamic.route).toBe(generatedRoute.replace('/api/units', '/api/:path'));
      expect({ url: request.url, ...comparable(fromGenerated.response) }).toEqual({
        url: request.url,
        ...comparable(fromDynamic.response),
      });
    }
  });

  it('writes through the generated routes and both paths then read the same records', async () => {
    const writes: [InjectOptions, number][] = [
      [{ method: 'POST', url: '/api/units', payload: { uomCode: 'RT-BOX', uomName: 'Box' } }, 201],
      [
        {
          method: 'POST',
          url: '/api/units/bulk',
          payload: { mode: 'create', rows: [{ uomCode: 'RT-M', uomName: 'Metre' }] },
        },
        200,
      ],
      [
        {
          method: 'POST',
          url: '/api/units/import',
          headers: { 'content-type': 'text/csv' },
          payload: 'uomCode,uomName\r\nRT-L,Litre\r\n',
        },
        200,
      ],
    ];
    for (const [request, status] of writes) {
      const { response, route } = await generated.call(request);
      expect({ url: request.url, status: response.statusCode, route }).toEqual({
        url: request.url,
        status,
        route: `${request.method} ${request.url!.toString().split('?')[0]}`,
      });
    }
    const box = await generated.call({ method: 'GET', url: '/api/units/by-code/RT-BOX' });
    const { id, version } = dataOf<{ id: number; version: number }>(box.response);
    const patched = await generated.call({
      method: 'PATCH',
      url: `/api/units/${id}`,
      payload: { version, uomName: 'Carton' },
    });
    expect([patched.response.statusCode, patched.route]).toEqual([200, 'PATCH /api/units/:id']);
    const removed = await generated.call({ method: 'DELETE', url: `/api/units/${id}` });
    expect([removed.response.statusCode, removed.route]).toEqual([200, 'DELETE /api/units/:id']);
    const restored = await generated.call({ method: 'POST', url: `/api/units/${id}/restore` });
    expect([restored.response.statusCode, restored.route]).toEqual([200, 'POST /api/units/:id/restore']);

    const list = { method: 'GET', url: '/api/units?sort=uomCode&count=exact' } as const;
    const fromGenerated = await generated.call(list);
    expect(dataOf<{ items: { uomCode: string; uomName: string }[] }>(fromGenerated.response).items).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ uomCode: 'RT-BOX', uomName: 'Carton' }),
        expect.objectContaining({ uomCode: 'RT-L' }),
        expect.objectContaining({ uomCode: 'RT-M' }),
      ]),
    );
    expect(comparable(fromGenerated.response)).toEqual(comparable((await dynamic.call(list)).response));
  });

  it('leaves workflow actions and history of a core entity to the dynamic routes, with the same answers', async () => {
    const requests: [InjectOptions, string][] = [
      [{ method: 'GET', url: `/api/work-orders/${orderId}/actions` }, 'GET /api/:path/:id/actions'],
      [
        { method: 'POST', url: `/api/work-orders/${orderId}/actions/complete`, payload: {} },
        'POST /api/:path/:id/actions/:action',
      ],
      [{ method: 'GET', url: `/api/work-orders/${orderId}/history` }, 'GET /api/:path/:id/history'],
    ];
    for (const [request, route] of requests) {
      const fromGenerated = await generated.call(request);
      const fromDynamic = await dynamic.call(request);
      expect([request.url, fromGenerated.route, fromDynamic.route]).toEqual([request.url, route, route]);
      expect(comparable(fromGenerated.response)).toEqual(comparable(fromDynamic.response));
    }
    const order = await generated.call({ method: 'GET', url: `/api/work-orders/${orderId}` });
    expect(order.route).toBe('GET /api/work-orders/:id');
    expect(dataOf<{ status: string }>(order.response).status).toBe('DRAFT');
  });

  it('answers unknown sub-routes and methods with the same 404 envelope and a trace id on both paths', async () => {
    for (const request of [
      { method: 'GET', url: `/api/units/${unitId}/nothing` },
      { method: 'PUT', url: `/api/units/${unitId}` },
    ] as const) {
      const fromGenerated = (await generated.call(request)).response;
      const fromDynamic = (await dynamic.call(request)).response;
      expect(fromGenerated.statusCode).toBe(404);
      expect(comparable(fromGenerated)).toEqual(comparable(fromDynamic));
      expect(fromGenerated.json<Envelope>().traceId).toBe(fromGenerated.headers['x-trace-id']);
    }
    const traced = await generated.call({
      method: 'GET',
      url: `/api/units/${unitId}`,
      headers: { 'x-trace-id': 'routing-trace-1' },
    });
    expect(traced.response.headers['x-trace-id']).toBe('routing-trace-1');
    expect(traced.response.json<Envelope>().traceId).toBe('routing-trace-1');
  });

  it('publishes the same OpenAPI document, which lists the core routes, on both apps', async () => {
    const request = { method: 'GET', url: '/api-docs/json' } as const;
    const fromGenerated = (await generated.call(request)).response;
    expect(fromGenerated.statusCode).toBe(200);
    expect(fromGenerated.body).toBe((await dynamic.call(request)).response.body);
    const paths = Object.keys(fromGenerated.json<{ paths: Record<string, unknown> }>().paths);
    expect(paths).toEqual(expect.arrayContaining(['/api/units', '/api/work-orders']));
  });

  it('keeps the route table of the generated controllers out of the info log', () => {
    expect(logs.some((line) => line.msg.includes('Nest application successfully started'))).toBe(true);
    expect(logs.filter((line) => line.context === 'RouterExplorer')).toEqual([]);
  });

  it('serves a plugin entity dynamically while enabled and answers 404 once it is disabled', async () => {
    const path = '/api/supplier-evaluations';
    const before = await generated.call({ method: 'GET', url: path });
    expect([before.response.statusCode, before.route]).toEqual([404, 'GET /api/:path']);
    const installed = await generated.call({
      method: 'POST',
      url: '/api/admin/plugins',
      payload: { source: 'procurement', enable: true },
    });
    expect(installed.response.statusCode).toBe(201);
    const supplierId = await create('/api/suppliers', { supplierName: 'Routed Bearings' });
    const created = await generated.call({
      method: 'POST',
      url: path,
      payload: { supplierId, period: '2026-02', deliveries: 4 },
    });
    expect([created.response.statusCode, created.route]).toEqual([201, 'POST /api/:path']);
    const listed = await generated.call({ method: 'GET', url: path });
    expect([listed.response.statusCode, listed.route]).toEqual([200, 'GET /api/:path']);
    expect(comparable(listed.response)).toEqual(
      comparable((await dynamic.call({ method: 'GET', url: path })).response),
    );

    const disabled = await generated.call({ method: 'POST', url: '/api/admin/plugins/procurement/disable' });
    expect(disabled.response.statusCode).toBe(200);
    const gone = await generated.call({ method: 'GET', url: path });
    expect([gone.response.statusCode, gone.response.json<Envelope>().code]).toEqual([404, 'NOT_FOUND']);
  });
});

describe('generated controllers behind authentication', () => {
  const PASSWORD = 'Demo-Passw0rd!';
  const dir = mkdtempSync(join(tmpdir(), 'mes-app-routing-auth-'));
  let server: RunningServer;
  let app: RoutedApp;
  const tokens = new Map<string, string>();

  const call = (who: string | null, options: InjectOptions) =>
    app.call({
      ...options,
      headers: { ...options.headers, ...(who ? { authorization: `Bearer ${tokens.get(who)}` } : {}) },
    });

  beforeAll(async () => {
    server = await startServer({
      env: {
        DATABASE_URL: `sqlite:${join(dir, 'mes.sqlite')}`,
        SEED_DEMO: 'false',
        LOG_LEVEL: 'warn',
        MES_JWT_SECRET: 'jwt-secret-for-tests-0123456789abcdef',
      },
      listen: false,
      logDestination: quiet,
    });
    app = new RoutedApp(server.app);
    await seedDemoSecurity(new EngineDatabase(server.dataSource), server.registry.current(), 'DEMO', {
      MES_DEMO_PASSWORD: PASSWORD,
    });
    for (const username of ['admin', 'planner']) {
      const { response } = await app.call({
        method: 'POST',
        url: '/api/auth/login',
        payload: { username, password: PASSWORD },
      });
      expect(response.statusCode).toBe(200);
      tokens.set(username, dataOf<{ accessToken: string }>(response).accessToken);
    }
  }, 120_000);
  afterAll(async () => {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses an anonymous request to a generated route exactly as one to a dynamic route', async () => {
    const core = (await call(null, { method: 'GET', url: '/api/units' })).response;
    const plugin = (await call(null, { method: 'GET', url: '/api/supplier-evaluations' })).response;
    expect(core.statusCode).toBe(401);
    expect(comparable(core)).toEqual(comparable(plugin));
  });

  it('applies RBAC and the transfer permissions on generated routes; audit stays reachable', async () => {
    const created = await call('admin', {
      method: 'POST',
      url: '/api/units',
      payload: { uomCode: 'AU-PCS', uomName: 'Pieces' },
    });
    expect([created.response.statusCode, created.route]).toEqual([201, 'POST /api/units']);
    const unit = dataOf<{ id: number; tenantId?: string }>(created.response);

    const denied = await call('planner', {
      method: 'POST',
      url: '/api/units',
      payload: { uomCode: 'AU-BOX', uomName: 'Box' },
    });
    expect([denied.response.statusCode, denied.response.json<Envelope>().code, denied.route]).toEqual([
      403,
      'FORBIDDEN',
      'POST /api/units',
    ]);
    const read = await call('planner', { method: 'GET', url: `/api/units/${unit.id}` });
    expect([read.response.statusCode, read.route]).toEqual([200, 'GET /api/units/:id']);
    const exported = await call('planner', { method: 'GET', url: '/api/units/export' });
    expect(exported.response.statusCode).toBe(403);

    const audit = await call('admin', { method: 'GET', url: `/api/units/${unit.id}/audit` });
    expect([audit.response.statusCode, audit.route]).toEqual([200, 'GET /api/:path/:id/audit']);
    expect(dataOf<unknown[]>(audit.response).length).toBeGreaterThan(0);
  });
});
