/**
 * The real server for the role matrix: core metadata (or a copy of it), the demo plant seeded, every
 * shipped role signed in as a user of its own. The demo users cover the roles the demo seed knows;
 * a user is created through the API for each other role document. Requests go through Fastify's
 * inject, each role from a client address of its own so the per-client rate limit never interferes.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { createConnection } from 'mysql2/promise';
import { DEMO_PLANT } from '../../database/seeds/demo-plant';
import { startServer, type RunningServer } from '../../platform/src/bootstrap/start-server';
import { hashPassword } from '../../platform/src/security/auth/password';
import { DEMO_USERS } from '../../platform/src/security/demo-seed';
import { TEST_DIALECTS } from '../support/test-dialects';

export type Dialect = 'sqlite' | 'mysql';
export const DIALECTS: readonly Dialect[] = TEST_DIALECTS;
const PASSWORD = 'Demo-Passw0rd!';
const quiet = new Writable({ write: (_chunk, _encoding, done) => done() });

export interface MatrixRequest {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  url: string;
  payload?: string | object;
  headers?: Record<string, string>;
}

export interface MatrixReply {
  statusCode: number;
  body: string;
}

export interface MatrixServer {
  server: RunningServer;
  /** Role → the username signed in for it. */
  users: Map<string, string>;
  /** Sends the request as the user holding `role`. */
  send(role: string, request: MatrixRequest): Promise<MatrixReply>;
  /** Sends the request as the administrator and returns `data`; throws unless the status is 2xx. */
  admin<T = unknown>(request: MatrixRequest): Promise<T>;
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  stop(): Promise<void>;
}

/** `metadataRoot`: a project root holding `metadata/modules` (default: this project's). */
export async function startMatrixServer(
  dialect: Dialect,
  suite: string,
  roles: string[],
  metadataRoot?: string,
): Promise<MatrixServer> {
  const env: Record<string, string> = {
    SEED_DEMO: 'true',
    // The matrix reads the core role documents: the demo plant's plugins stay out.
    MES_DEMO_PLUGINS: '',
    MES_DEMO_PASSWORD: PASSWORD,
    LOG_LEVEL: 'warn',
    MES_JWT_SECRET: 'jwt-secret-for-tests-0123456789abcdef',
    // One sign-in per role, more roles than the default ten sign-ins a minute from one address.
    MES_RATE_LIMIT_LOGIN: '60',
  };
  let drop: () => Promise<void>;
  if (dialect === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), `mes-${suite}-`));
    env.DATABASE_URL = `sqlite:${join(dir, 'mes.sqlite')}`;
    drop = () => Promise.resolve(rmSync(dir, { recursive: true, force: true }));
  } else {
    const name = `mes_test_${suite}_${process.pid}_${Date.now() % 100000}`;
    env.DATABASE_URL = `mysql://root@127.0.0.1:3306/${name}`;
    drop = async () => {
      const connection = await createConnection({ host: '127.0.0.1', port: 3306, user: 'root' });
      await connection.query(`DROP DATABASE IF EXISTS \`${name}\``);
      await connection.end();
    };
  }
  const server = await startServer({
    env,
    listen: false,
    logDestination: quiet,
    demoPlant: DEMO_PLANT,
    ...(metadataRoot ? { metadataRoots: [metadataRoot] } : {}),
  });
  const query = <T>(sql: string, params: unknown[] = []) =>
    server.dataSource.query(sql, params) as Promise<T[]>;
  const tokens = new Map<string, string>();
  const addresses = new Map<string, string>();
  const login = async (username: string) => {
    const response = await server.app.inject({
      method: 'POST',
      url: '/api/auth/login',
      payload: { username, password: PASSWORD },
    });
    if (response.statusCode !== 200) throw new Error(`login ${username}: ${response.body}`);
    return (response.json().data as { accessToken: string }).accessToken;
  };
  const inject = async (role: string, request: MatrixRequest): Promise<MatrixReply> => {
    const response = await server.app.inject({
      method: request.method,
      url: request.url,
      payload: request.payload,
      remoteAddress: addresses.get(role),
      headers: { ...request.headers, authorization: `Bearer ${tokens.get(role) ?? ''}` },
    });
    return { statusCode: response.statusCode, body: response.body };
  };
  const admin = async <T>(request: MatrixRequest): Promise<T> => {
    const reply = await inject('admin', request);
    if (reply.statusCode >= 300)
      throw new Error(`${request.method} ${request.url}: ${reply.statusCode} ${reply.body}`);
    return (JSON.parse(reply.body) as { data: T }).data;
  };

  const stop = async () => {
    await server.close();
    await drop();
  };
  const users = new Map<string, string>();
  roles.forEach((role, index) => addresses.set(role, `10.0.${index + 1}.1`));
  try {
    await signIn();
  } catch (error) {
    await stop();
    throw error;
  }

  async function signIn(): Promise<void> {
    tokens.set('admin', await login('admin'));
    const firstLine = await firstId('production-lines');
    for (const role of roles) {
      // A demo user stands for the role only when the role is all it holds.
      const demo = DEMO_USERS.find((user) => user.role === role && !user.moreRoles?.length);
      const username = demo?.username ?? (await createRoleUser(role));
      // Everyone works on the first line (the line the fixtures are on), so line scopes reach rows.
      const [user] = await query<{ id: number; version: number }>(
        `SELECT id, version FROM sys_user WHERE tenant_id = 'DEMO' AND username = ?`,
        [username],
      );
      await admin({
        method: 'PATCH',
        url: `/api/users/${user!.id}`,
        payload: { linesIds: [firstLine], version: Number(user!.version) },
      });
      users.set(role, username);
      tokens.set(role, await login(username));
    }
  }

  async function firstId(path: string): Promise<number> {
    const page = await admin<{ items: { id: number }[] }>({
      method: 'GET',
      url: `/api/${path}?pageSize=1&sort=id`,
    });
    return page.items[0]!.id;
  }

  /** A user holding only `role` (an external user of the first supplier for supplier roles). */
  async function createRoleUser(role: string): Promise<string> {
    const username = `matrix.${role}`;
    const [roleRow] = await query<{ id: number }>(
      `SELECT id FROM sys_role WHERE tenant_id = 'DEMO' AND role_code = ?`,
      [role],
    );
    const external = role.startsWith('supplier');
    const created = await admin<{ id: number }>({
      method: 'POST',
      url: '/api/users',
      payload: {
        username,
        realName: `Matrix ${role}`,
        departmentId: await firstId('departments'),
        roles: [{ roleId: Number(roleRow!.id) }],
        ...(external ? { userType: 'EXTERNAL', supplierId: await firstId('suppliers') } : {}),
      },
    });
    // There is no password route: the hash is written the way the demo seed writes it.
    await query(`UPDATE sys_user SET password_hash = ? WHERE id = ?`, [
      await hashPassword(PASSWORD),
      created.id,
    ]);
    return username;
  }

  return {
    server,
    users,
    send: inject,
    admin,
    query,
    stop,
  };
}
