/**
 * Deny by default, whatever the spelling: every route the router holds is called without a token,
 * over real HTTP, under several spellings of its path (percent-encoded letters, upper case, doubled
 * and dotted segments, encoded slashes, trailing slash). No call may answer 2xx with data or 5xx;
 * the canonical spelling of every private route answers 401.
 */
import { request as httpRequest } from 'node:http';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { createConnection } from 'mysql2/promise';
import { startServer, type RunningServer } from '../../platform/src/bootstrap/start-server';
import { registeredRoutes, type RegisteredRoute } from '../../platform/src/security/http/route-access';
import { UI_DIST } from '../../platform/src/ui/static-app';
import { TEST_DIALECTS } from '../support/test-dialects';

type Dialect = 'sqlite' | 'mysql';
const quiet = new Writable({ write: (_chunk, _encoding, done) => done() });

interface Answer {
  status: number;
  contentType: string;
  body: string;
}

/** Sends the path exactly as written (Node's client does not normalise it). */
function send(port: number, method: string, path: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const hasBody = ['POST', 'PUT', 'PATCH'].includes(method);
    const req = httpRequest(
      {
        host: '127.0.0.1',
        port,
        method,
        path,
        headers: hasBody ? { 'content-type': 'application/json' } : {},
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            contentType: String(res.headers['content-type'] ?? ''),
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(hasBody ? '{}' : undefined);
  });
}

/** A concrete path for a route template: parameters filled with values that address real routes. */
function concrete(url: string): string {
  const values: Record<string, string> = {
    path: 'work-orders',
    entity: 'work_order',
    id: '1',
    action: 'start',
    name: 'procurement',
    plugin: 'procurement',
    field: 'x',
  };
  const path = url
    .replace(/:([A-Za-z0-9_]+)/g, (_token, name: string) => values[name] ?? '1')
    .replace(/\*/g, 'x');
  // A catch-all registered as `*` (the CORS preflight route) is reached at any absolute path.
  return path.startsWith('/') ? path : `/${path}`;
}

/** Other spellings of one path that a lenient router or proxy could take for the same route. */
function spellings(path: string): string[] {
  const segments = path.split('/').filter((segment) => segment.length > 0);
  if (segments.length === 0) return [path];
  const encodeFirst = (segment: string) =>
    /^[a-z]/i.test(segment) ? `%${segment.charCodeAt(0).toString(16)}${segment.slice(1)}` : segment;
  const encodeLast = (segment: string) =>
    /[a-z]$/i.test(segment)
      ? `${segment.slice(0, -1)}%${segment
          .charCodeAt(segment.length - 1)
          .toString(16)
          .toUpperCase()}`
      : segment;
  return [
    path,
    `/${segments.map(encodeFirst).join('/')}`,
    `/${segments.map(encodeLast).join('/')}`,
    `/${encodeFirst(segments[0])}/${segments.slice(1).join('/')}`,
    path.toUpperCase(),
    `/${segments.join('//')}`,
    `//${segments.join('/')}`,
    `/${segments[0]}/./${segments.slice(1).join('/')}`,
    `/${segments[0]}/x/../${segments.slice(1).join('/')}`,
    `/${segments.join('%2F')}`,
    `/${segments[0]}%2f${segments.slice(1).join('/')}`,
    `${path}/`,
  ];
}

describe.each<Dialect>(TEST_DIALECTS)('anonymous calls to every route (%s)', (dialect) => {
  let server: RunningServer;
  let port: number;
  let routes: RegisteredRoute[];
  let appShell: string | undefined;
  let drop: () => Promise<void>;

  beforeAll(async () => {
    const env: Record<string, string> = {
      SEED_DEMO: 'false',
      LOG_LEVEL: 'silent',
      MES_JWT_SECRET: 'jwt-secret-for-tests-0123456789abcdef',
      MES_RATE_LIMIT_API: '1000000',
      PORT: '0',
      HOST: '127.0.0.1',
    };
    if (dialect === 'sqlite') {
      const dir = mkdtempSync(join(tmpdir(), 'mes-routes-'));
      env.DATABASE_URL = `sqlite:${join(dir, 'mes.sqlite')}`;
      drop = () => Promise.resolve(rmSync(dir, { recursive: true, force: true }));
    } else {
      const name = `mes_test_routes_${process.pid}_${Date.now() % 100000}`;
      env.DATABASE_URL = `mysql://root@127.0.0.1:3306/${name}`;
      drop = async () => {
        const connection = await createConnection({ host: '127.0.0.1', port: 3306, user: 'root' });
        await connection.query(`DROP DATABASE IF EXISTS \`${name}\``);
        await connection.end();
      };
    }
    server = await startServer({ env, logDestination: quiet });
    port = Number(new URL(server.url!).port);
    routes = registeredRoutes(server.app.getHttpAdapter().getInstance());
    try {
      appShell = readFileSync(join(UI_DIST, 'index.html'), 'utf8');
    } catch {
      appShell = undefined;
    }
  });

  afterAll(async () => {
    await server?.close();
    await drop?.();
  });

  const privateRoutes = () => routes.filter((route) => !route.public && route.method !== 'HEAD');

  it('holds the whole API in its route table, and only login, refresh, asking for and redeeming a password link, health, metrics (its own token), docs and the app are public', () => {
    const urls = new Set(routes.map((route) => route.url));
    for (const url of [
      '/api/admin/plugins',
      '/api/admin/webhooks',
      '/api/work-orders',
      '/api/:path/:id/audit',
      '/api/inventory/abc-analysis',
      '/api/auth/me',
    ])
      expect(urls).toContain(url);
    const publicUrls = [...new Set(routes.filter((route) => route.public).map((route) => route.url))];
    for (const url of publicUrls)
      expect(url).toMatch(
        /^\/(api\/auth\/(login|refresh|password-reset|password-reset-request)|health(\/ready)?|metrics|api-docs(\/.*)?|\*|[^/]*\.[a-z0-9]+|assets\/.*|)$/,
      );
    expect(privateRoutes().length).toBeGreaterThan(300);
  });

  it('answers 401 to the canonical path of every private route', async () => {
    const wrong: string[] = [];
    for (const route of privateRoutes()) {
      const answer = await send(port, route.method, concrete(route.url));
      if (answer.status !== 401) wrong.push(`${route.method} ${route.url} → ${answer.status}`);
    }
    expect(wrong).toEqual([]);
  });

  it('never answers 2xx with data or 5xx, however the path of a private route is spelled', async () => {
    const leaks: string[] = [];
    const isAppShell = (answer: Answer) =>
      answer.contentType.startsWith('text/html') && appShell !== undefined && answer.body === appShell;
    for (const route of privateRoutes()) {
      for (const spelling of spellings(concrete(route.url))) {
        const answer = await send(port, route.method, spelling);
        const leaked = answer.status >= 200 && answer.status < 300 && !isAppShell(answer);
        if (leaked || answer.status >= 500) leaks.push(`${route.method} ${spelling} → ${answer.status}`);
      }
    }
    expect(leaks).toEqual([]);
    // Thousands of requests, one after another: a slow machine may need minutes.
  }, 300_000);
});
