/**
 * The served OpenAPI document is a contract a real client can use: it covers every API, health and
 * metrics route the router holds (the browser app's files aside; a route generic over entities for
 * at least one entity), the routes of an enabled plugin, and a client generated from it with
 * openapi-typescript compiles with tsc and drives sign-in, a list and a workflow action over HTTP as
 * the production planner (not an administrator).
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { promisify } from 'node:util';
import * as ts from 'typescript';
import { startServer, type RunningServer } from '../../../platform/src/bootstrap/start-server';
import { EngineDatabase } from '../../../platform/src/data/database';
import { seedDemoSecurity } from '../../../platform/src/security/demo-seed';
import { registeredRoutes } from '../../../platform/src/security/http/route-access';
import { PLUGIN_FIXTURES } from '../plugins/plugin-harness';
import { TestSessions } from '../../support/stale-token';

const PASSWORD = 'Demo-Passw0rd!';
const REPO_ROOT = join(__dirname, '..', '..', '..');
const OPENAPI_TYPESCRIPT = join(REPO_ROOT, 'node_modules', 'openapi-typescript', 'bin', 'cli.js');
const quiet = new Writable({ write: (_chunk, _encoding, done) => done() });

type Operation = { security?: unknown[]; responses: Record<string, unknown> };
interface Document {
  paths: Record<string, Record<string, Operation>>;
  security: Record<string, unknown>[];
  components: { securitySchemes: Record<string, { type: string; scheme: string }> };
}

/** What the compiled client exports: one sign-in → list → release round trip. */
interface RoundTrip {
  releaseFirstDraft(
    baseUrl: string,
    username: string,
    password: string,
  ): Promise<{
    statuses: number[];
    listed: string[];
    released: { status: string; to: string; woNo: string };
  }>;
}

/** The typed driver: compiles only if the document declares these paths, parameters and bodies. */
const DRIVER = `
import createClient from 'openapi-fetch';
import type { paths } from './api';

/** Bracketed query names for nested objects (\`filter[status][eq]=DRAFT\`), as the API reads them. */
function bracketed(value: unknown, name: string): string[] {
  if (value === undefined) return [];
  if (value !== null && typeof value === 'object')
    return Object.entries(value).flatMap(([key, inner]) => bracketed(inner, name + '[' + key + ']'));
  return [encodeURIComponent(name) + '=' + encodeURIComponent(String(value))];
}

export async function releaseFirstDraft(baseUrl: string, username: string, password: string) {
  const client = createClient<paths>({
    baseUrl,
    querySerializer: (query) => Object.entries(query).flatMap(([name, value]) => bracketed(value, name)).join('&'),
  });
  const login = await client.POST('/api/auth/login', { body: { username, password } });
  if (!login.data) throw new Error('login failed: ' + JSON.stringify(login.error));
  const token: string = login.data.data.accessToken;
  const headers = { authorization: 'Bearer ' + token };
  const list = await client.GET('/api/work-orders', {
    params: { query: { pageSize: 10, sort: 'id', filter: { status: { eq: 'DRAFT' } } } },
    headers,
  });
  if (!list.data) throw new Error('list failed: ' + JSON.stringify(list.error));
  const drafts = list.data.data.items;
  const first = drafts[0];
  if (!first) throw new Error('no draft work order');
  const action = await client.POST('/api/work-orders/{id}/actions/{action}', {
    params: { path: { id: first.id, action: 'release' } },
    body: { version: first.version },
    headers,
  });
  if (!action.data) throw new Error('release failed: ' + JSON.stringify(action.error));
  const result = action.data.data;
  return {
    statuses: [login.response.status, list.response.status, action.response.status],
    listed: drafts.map((order) => String(order.woNo)),
    released: { status: result.status, to: result.to, woNo: String(result.record.woNo) },
  };
}
`;

