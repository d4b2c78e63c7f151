/**
 * Boots the real server on the real core metadata and migrations, on SQLite (temp file) or MariaDB
 * (a database of its own, dropped afterwards), without listening: tests drive it through inject.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { createConnection } from 'mysql2/promise';
import { startServer, type RunningServer } from '../../../platform/src/bootstrap/start-server';
import { EngineDatabase } from '../../../platform/src/data/database';
import { seedDemoSecurity } from '../../../platform/src/security/demo-seed';
import { TestSessions } from '../../support/stale-token';

export type TestDialect = 'sqlite' | 'mysql';

export const PLUGIN_FIXTURES = join(__dirname, '..', '..', 'fixtures', 'plugins');

const MYSQL_ROOT = 'mysql://root@127.0.0.1:3306';

const quiet = new Writable({ write: (_chunk, _encoding, done) => done() });

export interface PluginTestDatabase {
  env: Record<string, string>;
  /** Removes the database (file or schema). */
  drop(): Promise<void>;
}

/** A database and a plugin store (unpacked packages, prepared code) of the suite's own. */
export function testDatabase(dialect: TestDialect, suite: string): PluginTestDatabase {
  const dir = mkdtempSync(join(tmpdir(), `mes-${suite}-`));
  const store = { PLUGIN_STORE_DIR: join(dir, 'plugin-store') };
  const removeDir = () => rmSync(dir, { recursive: true, force: true });
  if (dialect === 'sqlite') {
    return {
      env: { DATABASE_URL: `sqlite:${join(dir, 'mes.sqlite')}`, ...store },
      drop: () => Promise.resolve(removeDir()),
    };
  }
  const name = `mes_test_${suite}_${process.pid}`;
  return {
    env: { DATABASE_URL: `${MYSQL_ROOT}/${name}`, ...store },
    drop: async () => {
      removeDir();
      const connection = await createConnection({ host: '127.0.0.1', port: 3306, user: 'root' });
      await connection.query(`DROP DATABASE IF EXISTS \`${name}\``);
      await connection.end();
    },
  };
}

export function bootServer(
  database: PluginTestDatabase,
  env: Record<string, string> = {},
  logDestination: Writable = quiet,
): Promise<RunningServer> {
  return startServer({
    env: { SEED_DEMO: 'false', LOG_LEVEL: 'warn', MES_AUTH: 'off', ...database.env, ...env },
    listen: false,
    logDestination,
  });
}

/** A log destination that keeps the server's log lines for assertions. */
export function capturedLog(): { stream: Writable; lines: string[] } {
  const lines: string[] = [];
  const stream = new Writable({
    write: (chunk: Buffer, _encoding, done) => {
      lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      done();
    },
  });
  return { stream, lines };
}

/** Table names of the database the server is connected to (not of other databases on the server). */
export async function tableNames(server: RunningServer): Promise<string[]> {
  const rows = (await server.dataSource.query(
    server.dataSource.options.type === 'better-sqlite3'
      ? "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
      : 'SELECT table_name AS name FROM information_schema.tables WHERE table_schema = DATABASE()',
  )) as { name?: string; NAME?: string; TABLE_NAME?: string }[];
  return rows.map((row) => String(row.name ?? row.NAME ?? row.TABLE_NAME)).sort();
}

const DEMO_PASSWORD = 'Demo-Passw0rd!';

/** A server with authentication on and the demo users of tenant DEMO; requests carry their tokens. */
export interface SignedInServer {
  server: RunningServer;
  /** The engine's view of the database, for audit checks. */
  database: EngineDatabase;
  /** The access token of a demo user (signs in once). */
  token(username: string): Promise<string>;
  /** A request as `username`, or anonymous with `null`. */
  call(username: string | null, options: InjectOptions): Promise<LightMyRequestResponse>;
  query<T>(sql: string, params?: unknown[]): Promise<T[]>;
}

export async function bootSignedInServer(
  database: PluginTestDatabase,
  env: Record<string, string> = {},
  options: { logDestination?: Writable; listen?: boolean } = {},
): Promise<SignedInServer> {
  const server = await startServer({
    env: {
      SEED_DEMO: 'false',
      LOG_LEVEL: 'warn',
      MES_JWT_SECRET: 'jwt-secret-for-plugin-tests-0123456789',
      ...(options.listen ? { PORT: '0', HOST: '127.0.0.1' } : {}),
      ...database.env,
      ...env,
    },
    listen: options.listen ?? false,
    logDestination: options.logDestination ?? quiet,
  });
  const engine = new EngineDatabase(server.dataSource);
  // Seeding refuses production; the demo users are test fixtures whatever NODE_ENV the server runs with.
  await seedDemoSecurity(engine, server.registry.current(), 'DEMO', { MES_DEMO_PASSWORD: DEMO_PASSWORD });
  const sessions = new TestSessions(
    (request) => server.app.inject(request),
    (username) => ({ username, password: DEMO_PASSWORD }),
  );
  return {
    server,
    database: engine,
    token: (username) => sessions.token(username),
    call: (username, request) =>
      username
        ? sessions.send(username, (token) =>
            server.app.inject({
              ...request,
              headers: { ...request.headers, authorization: `Bearer ${token}` },
            }),
          )
        : server.app.inject(request),
    query: <T>(sql: string, params: unknown[] = []) => server.dataSource.query(sql, params) as Promise<T[]>,
  };
}
