/**
 * The real server on the core metadata for the security suites, on SQLite (temp file) or MariaDB (a
 * database of its own, dropped at the end), with the demo roles and users of tenant DEMO seeded.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { createConnection } from 'mysql2/promise';
import { startServer, type RunningServer } from '../../../platform/src/bootstrap/start-server';
import { EngineDatabase } from '../../../platform/src/data/database';
import { TestSessions } from '../../support/stale-token';
import { seedDemoSecurity } from '../../../platform/src/security/demo-seed';

export type Dialect = 'sqlite' | 'mysql';
export const PASSWORD = 'Demo-Passw0rd!';
const quiet = new Writable({ write: (_chunk, _encoding, done) => done() });

export interface Reply {
  statusCode: number;
  body: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  json(): any;
}

export interface SecurityServer {
  server: RunningServer;
  /** The environment the server was started with (another instance on the same database uses it). */
  env: Record<string, string>;
  database: EngineDatabase;
  /** Signs in (once) and returns the access token of a demo user. */
  login(username: string): Promise<string>;
  /** Forgets the cached token so the next call signs in again (after grants changed). */
  forget(username: string): void;
  /** Sends as the user; a token refused as stale is renewed and the request sent again, as the app does. */
  call(username: string, method: string, url: string, payload?: object): Promise<Reply>;
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  stop(): Promise<void>;
}

export async function startSecurityServer(
  dialect: Dialect,
  suite: string,
  extraEnv: Record<string, string> = {},
): Promise<SecurityServer> {
  const env: Record<string, string> = {
    SEED_DEMO: 'false',
    LOG_LEVEL: 'warn',
    MES_JWT_SECRET: 'jwt-secret-for-tests-0123456789abcdef',
    ...extraEnv,
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
  const server = await startServer({ env, listen: false, logDestination: quiet });
  const database = new EngineDatabase(server.dataSource);
  await seedDemoSecurity(database, server.registry.current(), 'DEMO', { MES_DEMO_PASSWORD: PASSWORD });
  const sessions = new TestSessions(
    (request) => server.app.inject(request),
    (username) => ({ username, password: PASSWORD }),
  );
  return {
    server,
    env,
    database,
    login: (username) => sessions.token(username),
    forget: (username) => sessions.forget(username),
    call: (username, method, url, payload) =>
      sessions.send(
        username,
        async (token) =>
          (await server.app.inject({
            method: method as 'GET',
            url,
            payload,
            headers: { authorization: `Bearer ${token}` },
          })) as unknown as Reply,
      ),
    query: <T>(sql: string, params: unknown[] = []) => server.dataSource.query(sql, params) as Promise<T[]>,
    stop: async () => {
      await server.close();
      await drop();
    },
  };
}
