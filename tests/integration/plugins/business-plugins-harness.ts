/**
 * The real server with authentication on (workflow actions and approvals need signed-in users), the
 * demo users, and users holding the procurement and maintenance plugin roles. Tests act as a user
 * through `as(username)`; every call goes through HTTP inject like a browser's would.
 */
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LightMyRequestResponse } from 'fastify';
import { parseDocument } from 'yaml';
import { Writable } from 'node:stream';
import { startServer, type RunningServer } from '../../../platform/src/bootstrap/start-server';
import { EngineDatabase } from '../../../platform/src/data/database';
import { hashPassword } from '../../../platform/src/security/auth/password';
import { seedDemoSecurity } from '../../../platform/src/security/demo-seed';
import { testDatabase, type PluginTestDatabase, type TestDialect } from './plugin-harness';
import { TestSessions } from '../../support/stale-token';

const TENANT = 'DEMO';
const quiet = new Writable({ write: (_chunk, _encoding, done) => done() });
const PASSWORD = 'Plugin-Passw0rd!';
const AUTH_ENV = { MES_AUTH: 'on', MES_JWT_SECRET: 'jwt-secret-for-plugin-tests-0123456789abcdef' };
export const PLUGINS_DIR = join(__dirname, '..', '..', '..', 'plugins');

type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE';
export type Call = <T = Record<string, unknown>>(
  method: Method,
  url: string,
  payload?: object,
) => Promise<{ status: number; data: T; body: Record<string, unknown>; raw: LightMyRequestResponse }>;

export interface BusinessServer {
  server: RunningServer;
  database: PluginTestDatabase;
  /** Calls as the user (a demo user or one added with `addUser`). */
  as(username: string): Call;
  /** The user's id (the value relation fields to `user` take). */
  userId(username: string): number;
  /** Adds a user holding the given roles (role rows of enabled plugins are created first). */
  addUser(username: string, roles: string[], departmentId?: number): Promise<void>;
  close(): Promise<void>;
}

/**
 * `withCatalog: false` boots on the core metadata alone: plugins are then installed by absolute
 * folder only, so two releases of one plugin (an earlier copy and the folder under plugins/) can be
 * installed and upgraded without the catalog's copy of the same name being composed beside them.
 */
