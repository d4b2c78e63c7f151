import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { Database } from 'better-sqlite3';
import { createConnection } from 'mysql2/promise';
import type { Pool, PoolConnection, RowDataPacket } from 'mysql2';
import { DataSource, type DataSourceOptions, type Logger, type MixedList } from 'typeorm';
import type {
  DatabaseConfig,
  Dialect,
  MysqlDatabaseConfig,
  MysqlEndpoint,
  SqliteDatabaseConfig,
} from './database-config';
import { placeTables } from '../table-placement';

/** Milliseconds a writer waits for SQLite's lock before SQLITE_BUSY. */
const SQLITE_BUSY_TIMEOUT_MS = 5000;

export interface CreateDataSourceOptions {
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type -- TypeORM's own element type for migration classes
  migrations?: MixedList<Function | string>;
  logging?: boolean;
  /** Receives TypeORM's messages, e.g. a migration's progress; default TypeORM's console logger. */
  logger?: Logger;
  /** MySQL: create the database (and mapped schemas) when missing. Default false. */
  createDatabase?: boolean;
}

/**
 * Opens an initialised TypeORM DataSource for the configuration.
 *
 * SQLite (better-sqlite3): WAL journal so readers never block the writer, foreign keys enforced,
 * a busy timeout instead of immediate SQLITE_BUSY; the folder of the file is created.
 *
 * MySQL/MariaDB (mysql2): a pool of `poolSize`; the session and the driver both work in UTC and
 * DATE/DATETIME come back as strings (`dateStrings`), as they do from SQLite, so values never shift
 * with the server's time zone; BIGINT ids are numbers up to 2^53 (`supportBigNumbers`, strings
 * beyond); DECIMAL comes back as a number (`decimalNumbers`), matching SQLite, which has no exact
 * decimal type — values need at most 15 significant digits to round-trip; a query may carry several
 * statements (`multipleStatements`), which transactions use to save round trips.
 */
export async function createDataSource(
  config: DatabaseConfig,
  options: CreateDataSourceOptions = {},
): Promise<DataSource> {
  const common = {
    migrations: options.migrations ?? [],
    logging: options.logging ?? false,
    ...(options.logger && { logger: options.logger }),
    synchronize: false,
    migrationsRun: false,
  };
  const dataSource =
    config.dialect === 'sqlite'
      ? new DataSource({ ...common, ...sqliteOptions(config) })
      : new DataSource({ ...common, ...(await mysqlOptions(config, options.createDatabase ?? false)) });
  await dataSource.initialize();
  if (config.dialect === 'mysql') {
    for (const pool of mysqlPools(dataSource)) pool.on('acquire', reusePromiseWrapper);
    await useUtcSessions(dataSource);
    placeTables(dataSource, config);
  }
  return dataSource;
}

/** Whether reads may go to replicas (DATABASE_REPLICA_URLS): TypeORM then runs a primary and replica pools. */
export function hasReplicas(dataSource: DataSource): boolean {
  return (dataSource.driver as unknown as { poolCluster?: unknown }).poolCluster !== undefined;
}

/** The mysql2 pools of the DataSource: one, or the primary's and each replica's under replication. */
function mysqlPools(dataSource: DataSource): Pool[] {
  const driver = dataSource.driver as unknown as {
    pool?: Pool;
    poolCluster?: { _nodes: Record<string, { pool: Pool }> };
  };
  if (driver.poolCluster) return Object.values(driver.poolCluster._nodes).map((node) => node.pool);
  return driver.pool ? [driver.pool] : [];
}

/** The SQL dialect a DataSource speaks. */
export function dialectOf(dataSource: DataSource): Dialect {
  const type = dataSource.options.type;
  if (type === 'better-sqlite3') return 'sqlite';
  if (type === 'mysql' || type === 'mariadb') return 'mysql';
  throw new Error(`Unsupported DataSource type "${type}"`);
}

