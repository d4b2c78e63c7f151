import { createConnection } from 'mysql2/promise';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const MYSQL_HOST = process.env.TEST_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306';

/** URL of a test database on the real MariaDB server. */
export function mysqlUrl(database: string): string {
  return `${MYSQL_HOST}/${database}`;
}

export function dropMysqlDatabase(database: string): Promise<void> {
  return onServer(`DROP DATABASE IF EXISTS \`${database}\``);
}

export function createMysqlDatabase(database: string): Promise<void> {
  return onServer(`CREATE DATABASE IF NOT EXISTS \`${database}\``);
}

async function onServer(statement: string): Promise<void> {
  const url = new URL(MYSQL_HOST);
  const connection = await createConnection({
    host: url.hostname,
    port: Number(url.port || 3306),
    user: decodeURIComponent(url.username) || 'root',
    password: decodeURIComponent(url.password),
  });
  try {
    await connection.query(statement);
  } finally {
    await connection.end();
  }
}

export interface TestDatabase {
  dialect: 'sqlite' | 'mysql';
  /** DATABASE_URL of a fresh, empty database. */
  url: string;
  /** Creates the database when the engine needs that (MySQL); SQLite creates its file on open. */
  create(): Promise<void>;
  /** Removes the database. */
  drop(): Promise<void>;
}

/** A fresh SQLite file and a fresh MariaDB database for a suite, named after it and the process. */
export function testDatabases(suite: string): TestDatabase[] {
  const dir = mkdtempSync(join(tmpdir(), `mes-${suite}-`));
  const database = `mes_test_${suite}_${process.pid}`;
  return [
    {
      dialect: 'sqlite',
      url: `sqlite:${join(dir, 'mes.sqlite')}`,
      create: async () => undefined,
      drop: async () => rmSync(dir, { recursive: true, force: true }),
    },
    {
      dialect: 'mysql',
      url: mysqlUrl(database),
      create: () => createMysqlDatabase(database),
      drop: () => dropMysqlDatabase(database),
    },
  ];
}