function compile(dir: string): readonly ts.Diagnostic[] {
  const program = ts.createProgram([join(dir, 'driver.ts')], {
    strict: true,
    noEmitOnError: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.Node16,
    moduleResolution: ts.ModuleResolutionKind.Node16,
    skipLibCheck: true,
    outDir: join(dir, 'out'),
    types: [],
  });
  const emitted = program.emit();
  return [...ts.getPreEmitDiagnostics(program), ...emitted.diagnostics];
}

describe('the served OpenAPI document as a client contract (sqlite)', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'mes-openapi-client-'));
  let server: RunningServer;
  let baseUrl: string;
  let document: Document;
  let sessions: TestSessions;

  // A new production line makes the tenant's tokens stale; the session renews the admin's, as the app does.
  const admin = async (method: 'GET' | 'POST', url: string, payload?: object) => {
    const response = await sessions.send('admin', (token) =>
      server.app.inject({ method, url, payload, headers: { authorization: `Bearer ${token}` } }),
    );
    if (response.statusCode >= 300) throw new Error(`${method} ${url}: ${response.body}`);
    return response.json<{ data: Record<string, unknown> }>().data;
  };

  beforeAll(async () => {
    server = await startServer({
      env: {
        DATABASE_URL: `sqlite:${join(dataDir, 'mes.sqlite')}`,
        SEED_DEMO: 'false',
        LOG_LEVEL: 'warn',
        MES_JWT_SECRET: 'jwt-secret-for-tests-0123456789abcdef',
        PORT: '0',
        HOST: '127.0.0.1',
      },
      logDestination: quiet,
    });
    const address = server.app.getHttpServer().address();
    if (address === null || typeof address === 'string') throw new Error('server not listening on TCP');
    baseUrl = `http://127.0.0.1:${address.port}`;
    await seedDemoSecurity(new EngineDatabase(server.dataSource), server.registry.current(), 'DEMO', {
      MES_DEMO_PASSWORD: PASSWORD,
    });
    sessions = new TestSessions(
      (request) => server.app.inject(request),
      (username) => ({ username, password: PASSWORD }),
    );
    // An enabled plugin with routes, so the document is checked for the routes plugins register.
    const installed = await sessions.send('admin', (token) =>
      server.app.inject({
        method: 'POST',
        url: '/api/admin/plugins',
        payload: { source: join(PLUGIN_FIXTURES, 'gadgets'), enable: true },
        headers: { authorization: `Bearer ${token}` },
      }),
    );
    if (installed.statusCode !== 201) throw new Error(`installing gadgets: ${installed.body}`);
    const served = await fetch(`${baseUrl}/api-docs/json`);
    expect(served.status).toBe(200);
    document = (await served.json()) as Document;
  });
  afterAll(async () => {
    await server?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('documents each fixed API, health and metrics route, at least one entity of each /api/:path route, and every route of the enabled plugins, with the error envelope and the bearer scheme public routes opt out of', () => {
    const operations = Object.entries(document.paths).flatMap(([path, item]) =>
      Object.entries(item).map(([method, operation]) => ({ path, method: method.toUpperCase(), operation })),
    );
    const matcher = (template: string) =>
      new RegExp(`^${template.replace(/[.]/g, '\\.').replace(/\{[^}]+\}/g, '[^/]+')}$`);
    const documented = operations.map((o) => ({ ...o, pattern: matcher(o.path) }));
    const entityPaths = [...server.registry.current().entities.values()]
      .filter((entity) => !entity.owned)
      .map((entity) => entity.path);
    const routes = registeredRoutes(server.app.getHttpAdapter().getInstance())
      // HEAD mirrors GET and OPTIONS * answers CORS preflights; the browser app's files are not API.
      .filter((route) => route.method !== 'HEAD' && route.method !== 'OPTIONS')
      .filter(
        (route) =>
          route.url.startsWith('/api') || ['/health', '/health/ready', '/metrics'].includes(route.url),
      )
      // The plugin mount serves the routes enabled plugins register: checked one by one below.
      .filter((route) => !route.url.startsWith('/api/plugins/:plugin'));
    const undocumented: string[] = [];
    const matchOf = (method: string, url: string) => {
      const sample = url.replace(/:([A-Za-z0-9_]+)/g, (_m, name: string) =>
        name === 'id' ? '1' : `x${name}`,
      );
      return documented.find((o) => o.method === method && o.pattern.test(sample));
    };
    for (const route of routes) {
      const generic = route.url.includes('/:path');
      const concrete = generic ? entityPaths.map((path) => route.url.replace(':path', path)) : [route.url];
      const matches = concrete.map((url) => matchOf(route.method, url));
      // A generic route is documented for the entities that have it (a workflow's actions only
      // where there is a workflow, a label only where there is a business key), so it needs one
      // documented entity; a fixed route needs its own operation.
      if (matches.every((match) => match === undefined))
        undocumented.push(`${route.method} ${route.url}${generic ? ' (no entity documents it)' : ''}`);
      for (const match of matches) {
        if (!match) continue;
        const isPublic = Array.isArray(match.operation.security) && match.operation.security.length === 0;
        expect([route.url, isPublic]).toEqual([route.url, route.public]);
      }
    }
    const pluginRoutes = server.plugins.runtime?.routeTable() ?? [];
    expect(pluginRoutes.map((route) => route.plugin)).toContain('gadgets');
    for (const route of pluginRoutes) {
      const url = `/api/plugins/${route.plugin}${route.path}`;
      if (!matchOf(route.method, url)) undocumented.push(`${route.method} ${url}`);
    }
    expect(undocumented).toEqual([]);
    expect(document.security).toEqual([{ bearer: [] }]);
    expect(document.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
    for (const { operation } of operations) {
      const failures = Object.entries(operation.responses).filter(([status]) => /^[45]\d\d$/.test(status));
      expect(failures.length).toBeGreaterThan(0);
      for (const [, response] of failures)
        expect(response).toEqual({ $ref: expect.stringMatching(/^#\/components\/responses\/Error\d{3}$/) });
      const isPublic = Array.isArray(operation.security) && operation.security.length === 0;
      if (!isPublic) expect(operation.responses).toHaveProperty('401');
    }
  });

  it('generates a client with openapi-typescript that compiles with tsc and drives login, list and a workflow action as the planner', async () => {
    const uom = await admin('POST', '/api/units', { uomCode: 'PCS', uomName: 'Pieces' });
    const plant = await admin('POST', '/api/plants', { plantCode: 'P1', plantName: 'Plant 1' });
    const line = await admin('POST', '/api/production-lines', {
      lineCode: 'A01',
      lineName: 'Line A',
      plantId: plant.id,
    });
    const item = await admin('POST', '/api/items', {
      itemName: 'Counter',
      itemType: 'FINISHED',
      uomId: uom.id,
      serialized: false,
    });
    const order = await admin('POST', '/api/work-orders', {
      itemId: item.id,
      lineId: line.id,
      plannedQuantity: 2,
      plannedStart: '2026-12-01T08:00:00Z',
    });

    const scratch = join(REPO_ROOT, 'tmp');
    mkdirSync(scratch, { recursive: true });
    const dir = mkdtempSync(join(scratch, 'openapi-client-'));
    try {
      // The openapi-typescript command line, as a client project runs it, reading the served document.
      await promisify(execFile)(process.execPath, [
        OPENAPI_TYPESCRIPT,
        `${baseUrl}/api-docs/json`,
        '--output',
        join(dir, 'api.ts'),
      ]);
      writeFileSync(join(dir, 'driver.ts'), DRIVER);
      const diagnostics = compile(dir).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
      expect(diagnostics).toEqual([]);
      const client = require(join(dir, 'out', 'driver.js')) as RoundTrip;
      const result = await client.releaseFirstDraft(baseUrl, 'planner', PASSWORD);
      // The statuses the document declares for login, list and a workflow action.
      expect(result.statuses).toEqual([200, 200, 201]);
      expect(result.listed).toEqual([order.woNo]);
      expect(result.released).toEqual({ status: 'APPLIED', to: 'RELEASED', woNo: order.woNo });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const reread = await admin('GET', `/api/work-orders/${String(order.id)}`);
    expect(reread.status).toBe('RELEASED');
  });
});