function sqliteOptions(config: SqliteDatabaseConfig): DataSourceOptions {
  const inMemory = config.path === ':memory:';
  const database = inMemory ? config.path : resolve(config.path);
  if (!inMemory) mkdirSync(dirname(database), { recursive: true });
  return {
    type: 'better-sqlite3',
    database,
    enableWAL: !inMemory,
    timeout: SQLITE_BUSY_TIMEOUT_MS,
    prepareDatabase: (db: Database) => {
      db.pragma(`busy_timeout = ${SQLITE_BUSY_TIMEOUT_MS}`);
      db.pragma('foreign_keys = ON');
      // With WAL, NORMAL is durable across application crashes and avoids an fsync per commit.
      db.pragma('synchronous = NORMAL');
    },
  };
}

async function mysqlOptions(
  config: MysqlDatabaseConfig,
  createDatabase: boolean,
): Promise<DataSourceOptions> {
  const flavour = await probeMysqlServer(config, createDatabase);
  const endpoint = (server: MysqlEndpoint) => ({
    host: server.host,
    port: server.port,
    username: server.user,
    password: server.password,
    database: server.database,
  });
  const servers =
    config.replicas.length > 0
      ? {
          replication: {
            master: endpoint(config),
            slaves: config.replicas.map(endpoint),
            // A server that failed is retried after a second instead of being dropped for good, so
            // the primary or a replica coming back is used again without a restart.
            restoreNodeTimeout: 1000,
          },
        }
      : endpoint(config);
  return {
    type: flavour,
    ...servers,
    poolSize: config.poolSize,
    charset: 'utf8mb4_unicode_ci',
    timezone: 'Z',
    dateStrings: true,
    supportBigNumbers: true,
    bigNumberStrings: false,
    // A transaction sends what needs no answer (START TRANSACTION, audit and outbox rows) with its
    // next statement or its COMMIT in one query (data/database.ts). Values are always bound as
    // parameters, escaped by the driver, never spliced into the SQL.
    multipleStatements: true,
    // trace: mysql2's promise API (which TypeORM calls) otherwise captures a stack trace per
    // query, a few percent of a busy server's CPU; errors still carry the SQL and its code.
    extra: { decimalNumbers: true, trace: false },
  };
}

/**
 * Connects once without a default database: tells MariaDB from MySQL (TypeORM reads their catalogs
 * differently) and creates the database and mapped schemas when asked.
 */
async function probeMysqlServer(
  config: MysqlDatabaseConfig,
  createDatabase: boolean,
): Promise<'mysql' | 'mariadb'> {
  const connection = await createConnection({
    host: config.host,
    port: config.port,
    user: config.user,
    password: config.password,
  });
  try {
    const [rows] = await connection.query<RowDataPacket[]>('SELECT VERSION() AS version');
    if (createDatabase) {
      for (const schema of new Set([config.database, ...Object.values(config.schemas)]))
        await connection.query(
          `CREATE DATABASE IF NOT EXISTS \`${schema}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`,
        );
    }
    return String(rows[0]?.version).includes('MariaDB') ? 'mariadb' : 'mysql';
  } finally {
    await connection.end();
  }
}

/**
 * The session settings of every pooled connection, the one TypeORM opened to test the pool included:
 * UTC, and index statistics instead of index dives from 10 values of an `IN` list on. A row scope is
 * such a list (`line_id IN (<the caller's lines>)`); with the server's default (200) the optimizer
 * descends every index that starts with the column once per value before each statement — for a
 * line-scoped operator with 25 lines about 1 ms a statement, ten times what executing a code-prefix
 * search then costs.
 */
const SESSION_SETTINGS = "SET time_zone = '+00:00', eq_range_index_dive_limit = 10";

async function useUtcSessions(dataSource: DataSource): Promise<void> {
  for (const pool of mysqlPools(dataSource))
    pool.on('connection', (connection: PoolConnection) => {
      connection.query(SESSION_SETTINGS);
    });
  // The pool holds just the connection TypeORM opened to verify credentials; this reuses it.
  await dataSource.query(SESSION_SETTINGS);
}

/**
 * TypeORM asks a pooled connection for its promise wrapper on every query, and mysql2 then
 * require()s the wrapper's module and builds a new one each time: about 4 % of a busy write server's
 * CPU, in module resolution. The wrapper keeps no per-query state, so each connection keeps its first.
 */
function reusePromiseWrapper(connection: PoolConnection): void {
  if (Object.hasOwn(connection, 'promise')) return;
  const wrapper = connection.promise();
  Object.defineProperty(connection, 'promise', { value: () => wrapper });
}