export async function bootBusinessServer(
  dialect: TestDialect,
  suite: string,
  options: { withCatalog?: boolean } = {},
): Promise<BusinessServer> {
  const database = testDatabase(dialect, suite);
  // DEBUG_PLUGINS=1 shows the server's log (plugin hook faults) on stderr.
  const server = await startServer({
    env: {
      SEED_DEMO: 'false',
      LOG_LEVEL: process.env.DEBUG_PLUGINS ? 'debug' : 'warn',
      ...AUTH_ENV,
      ...database.env,
    },
    listen: false,
    logDestination: process.env.DEBUG_PLUGINS ? process.stderr : quiet,
    ...(options.withCatalog === false
      ? { metadataRoots: [join(PLUGINS_DIR, '..', 'metadata', 'modules')] }
      : {}),
  });
  const engine = () => new EngineDatabase(server.dataSource);
  await seedDemoSecurity(engine(), server.registry.current(), TENANT, { MES_DEMO_PASSWORD: PASSWORD });
  const passwordHash = await hashPassword(PASSWORD);
  const ids = new Map<string, number>();

  const sessions = new TestSessions(
    (request) => server.app.inject(request),
    (username) => ({ tenant: TENANT, username, password: PASSWORD }),
  );
  const userTable = () => server.registry.current().entities.get('user')!.table;
  const roleTable = () => server.registry.current().entities.get('role')!.table;
  const userRoleTable = () => server.registry.current().entities.get('user_role')!.table;

  const business: BusinessServer = {
    server,
    database,
    as: (username) => async (method, url, payload) => {
      const raw = await sessions.send(username, (token) =>
        server.app.inject({
          method,
          url,
          headers: { authorization: `Bearer ${token}` },
          ...(payload ? { payload } : {}),
        }),
      );
      const body = raw.body ? (raw.json() as Record<string, unknown>) : {};
      return { status: raw.statusCode, data: body.data as never, body, raw };
    },
    userId: (username) => {
      const id = ids.get(username);
      if (id === undefined) throw new Error(`unknown user ${username}`);
      return id;
    },
    addUser: async (username, roles, departmentId) => {
      await seedDemoSecurity(engine(), server.registry.current(), TENANT, { MES_DEMO_PASSWORD: PASSWORD });
      const now = new Date().toISOString().replace('T', ' ').replace('Z', '');
      await engine().transaction(async (tx) => {
        const inserted = await tx.execute(
          `INSERT INTO ${userTable()} (tenant_id, user_code, username, real_name, password_hash, department_id, user_type, status, locale, login_count, failed_login_count, password_changed_at, created_at, created_by, updated_at, updated_by, version) VALUES (?, ?, ?, ?, ?, ?, 'EMPLOYEE', 'ACTIVE', 'en', 0, 0, ?, ?, 'test', ?, 'test', 1)`,
          [
            TENANT,
            `USR-T${String(ids.size).padStart(4, '0')}`,
            username,
            username,
            passwordHash,
            departmentId ?? null,
            now,
            now,
            now,
          ],
        );
        for (const role of roles) {
          const [found] = await tx.query<{ id: number }>(
            `SELECT id FROM ${roleTable()} WHERE tenant_id = ? AND role_code = ?`,
            [TENANT, role],
          );
          if (!found) throw new Error(`no role ${role}`);
          await tx.execute(
            `INSERT INTO ${userRoleTable()} (tenant_id, user_id, role_id, from_position, created_at, created_by, updated_at, updated_by, version) VALUES (?, ?, ?, 0, ?, 'test', ?, 'test', 1)`,
            [TENANT, inserted.insertId, Number(found.id), now, now],
          );
        }
        ids.set(username, Number(inserted.insertId));
      });
    },
    close: async () => {
      await server.close();
      await database.drop();
    },
  };
  const demo = await server.dataSource.query(`SELECT id, username FROM ${userTable()} WHERE tenant_id = ?`, [
    TENANT,
  ]);
  for (const row of demo as { id: number; username: string }[]) ids.set(row.username, Number(row.id));
  return business;
}

/** Expects a 2xx answer and returns its data; otherwise fails showing the answer. */
export function ok<T>(answer: { status: number; data: T; body: unknown }): T {
  if (answer.status < 200 || answer.status >= 300) {
    throw new Error(`expected 2xx, got ${answer.status}: ${JSON.stringify(answer.body)}`);
  }
  return answer.data;
}

/**
 * A copy of a plugin as an earlier release: `version`, no server code, migrations or dashboards (their
 * KPIs may read the dropped fields), and without the given fields (`entity-file#field`), which are
 * also taken out of every form and workflow naming them.
 */
export function previousRelease(
  plugin: string,
  version: string,
  dropped: string[],
): { dir: string; cleanup(): void } {
  const root = mkdtempSync(join(tmpdir(), `mes-${plugin}-${version}-`));
  const dir = join(root, plugin);
  cpSync(join(PLUGINS_DIR, plugin), dir, {
    recursive: true,
    filter: (source) =>
      !/[\\/](server|migrations|dashboards)([\\/]|$)/.test(source.slice(join(PLUGINS_DIR, plugin).length)),
  });
  const manifest = join(dir, 'plugin.yaml');
  writeFileSync(manifest, readFileSync(manifest, 'utf8').replace(/^version: .*$/m, `version: ${version}`));
  const names = new Set<string>();
  for (const spec of dropped) {
    const [file, field] = spec.split('#') as [string, string];
    const path = join(dir, 'metadata', 'entities', file);
    const document = parseDocument(readFileSync(path, 'utf8'));
    document.deleteIn(['fields', field]);
    writeFileSync(path, document.toString());
    names.add(field);
  }
  for (const folder of ['forms', 'workflows']) {
    const base = join(dir, 'metadata', folder);
    for (const file of existsSync(base) ? readdirSync(base) : []) {
      const path = join(base, file);
      const text = readFileSync(path, 'utf8');
      let edited = text;
      for (const name of names) edited = edited.replace(new RegExp(`,\\s*${name}\\b(?=[,\\]])`, 'g'), '');
      if (edited !== text) writeFileSync(path, edited);
    }
  }
  return { dir, cleanup: () => rmSync(root, { recursive: true, force: true }) };
}
