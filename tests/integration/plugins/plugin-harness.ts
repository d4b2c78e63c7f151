/**
 * Boots the real server on the real core metadata and migrations, on SQLite (temp file) or MariaDB
 * (a database of its own, dropped afterwards), without listening: tests drive it through inject.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { createConnection } from 'mysql2/promise';
import { startServer, type RunningServer } from '../../../platform/src/bootstrap/start-server';

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

/** Asks `probe` until it answers true; fails after `attempts` tries 50 ms apart (20 s: CI runs loaded). */
export async function eventually(probe: () => Promise<boolean> | boolean, attempts = 400): Promise<void> {
  for (let attempt = 0; attempt < attempts; attempt++) {
    if (await probe()) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error('condition not reached');
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
